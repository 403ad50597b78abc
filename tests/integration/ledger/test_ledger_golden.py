from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from lockstep.core.codec import fingerprint
from lockstep.ledger import Ledger, SyncState

if TYPE_CHECKING:
    from conftest import Clock

RECORD = {
    "name": "Ada Lovelace",
    "balance": Decimal("1234.50"),
    "visits": 3,
    "score": 0.25,
    "active": True,
    "fax": None,
    "born": date(1815, 12, 10),
    "seen_at": datetime(2026, 11, 24, 1, 2, 3, 456000, tzinfo=UTC),
    "local_at": datetime(2026, 11, 24, 1, 2, 3, tzinfo=timezone(timedelta(hours=2))),
}


def test_golden_records_round_trip_and_count_versions(ledger: Ledger, clock: Clock) -> None:
    assert ledger.golden("customer", "G1") is None
    assert ledger.put_golden("customer", "G1", RECORD) == 1

    stored = ledger.golden("customer", "G1")
    assert stored is not None
    assert stored.values == RECORD
    assert str(stored.values["balance"]) == "1234.50"
    assert stored.version == 1
    assert stored.updated_at == clock()

    clock.advance(minutes=1)
    assert ledger.put_golden("customer", "G1", {**RECORD, "visits": 4}) == 2
    again = ledger.golden("customer", "G1")
    assert again is not None
    assert again.values["visits"] == 4
    assert again.version == 2
    assert again.updated_at == clock()
    assert ledger.put_golden("customer", "G2", {}) == 1


def test_concurrent_writers_each_get_their_own_version(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledgers = [make_ledger() for _ in range(4)]

    def write(i: int) -> int:
        return ledgers[i % 4].put_golden("customer", "G1", {"i": i})

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = list(pool.map(write, range(40)))
    assert sorted(versions) == list(range(1, 41))


def test_sync_state(ledger: Ledger, clock: Clock) -> None:
    assert ledger.synced("customer", "G1", "sql") is None
    print_ = fingerprint(RECORD)
    ledger.mark_synced("customer", "G1", "sql", print_, 1)
    assert ledger.synced("customer", "G1", "sql") == SyncState(
        "customer", "G1", "sql", print_, 1, clock()
    )

    clock.advance(seconds=5)
    ledger.mark_synced("customer", "G1", "sql", "f2", 2)
    state = ledger.synced("customer", "G1", "sql")
    assert state is not None
    assert (state.fingerprint, state.version, state.synced_at) == ("f2", 2, clock())
    assert ledger.synced("customer", "G1", "salesforce") is None


def test_mark_synced_many(ledger: Ledger) -> None:
    ledger.mark_synced("customer", "G0", "sql", "old", 1)
    rows = [(f"G{i}", f"f{i}", i) for i in range(1_500)]
    ledger.mark_synced_many("customer", "sql", rows)
    found = ledger.synced_many("customer", [f"G{i}" for i in range(1_600)], "sql")
    assert len(found) == 1_500
    assert found["G0"].fingerprint == "f0"
    assert found["G1499"].version == 1499
    assert ledger.synced_many("customer", ["G1"], "salesforce") == {}


def test_a_refusal_keeps_what_was_agreed_until_the_next_agreement(
    ledger: Ledger, clock: Clock
) -> None:
    ledger.mark_synced("customer", "G1", "sql", "agreed", 3)
    clock.advance(seconds=5)
    ledger.mark_refused_many("customer", "sql", [("G1", "refused"), ("G2", "new, refused")])

    found = ledger.synced_many("customer", ["G1", "G2"], "sql")
    one, two = found["G1"], found["G2"]
    assert (one.fingerprint, one.version, one.refused_print) == ("agreed", 3, "refused")
    assert one.synced_at == clock() - timedelta(seconds=5)  # when it last agreed
    assert (two.fingerprint, two.version, two.refused_print) == (None, 0, "new, refused")

    ledger.mark_refused_many("customer", "sql", [("G1", "refused again")])
    assert [s.refused_print for s in ledger.synced_many("customer", ["G1"], "sql").values()] == [
        "refused again"
    ]
    ledger.mark_synced_many("customer", "sql", [("G1", "f1", 4), ("G2", "f2", 1)])
    again = ledger.synced_many("customer", ["G1", "G2"], "sql")
    assert [(s.fingerprint, s.refused_print) for s in again.values()] == [
        ("f1", None),
        ("f2", None),
    ]


def test_many_golden_records_at_once_count_their_own_versions(ledger: Ledger) -> None:
    ledger.put_golden("customer", "G2", RECORD)
    ledger.put_golden("customer", "G2", RECORD)
    rows = [(f"G{i}", {**RECORD, "visits": i}) for i in range(1, 1_200)]
    versions = ledger.put_golden_many("customer", [*rows, ("G5", {"name": "last counts"})])
    assert len(versions) == 1_199
    assert versions["G2"] == 3 and versions["G1"] == 1 and versions["G1199"] == 1
    found = ledger.golden_many("customer", [f"G{i}" for i in range(0, 1_300)])
    assert set(found) == {f"G{i}" for i in range(1, 1_200)}
    assert found["G7"].values == {**RECORD, "visits": 7}
    assert found["G5"].values == {"name": "last counts"}
    assert ledger.put_golden_many("customer", []) == {}
    assert ledger.golden_many("contact", ["G1"]) == {}


def test_fingerprints_as_they_were_before_a_moment(ledger: Ledger, clock: Clock) -> None:
    ledger.mark_synced_many("customer", "crm", [("G1", "p1", 1), ("G2", "p2", 1)])
    reading = clock.advance(seconds=1)
    clock.advance(seconds=1)
    ledger.mark_synced("customer", "G2", "crm", "p2-later", 2)  # marked since: not known

    found = ledger.fingerprints("customer", "crm", ["G1", "G2", "G3"], before=reading)

    assert found == {"G1": "p1"}
    assert ledger.fingerprints("customer", "app", ["G1"], before=reading) == {}
