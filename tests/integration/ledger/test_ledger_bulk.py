"""The bulk paths (``link_many``, ``mark_synced_many``, ``global_ids``, ``native_ids``)
send their rows in one parameter and bind shared values once; they must store and
find exactly what the row-by-row statements do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from lockstep.ledger import Ledger, XrefConflict, bulk
from lockstep.ledger.tables import sync_state, xrefs

if TYPE_CHECKING:
    from conftest import Clock

#: Ids that an array literal or a JSON document could get wrong.
AWKWARD = [
    'quote"d',
    "back\\slash",
    '\\"',
    "comma,brace{}",
    "NULL",
    " padded ",
    "",
    "new\nline\ttab",
    "ünïcødé ✓",
    "'apostrophe'",
]


@pytest.mark.parametrize(
    "clash",
    [
        ("G-other", "n-taken"),  # the native id belongs to another global id
        ("G-taken", "n-other"),  # the global id has another native id
    ],
)
def test_one_conflict_among_many_pairs_writes_nothing(
    ledger: Ledger, clash: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "ROWS", 1_000)  # the clash is in the fifth statement
    ledger.link_many("customer", "sql", [("G-taken", "n-taken")])
    pairs = [(f"G{i}", f"n{i}") for i in range(5_000)]
    pairs.insert(4_321, clash)

    with pytest.raises(XrefConflict, match="already linked"):
        ledger.link_many("customer", "sql", pairs)
    assert ledger.count_xrefs() == 1

    with ledger.transaction() as conn:
        ledger.link("customer", "G-kept", "sql", "n-kept", conn=conn)
        with pytest.raises(XrefConflict):
            ledger.link_many("customer", "sql", pairs, conn=conn)
        assert ledger.link_many("customer", "sql", pairs[:10], conn=conn) == 10
    assert ledger.count_xrefs() == 12
    assert ledger.global_ids("customer", "sql", ["n-taken", *(n for _, n in pairs)]) == {
        "n-taken": "G-taken",
        **{f"n{i}": f"G{i}" for i in range(10)},
    }


def test_bulk_timestamps_are_stored_as_the_row_by_row_statements_store_them(
    ledger: Ledger, clock: Clock
) -> None:
    clock.at = datetime(2026, 11, 24, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
    stored_at = clock.at.astimezone(UTC)
    ledger.link("customer", "G-slow", "sql", "slow")  # SQLAlchemy binds each value
    ledger.link_many("customer", "sql", [("G-fast", "fast")])
    ledger.mark_synced_many("customer", "sql", [("G-fast", "f", 1)])
    with ledger.transaction() as conn:
        conn.execute(
            sync_state.insert(),
            {
                "entity": "customer",
                "global_id": "G-slow",
                "system": "sql",
                "fingerprint": "f",
                "version": 1,
                "synced_at": clock.at,
            },
        )

    with ledger.engine.connect() as conn:
        raw = dict(
            conn.exec_driver_sql(
                "SELECT global_id, created_at FROM ls_xrefs"
                " UNION ALL SELECT global_id || '/synced', synced_at FROM ls_sync_state"
            ).all()
        )
        typed = conn.execute(select(xrefs.c.created_at, xrefs.c.updated_at)).all()
        synced = conn.scalars(select(sync_state.c.synced_at)).all()
    assert raw["G-fast"] == raw["G-slow"]
    assert raw["G-fast/synced"] == raw["G-slow/synced"] == raw["G-slow"]
    for value in [*(at for row in typed for at in row), *synced]:
        assert value == stored_at
        assert value.utcoffset() == timedelta(0)


def test_awkward_ids_round_trip(ledger: Ledger) -> None:
    pairs = [(f"G{i}:{text}", text) for i, text in enumerate(AWKWARD)]
    assert ledger.link_many("customer", "sql", pairs) == len(AWKWARD)
    assert ledger.link_many("customer", "sql", pairs) == 0
    assert ledger.global_ids("customer", "sql", AWKWARD) == {n: g for g, n in pairs}
    assert ledger.native_ids("customer", (g for g, _ in pairs), "sql") == dict(pairs)
    for global_id, native_id in pairs:
        assert ledger.global_id("customer", "sql", native_id) == global_id

    ledger.mark_synced_many("customer", "sql", [(g, n, 7) for g, n in pairs])
    found = ledger.synced_many("customer", [g for g, _ in pairs], "sql")
    assert {g: (s.fingerprint, s.version) for g, s in found.items()} == {
        g: (n, 7) for g, n in pairs
    }


def test_mark_synced_many_keeps_the_last_row_of_a_global_id(ledger: Ledger) -> None:
    ledger.mark_synced_many(
        "customer", "sql", [("G1", "first", 1), ("G2", "only", 1), ("G1", "last", 2)]
    )
    found = ledger.synced_many("customer", ["G1", "G2"], "sql")
    assert (found["G1"].fingerprint, found["G1"].version) == ("last", 2)
    assert found["G2"].fingerprint == "only"


def test_repeated_pairs_count_once(ledger: Ledger) -> None:
    assert ledger.link_many("customer", "sql", [("G1", "1"), ("G1", "1"), ("G2", "2")]) == 2
    assert ledger.count_xrefs() == 2


def test_empty_calls_touch_nothing(ledger: Ledger) -> None:
    assert ledger.link_many("customer", "sql", []) == 0
    ledger.mark_synced_many("customer", "sql", [])
    assert ledger.global_ids("customer", "sql", []) == {}
    assert ledger.native_ids("customer", [], "sql") == {}
    assert ledger.count_xrefs() == 0
