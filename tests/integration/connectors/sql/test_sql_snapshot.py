"""Snapshots: filtered, paged, streamed, with canonical values."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lockstep.connectors.sql import SqlConnector
from lockstep.errors import SchemaError, Terminal


def fill(db: sa.Engine, widgets: sa.Table, count: int) -> None:
    rows = [
        {
            "name": f"w{n}",
            "amount": Decimal(n) / 4,
            "active": n % 2 == 0,
            "due": date(2024, 1, 1 + n % 28),
            "seen_at": datetime(2024, 1, 1, 12, n % 60),
            "ext": f"E{n}",
            "category": "a:b" if n % 3 == 0 else "plain",
        }
        for n in range(1, count + 1)
    ]
    with db.begin() as conn:
        conn.execute(sa.insert(widgets), rows)


def test_pages_stream_in_key_order_with_the_key_always_included(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    fill(db, widgets, 25)
    pages = sql.snapshot("widgets", ["name"], page_size=10)
    assert isinstance(pages, Iterator)
    sizes, keys = [], []
    for page in pages:
        sizes.append(len(page))
        keys += [row["id"] for row in page]
        assert all(set(row) == {"id", "name"} for row in page)
    assert sizes == [10, 10, 5]
    assert keys == sorted(keys) and len(keys) == 25


def test_values_come_out_as_python_types(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    fill(db, widgets, 2)
    fields = ["amount", "active", "due", "seen_at", "ext"]
    (page,) = list(sql.snapshot("widgets", fields))
    first, second = page
    assert first["amount"] == Decimal("0.25") and isinstance(first["amount"], Decimal)
    assert first["active"] is False and second["active"] is True  # MariaDB: TINYINT(1)
    assert first["due"] == date(2024, 1, 2)
    assert first["seen_at"] == datetime(2024, 1, 1, 12, 1, tzinfo=UTC)
    assert first["seen_at"].utcoffset() is not None
    assert first["ext"] == "E1"


def test_the_filter_is_the_databases_own_sql_taken_literally(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    fill(db, widgets, 30)
    where = "amount > 2 AND category = 'a:b' AND name LIKE 'w%'"
    got = [row["name"] for page in sql.snapshot("widgets", ["name"], where=where) for row in page]
    assert got == [f"w{n}" for n in range(9, 31, 3)]


def test_an_empty_table_yields_no_pages(sql: SqlConnector) -> None:
    assert list(sql.snapshot("widgets", ["name"])) == []


def test_unknown_fields_and_broken_filters_fail_the_call(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    with pytest.raises(SchemaError, match="colour"):
        sql.snapshot("widgets", ["colour"])
    fill(db, widgets, 1)
    with pytest.raises(Terminal):
        list(sql.snapshot("widgets", ["name"], where="amount >>> 2"))


def test_a_snapshot_holds_one_page_at_a_time(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    fill(db, widgets, 20_000)
    tracemalloc.start()
    try:
        count = 0
        for page in sql.snapshot("widgets", ["name", "amount", "ext", "category"], page_size=500):
            count += len(page)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 4_000_000, f"peak {peak} bytes: the rows were not streamed"
