"""Writes: inserts, updates, dialect upserts, deletes, and one bad row failing alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from lockstep.connectors.sql import SqlConnector
from lockstep.core.ops import Delete, Upsert
from lockstep.errors import SchemaError

FIELDS = ["name", "amount", "active", "due", "seen_at", "ext", "category"]


if TYPE_CHECKING:
    from conftest import MakeSql  # the sql folder's conftest


def rows(sql: SqlConnector) -> dict[str, dict[str, Any]]:
    """Every widget, by native id."""
    return {str(row["id"]): dict(row) for page in sql.snapshot("widgets", FIELDS) for row in page}


def widget(n: int, **values: Any) -> dict[str, Any]:
    return {"name": f"w{n}", "amount": Decimal(n), "ext": f"E{n}", **values}


def test_inserts_return_new_keys_in_input_order_and_values_round_trip(
    sql: SqlConnector,
) -> None:
    # whole seconds: the table's MariaDB DATETIME keeps no fraction
    seen = datetime(2024, 5, 6, 9, 8, 7, tzinfo=timezone(timedelta(hours=2)))
    values = widget(1, amount=Decimal("12.34"), active=True, due=date(2024, 2, 29), seen_at=seen)
    results = sql.apply("widgets", [Upsert(values), Upsert(widget(2, active=False))])
    assert [r.ok and r.created for r in results] == [True, True]
    first, second = (r.native_id for r in results)
    assert isinstance(first, str) and isinstance(second, str) and int(first) < int(second)
    stored = rows(sql)
    assert stored[first] == {
        "id": int(first),
        "name": "w1",
        "amount": Decimal("12.34"),
        "active": True,
        "due": date(2024, 2, 29),
        "seen_at": datetime(2024, 5, 6, 7, 8, 7, tzinfo=UTC),
        "ext": "E1",
        "category": None,
    }
    assert stored[second]["active"] is False
    assert stored[first]["seen_at"].tzinfo is UTC


def test_a_bad_row_fails_alone_with_its_own_code(sql: SqlConnector) -> None:
    sql.apply("widgets", [Upsert(widget(9))])
    ops = [
        Upsert(widget(1)),
        Upsert(widget(2, amount=Decimal(-1))),  # CHECK amount >= 0
        Upsert(widget(3)),
        Upsert(widget(4, ext="E9")),  # UNIQUE ext
        Upsert(widget(5, amount="lots")),  # not a number
        Upsert(widget(6)),
    ]
    results = sql.apply("widgets", ops)
    assert [r.ok for r in results] == [True, False, True, False, False, True]
    codes = [r.error.code for r in results if r.error is not None]
    assert codes == ["SQL_CHECK_VIOLATION", "SQL_DUPLICATE_VALUE", "SQL_INVALID_VALUE"]
    assert all(r.error.message for r in results if r.error is not None)
    assert sorted(row["name"] for row in rows(sql).values()) == ["w1", "w3", "w6", "w9"]


def test_a_missing_required_value_is_reported_as_such(sql: SqlConnector, db: sa.Engine) -> None:
    with db.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE gadgets (id INTEGER PRIMARY KEY, code VARCHAR(10) NOT NULL)"
        )
    results = sql.apply(
        "gadgets", [Upsert({"id": 1, "code": None}), Upsert({"id": 2, "code": "x"})]
    )
    assert results[0].error is not None
    assert results[0].error.code == "SQL_REQUIRED_FIELD_MISSING"
    assert results[1].ok and results[1].native_id == "2"


def test_updates_by_key_and_a_missing_key_is_not_found(sql: SqlConnector) -> None:
    created = sql.apply("widgets", [Upsert(widget(1)), Upsert(widget(2))])
    one, two = (r.native_id for r in created)
    results = sql.apply(
        "widgets",
        [
            Upsert({"name": "one"}, native_id=one),
            Upsert({"name": "nobody"}, native_id="999999"),
            Upsert({"name": "nobody"}, native_id="not-a-key"),
            Upsert({"name": "two", "amount": Decimal(-5)}, native_id=two),
            Upsert({"name": "two", "category": "c"}, native_id=two),
        ],
    )
    assert [r.ok for r in results] == [True, False, False, False, True]
    assert [r.native_id for r in results] == [one, "999999", "not-a-key", two, two]
    assert [r.error.code for r in results if r.error] == [
        "NOT_FOUND",
        "NOT_FOUND",
        "SQL_CHECK_VIOLATION",
    ]
    assert not any(r.created for r in results)
    stored = rows(sql)
    assert stored[one]["name"] == "one"
    assert (stored[two]["name"], stored[two]["amount"], stored[two]["category"]) == (
        "two",
        Decimal(2),
        "c",
    )


def test_upserts_match_on_a_unique_column_and_say_whether_they_created(
    sql: SqlConnector,
) -> None:
    (existing,) = sql.apply("widgets", [Upsert(widget(1))])
    results = sql.apply(
        "widgets",
        [
            Upsert(widget(2), match_on="ext"),
            Upsert({"ext": "E1", "name": "renamed"}, match_on="ext"),
            Upsert(widget(3), match_on="ext"),
        ],
    )
    assert [(r.ok, r.created) for r in results] == [(True, True), (True, False), (True, True)]
    assert results[1].native_id == existing.native_id
    stored = rows(sql)
    assert stored[existing.native_id]["name"] == "renamed"
    assert stored[existing.native_id]["amount"] == Decimal(1)  # not in the upsert: kept
    assert {stored[r.native_id]["ext"] for r in results} == {"E1", "E2", "E3"}


def test_an_upsert_batch_naming_one_record_twice_applies_both_in_order(
    sql: SqlConnector,
) -> None:
    results = sql.apply(
        "widgets",
        [
            Upsert(widget(1, name="first"), match_on="ext"),
            Upsert(widget(1, name="second"), match_on="ext"),
        ],
    )
    assert [(r.ok, r.created) for r in results] == [(True, True), (True, False)]
    assert results[0].native_id == results[1].native_id
    assert rows(sql)[results[0].native_id]["name"] == "second"


def test_upsert_by_the_key_itself(sql: SqlConnector) -> None:
    results = sql.apply(
        "widgets",
        [
            Upsert({"id": 7, "name": "seven"}, match_on="id"),
            Upsert({"id": 7, "name": "7"}, match_on="id"),
        ],
    )
    assert [(r.native_id, r.created) for r in results] == [("7", True), ("7", False)]


def test_an_upsert_batch_matching_an_integer_column_on_text_stays_one_batch(
    make_sql: MakeSql,
) -> None:
    """An external id holding another system's key comes as text (``"7"``) into an
    integer column, which returns ``7``: the batch's rows are still told apart, so
    500 upserts are a few statements, not three a row (a SAVEPOINT, the row, a
    RELEASE), and each says whether it created its row."""
    sql = make_sql(batch_size=200)
    sql.apply("widgets", [Upsert({"id": n, "name": "old"}, match_on="id") for n in range(1, 51)])
    before = sql.calls.total
    ops = [Upsert({"id": str(n), "name": f"w{n}"}, match_on="id") for n in range(1, 501)]
    results = sql.apply("widgets", ops)
    assert [(r.ok, r.native_id, r.created) for r in results] == [
        (True, str(n), n > 50) for n in range(1, 501)
    ]
    assert sql.calls.total - before <= 20
    assert {k: r["name"] for k, r in rows(sql).items()} == {str(n): f"w{n}" for n in range(1, 501)}


def test_a_large_upsert_batch_round_trips_every_type_and_says_what_it_created(
    make_sql: MakeSql,
) -> None:
    """150 upserts a batch (on PostgreSQL through COPY into a staging table, then one
    merge: ``connectors/sql/stage.py``): the values stored are those a single-row
    statement stores, and each result says whether it created its row."""
    seen = datetime(2024, 5, 6, 9, 8, 7, tzinfo=timezone(timedelta(hours=2)))

    def full(n: int, name: str) -> dict[str, Any]:
        return widget(
            n,
            name=name,
            amount=Decimal(f"{n}.25"),
            active=n % 2 == 0,
            due=date(2024, 2, 29) if n % 3 else None,
            seen_at=seen + timedelta(minutes=n),
            category=None if n % 5 else "five",
        )

    batched, single = make_sql(batch_size=150), make_sql(batch_size=1)
    first = batched.apply("widgets", [Upsert(full(n, "a"), match_on="ext") for n in range(1, 101)])
    before = batched.calls.total
    again = batched.apply("widgets", [Upsert(full(n, "b"), match_on="ext") for n in range(1, 151)])
    assert batched.calls.total - before <= 8
    assert all(r.ok for r in first + again)
    assert [r.created for r in again] == [n > 100 for n in range(1, 151)]
    assert [r.native_id for r in again[:100]] == [r.native_id for r in first]
    stored = {r["ext"]: r for r in rows(batched).values()}
    assert len(stored) == 150
    single.apply("widgets", [Upsert(full(n, "c"), match_on="ext") for n in range(1, 151)])
    one_by_one = {r["ext"]: r for r in rows(single).values()}
    assert {e: {**r, "name": "c"} for e, r in stored.items()} == one_by_one
    assert stored["E7"]["seen_at"] == datetime(2024, 5, 6, 7, 15, 7, tzinfo=UTC)


@pytest.mark.parametrize("dialect", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_large_batch_into_a_timestamp_without_zone_stores_utc(
    make_sql: MakeSql, db: sa.Engine
) -> None:
    """A ``timestamp`` column (no zone) holds UTC: an aware value is converted on the
    way in through COPY as through a statement."""
    with db.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE stamps (id serial primary key, ext text unique, at timestamp)"
        )
    sql = make_sql(batch_size=500)
    at = datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    ops = [Upsert({"ext": f"S{n}", "at": at}, match_on="ext") for n in range(200)]
    assert all(r.ok and r.created for r in sql.apply("stamps", ops))
    with db.connect() as conn:
        stored = set(conn.exec_driver_sql("SELECT at FROM stamps").scalars())
    assert stored == {datetime(2024, 1, 1, 17, 0)}


def test_upserts_refuse_what_they_cannot_match_on(sql: SqlConnector) -> None:
    with pytest.raises(SchemaError, match="not unique"):
        sql.apply("widgets", [Upsert(widget(1), match_on="category")])
    with pytest.raises(SchemaError, match="no column 'colour'"):
        sql.apply("widgets", [Upsert({"colour": "red"})])
    (missing,) = sql.apply("widgets", [Upsert({"name": "no ext"}, match_on="ext")])
    assert missing.error is not None and missing.error.code == "SQL_REQUIRED_FIELD_MISSING"


def test_deletes_by_key_and_a_missing_key_is_not_found(sql: SqlConnector) -> None:
    created = sql.apply("widgets", [Upsert(widget(n)) for n in range(3)])
    keys = [r.native_id for r in created]
    results = sql.apply(
        "widgets", [Delete(keys[0]), Delete("424242"), Delete(keys[2]), Delete(keys[0])]
    )
    assert [r.ok for r in results] == [True, False, True, False]
    assert [r.error.code for r in results if r.error] == ["NOT_FOUND", "NOT_FOUND"]
    assert list(rows(sql)) == [keys[1]]


def test_mixed_operations_come_back_in_input_order(sql: SqlConnector) -> None:
    (first,) = sql.apply("widgets", [Upsert(widget(1))])
    ops = [
        Upsert(widget(2)),
        Delete(first.native_id),
        Upsert(widget(3), match_on="ext"),
        Upsert({"name": "x"}, native_id="31337"),
        Upsert(widget(4)),
    ]
    results = sql.apply("widgets", ops)
    assert [r.ok for r in results] == [True, True, True, False, True]
    assert [r.created for r in results] == [True, False, True, False, True]
    assert results[1].native_id == first.native_id
    assert set(rows(sql)) == {results[i].native_id for i in (0, 2, 4)}


def test_batches_of_batch_size_and_one_failure_per_batch(make_sql: MakeSql) -> None:
    sql = make_sql(batch_size=3)
    ops = [
        Upsert(widget(n, amount=Decimal(-1) if n % 4 == 0 else Decimal(n))) for n in range(1, 11)
    ]
    ops += [Upsert(widget(n, name=f"again {n}"), match_on="ext") for n in range(1, 11)]
    results = sql.apply("widgets", ops)
    failed = [i for i, r in enumerate(results) if not r.ok]
    assert failed == [3, 7]
    assert [r.created for r in results[10:]] == [n % 4 == 0 for n in range(1, 11)]
    assert len(rows(sql)) == 10


def test_nothing_to_do(sql: SqlConnector) -> None:
    assert sql.apply("widgets", []) == []


def test_an_upsert_that_changes_nothing_still_reports_its_record(sql: SqlConnector) -> None:
    (first,) = sql.apply("widgets", [Upsert(widget(1), match_on="ext")])
    again = sql.apply(
        "widgets", [Upsert(widget(1), match_on="ext"), Upsert(widget(2), match_on="ext")]
    )
    (alone,) = sql.apply("widgets", [Upsert(widget(1), match_on="ext")])
    assert [(r.ok, r.native_id, r.created) for r in (*again, alone)] == [
        (True, first.native_id, False),
        (True, again[1].native_id, True),
        (True, first.native_id, False),
    ]
