"""Watermark capture: rows stamped after the cursor, in (stamp, key) order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lockstep.connectors.base import CaptureSpec
from lockstep.connectors.sql import SqlConnector
from lockstep.core.ops import Delete, Upsert
from lockstep.core.records import Change
from lockstep.errors import ConfigError, SchemaError

WATERMARK = CaptureSpec("watermark", "updated_at")
EARLY = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def stamp(sql: SqlConnector, names: list[str], at: datetime | None) -> list[str]:
    results = sql.apply("widgets", [Upsert({"name": n, "updated_at": at}) for n in names])
    return [str(r.native_id) for r in results]


def read_all(
    sql: SqlConnector, cursor: str | None, capture: CaptureSpec = WATERMARK, limit: int = 3
) -> tuple[list[Change], str | None]:
    changes: list[Change] = []
    while True:
        batch = sql.changes("widgets", ["name"], cursor, capture, limit=limit)
        changes += batch.changes
        cursor = batch.cursor
        if not batch.more:
            return changes, cursor


def test_rows_come_once_each_in_stamp_then_key_order_across_pages(sql: SqlConnector) -> None:
    sql.install_capture("widgets", WATERMARK)
    late = stamp(sql, ["l1", "l2"], EARLY + timedelta(minutes=5))
    tied = stamp(sql, [f"t{n}" for n in range(7)], EARLY)  # one stamp, paged through
    stamp(sql, ["never"], None)
    changes, cursor = read_all(sql, None)
    assert [c.native_id for c in changes] == tied + late
    assert all(c.kind == "upsert" and c.values is not None for c in changes)
    assert changes[0].values == {"id": int(tied[0]), "name": "t0"}
    assert changes[0].version == EARLY.isoformat()
    assert read_all(sql, cursor) == ([], cursor)

    sql.apply(
        "widgets",
        [Upsert({"name": "t3 again", "updated_at": EARLY + timedelta(hours=1)}, native_id=tied[3])],
    )
    sql.apply("widgets", [Delete(tied[4])])  # deletes leave no stamp
    changes, _ = read_all(sql, cursor)
    assert [(c.native_id, c.values and c.values["name"]) for c in changes] == [
        (tied[3], "t3 again")
    ]


def test_lookback_leaves_recent_stamps_for_later(sql: SqlConnector) -> None:
    now = datetime.now(UTC)
    old = stamp(sql, ["old"], now - timedelta(hours=2))
    stamp(sql, ["fresh"], now)
    capture = CaptureSpec("watermark", "updated_at", lookback_seconds=600)
    changes, cursor = read_all(sql, None, capture)
    assert [c.native_id for c in changes] == old
    changes, _ = read_all(sql, cursor, WATERMARK)
    assert [c.values and c.values["name"] for c in changes] == ["fresh"]


def test_the_watermark_column_must_exist(sql: SqlConnector) -> None:
    with pytest.raises(SchemaError, match="modified_at"):
        sql.install_capture("widgets", CaptureSpec("watermark", "modified_at"))
    with pytest.raises(ConfigError, match="column"):
        sql.changes("widgets", ["name"], None, CaptureSpec("watermark"))
