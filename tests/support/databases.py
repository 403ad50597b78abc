"""Parametrized database fixtures: a test that takes one runs once per kind of SQL
database, each time on an empty one (the root conftest's ``sqlite_url``, ``mariadb_url``
or ``postgres_url``), marked with the service it needs; and tables made on any of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

KINDS = {
    "sqlite": pytest.param("sqlite", id="sqlite"),
    "mariadb": pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
    "postgres": pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
}


def database_url(name: str, *kinds: str) -> Any:
    """The fixture ``name``: the URL of an empty database of each of ``kinds`` in turn.
    A test narrows it with ``@pytest.mark.parametrize(name, ["sqlite"], indirect=True)``.
    """

    @pytest.fixture(name=name, params=[KINDS[kind] for kind in kinds])
    def url(request: pytest.FixtureRequest) -> str:
        found: str = request.getfixturevalue(f"{request.param}_url")
        return found

    return url


def create_tables(url: str, define: Callable[[sa.MetaData], object]) -> None:
    """The tables ``define`` adds to a metadata, made empty at ``url``."""
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        define(metadata)
        metadata.create_all(engine)
    finally:
        engine.dispose()
