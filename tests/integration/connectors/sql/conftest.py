"""The SQL connector against SQLite, PostgreSQL and MariaDB, each holding the widget
table the connector contract uses (``tests/support/widgets.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from lockstep.config.systems import SqlSystem
from lockstep.connectors.sql import SqlConnector
from tests.support.widgets import create_widgets, widgets_table

DIALECTS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    """``sqlite``, ``postgres`` or ``mariadb``."""
    return str(request.param)


@pytest.fixture
def url(dialect: str, request: pytest.FixtureRequest) -> str:
    """A fresh database of ``dialect`` holding an empty ``widgets`` table."""
    found: str = request.getfixturevalue(f"{dialect}_url")
    create_widgets(found)
    return found


@pytest.fixture
def db(url: str) -> Iterator[sa.Engine]:
    """A plain engine on the same database: the application lockstep sits beside."""
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def widgets(db: sa.Engine) -> sa.Table:
    return widgets_table(sa.MetaData())


MakeSql = Callable[..., SqlConnector]


@pytest.fixture
def make_sql(url: str) -> Iterator[MakeSql]:
    """Connectors on the test database, with config overrides; closed afterwards."""
    made: list[SqlConnector] = []

    def make(**settings: Any) -> SqlConnector:
        config = SqlSystem.model_validate({"kind": "sql", "url": url, **settings})
        connector = SqlConnector("app", config)
        made.append(connector)
        return connector

    try:
        yield make
    finally:
        for connector in made:
            connector.close()


@pytest.fixture
def sql(make_sql: MakeSql) -> SqlConnector:
    return make_sql()
