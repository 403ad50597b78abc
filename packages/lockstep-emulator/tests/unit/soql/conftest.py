"""Fixtures: the test schema and a fresh in-memory database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lockstep_emulator.schema.model import Schema
from soql_db import Db, make_schema


@pytest.fixture(scope="session")
def schema() -> Schema:
    return make_schema()


@pytest.fixture
def db(schema: Schema) -> Iterator[Db]:
    database = Db(schema)
    yield database
    database.conn.close()
