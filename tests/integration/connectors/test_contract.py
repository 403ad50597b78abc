"""The connector contract: every system behind ``Connector`` behaves the same.

Each test runs once per system holding widgets (see ``conftest.py``): the emulator
org through simple-salesforce, and SQLite, PostgreSQL and MariaDB through SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from lockstep.core.ops import Delete, OpResult, Upsert
from lockstep.core.records import Change
from lockstep.errors import SchemaError

if TYPE_CHECKING:
    from conftest import Subject

SEEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def widget(s: Subject, n: int, **extra: Any) -> dict[str, Any]:
    values = {
        "name": f"widget {n}",
        "amount": Decimal(n) + Decimal("0.25"),
        "active": n % 2 == 0,
        "due": dt.date(2026, 1, 1) + dt.timedelta(days=n),
        "seen": SEEN,
        "ext": f"W-{n:05d}",
        "category": "red",
        **extra,
    }
    return s.native(**values)


def insert(s: Subject, rows: list[dict[str, Any]]) -> list[OpResult]:
    return s.connector.apply(s.obj, [Upsert(row) for row in rows])


def everything(s: Subject, *logical: str, where: str | None = None) -> list[dict[str, Any]]:
    fields = s.fields(*(logical or ("key", "name", "amount", "active", "due", "seen", "ext")))
    return [dict(row) for page in s.connector.snapshot(s.obj, fields, where=where) for row in page]


def by_ext(s: Subject, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row[s.names["ext"]]: row for row in rows}


# -- describe -----------------------------------------------------------------------------


def test_describe_folds_native_types_into_kinds(subject: Subject) -> None:
    shape = subject.connector.describe(subject.obj)
    kinds = {logical: shape.field(native) for logical, native in subject.names.items()}
    assert all(kinds.values()), f"missing fields: {kinds}"
    assert kinds["name"].kind == "string"  # type: ignore[union-attr]
    assert kinds["amount"].kind in ("decimal", "float")  # type: ignore[union-attr]
    assert kinds["active"].kind == "boolean"  # type: ignore[union-attr]
    assert kinds["due"].kind == "date"  # type: ignore[union-attr]
    assert kinds["seen"].kind == "datetime"  # type: ignore[union-attr]
    assert kinds["ext"].external_id  # type: ignore[union-attr]
    assert not kinds["name"].external_id  # type: ignore[union-attr]
    assert shape.key is not None
    assert shape.key.name.lower() == subject.names["key"].lower()


def test_describe_of_a_missing_object_is_a_schema_error(subject: Subject) -> None:
    with pytest.raises(SchemaError):
        subject.connector.describe("No_Such_Thing__c" if subject.kind == "salesforce" else "nope")


# -- apply --------------------------------------------------------------------------------


def test_inserts_return_new_ids_in_input_order_and_values_round_trip(subject: Subject) -> None:
    rows = [widget(subject, n) for n in range(5)]
    results = insert(subject, rows)
    assert [r.ok for r in results] == [True] * 5
    assert all(r.created for r in results)
    ids = [r.native_id for r in results]
    assert all(isinstance(i, str) and i for i in ids)
    assert len(set(ids)) == 5

    stored = by_ext(subject, everything(subject))
    for row, result in zip(rows, results, strict=True):
        got = stored[row[subject.names["ext"]]]
        assert str(got[subject.names["key"]]) == result.native_id
        assert got[subject.names["name"]] == row[subject.names["name"]]
        assert Decimal(str(got[subject.names["amount"]])) == row[subject.names["amount"]]
        assert got[subject.names["active"]] is row[subject.names["active"]]
        assert got[subject.names["due"]] == row[subject.names["due"]]
        assert got[subject.names["seen"]] == SEEN
        assert got[subject.names["seen"]].utcoffset() == dt.timedelta(0)


def test_a_refused_record_fails_alone_and_results_keep_input_order(subject: Subject) -> None:
    rows = [widget(subject, 1), widget(subject, 2, amount=Decimal("-5")), widget(subject, 3)]
    results = insert(subject, rows)
    assert [r.ok for r in results] == [True, False, True]
    error = results[1].error
    assert error is not None
    assert error.code and error.message
    assert results[1].native_id is None
    assert set(by_ext(subject, everything(subject))) == {"W-00001", "W-00003"}


def test_update_by_native_id_and_a_missing_id_fails_alone(subject: Subject) -> None:
    first, second = insert(subject, [widget(subject, 1), widget(subject, 2)])
    gone = insert(subject, [widget(subject, 3)])[0]
    subject.connector.apply(subject.obj, [Delete(gone.native_id or "")])

    ops = [
        Upsert(subject.native(name="renamed 1"), native_id=first.native_id),
        Upsert(subject.native(name="renamed gone"), native_id=gone.native_id),
        Upsert(subject.native(amount=Decimal("9.50")), native_id=second.native_id),
    ]
    results = subject.connector.apply(subject.obj, ops)
    assert [r.ok for r in results] == [True, False, True]
    assert [r.created for r in results] == [False, False, False]
    assert results[0].native_id == first.native_id
    assert results[1].error is not None

    stored = by_ext(subject, everything(subject))
    assert stored["W-00001"][subject.names["name"]] == "renamed 1"
    assert Decimal(str(stored["W-00002"][subject.names["amount"]])) == Decimal("9.50")
    assert stored["W-00002"][subject.names["name"]] == "widget 2"  # untouched field


def test_upsert_by_external_id_creates_once_then_updates(subject: Subject) -> None:
    ext = subject.names["ext"]
    first = subject.connector.apply(subject.obj, [Upsert(widget(subject, 7), match_on=ext)])[0]
    again = subject.connector.apply(
        subject.obj, [Upsert(widget(subject, 7, name="seven again"), match_on=ext)]
    )[0]
    assert first.ok and first.created
    assert again.ok and not again.created
    assert again.native_id == first.native_id
    stored = everything(subject)
    assert len(stored) == 1
    assert stored[0][subject.names["name"]] == "seven again"


def test_deletes_remove_records_and_a_missing_one_fails_alone(subject: Subject) -> None:
    a, b = insert(subject, [widget(subject, 1), widget(subject, 2)])
    results = subject.connector.apply(
        subject.obj,
        [Delete(a.native_id or ""), Delete(a.native_id or ""), Delete(b.native_id or "")],
    )
    assert [r.ok for r in results] == [True, False, True]
    assert everything(subject) == []


# -- snapshot -----------------------------------------------------------------------------


def test_snapshot_filters_and_pages(subject: Subject) -> None:
    results = insert(subject, [widget(subject, n) for n in range(450)])
    assert all(r.ok for r in results)
    pages = list(
        subject.connector.snapshot(
            subject.obj,
            subject.fields("name", "amount"),
            where=subject.amount_over(100),
            page_size=200,
        )
    )
    rows = [row for page in pages for row in page]
    assert len(rows) == 350  # amounts 100.25 .. 449.25
    assert all(0 < len(page) <= 200 for page in pages)
    assert len(pages) >= 2
    assert all(subject.names["key"] in row or subject.names["key"].lower() in row for row in rows)


def test_snapshot_is_a_lazy_stream(subject: Subject) -> None:
    stream = subject.connector.snapshot(subject.obj, subject.fields("name"))
    insert(subject, [widget(subject, 1)])  # nothing has been read yet
    assert iter(stream) is stream
    assert [row[subject.names["name"]] for page in stream for row in page] == ["widget 1"]


# -- changes ------------------------------------------------------------------------------


def drain(subject: Subject, cursor: str | None) -> tuple[list[Change], str | None]:
    found: list[Change] = []
    fields = subject.fields("name", "amount")
    for _ in range(100):
        batch = subject.connector.changes(subject.obj, fields, cursor, subject.capture, limit=50)
        found.extend(batch.changes)
        cursor = batch.cursor or cursor
        if not batch.more:
            return found, cursor
    raise AssertionError("changes never ran dry")


def test_changes_after_a_cursor_show_creates_updates_and_deletes(subject: Subject) -> None:
    subject.connector.install_capture(subject.obj, subject.capture)
    subject.connector.install_capture(subject.obj, subject.capture)  # idempotent
    before = insert(subject, [widget(subject, n) for n in range(3)])
    _, cursor = drain(subject, None)

    new = insert(subject, [widget(subject, 10), widget(subject, 11)])
    subject.connector.apply(
        subject.obj,
        [Upsert(subject.native(name="changed"), native_id=before[0].native_id)],
    )
    subject.connector.apply(subject.obj, [Delete(before[1].native_id or "")])

    changes, cursor = drain(subject, cursor)
    last = {c.native_id: c for c in changes}
    touched = {r.native_id for r in new} | {before[0].native_id, before[1].native_id}
    assert set(last) == touched
    assert last[before[1].native_id or ""].kind == "delete"
    changed = last[before[0].native_id or ""]
    assert changed.kind == "upsert"
    assert changed.values is not None
    assert changed.values[subject.names["name"]] == "changed"
    versions = [c.version for c in changes]
    assert len(versions) == len(set(versions)) or subject.kind == "salesforce"

    again, _ = drain(subject, cursor)
    assert again == []


def test_changes_pass_the_bindings_filter_and_never_call_a_record_outside_it_deleted(
    subject: Subject,
) -> None:
    subject.connector.install_capture(subject.obj, subject.capture)
    _, cursor = drain(subject, None)
    rows = insert(subject, [widget(subject, n) for n in (1, 2, 300, 400)])
    small, big = [r.native_id or "" for r in rows[:2]], [r.native_id or "" for r in rows[2:]]
    fields = subject.fields("name", "amount")
    where = subject.amount_over(100)

    batch = subject.connector.changes(subject.obj, fields, cursor, subject.capture, where=where)
    assert {c.native_id for c in batch.changes} == set(big)
    assert all(c.kind == "upsert" for c in batch.changes)

    subject.connector.apply(
        subject.obj, [Upsert(subject.native(name="still small"), native_id=small[0])]
    )
    later = subject.connector.changes(
        subject.obj, fields, batch.cursor, subject.capture, where=where
    )
    assert later.changes == ()  # outside the filter: neither an upsert nor a delete
