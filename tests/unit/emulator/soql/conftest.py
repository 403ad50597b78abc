"""Fixtures: the test schema and a fresh in-memory database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from soql_db import Db, make_schema

from lockstep.emulator.schema.model import Schema


@pytest.fixture(scope="session")
def schema() -> Schema:
    return make_schema()


@pytest.fixture
def db(schema: Schema) -> Iterator[Db]:
    database = Db(schema)
    yield database
    database.conn.close()
