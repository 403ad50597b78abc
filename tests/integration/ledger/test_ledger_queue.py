from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from lockstep.ledger import Ledger, QueueEntry

if TYPE_CHECKING:
    from conftest import Clock


def entry(native_id: str, entity: str = "customer", **values: object) -> QueueEntry:
    return QueueEntry(
        entity=entity,
        origin="sql",
        native_id=native_id,
        kind="upsert",
        values=values or None,
        version=f"v-{native_id}",
    )


def test_enqueue_returns_ids_in_order_and_claim_returns_items(ledger: Ledger, clock: Clock) -> None:
    ids = ledger.enqueue(
        [
            entry("1", name="Ada", balance=Decimal("1.50")),
            QueueEntry("customer", "salesforce", "001x", "delete", global_id="G9"),
            entry("2"),
        ]
    )
    assert len(ids) == 3
    assert ids == sorted(ids)
    assert ledger.enqueue([]) == []

    items = ledger.claim(10, "worker-1")
    assert [item.id for item in items] == ids
    first, deleted, _ = items
    assert first.values == {"name": "Ada", "balance": Decimal("1.50")}
    assert (first.state, first.claimed_by, first.attempts) == ("in_flight", "worker-1", 0)
    assert (first.origin, first.version, first.kind) == ("sql", "v-1", "upsert")
    assert first.enqueued_at == first.available_at == clock()
    assert (deleted.kind, deleted.values, deleted.global_id) == ("delete", None, "G9")
    assert ledger.claim(10, "worker-2") == []


def test_claim_takes_the_oldest_available_up_to_the_limit(ledger: Ledger) -> None:
    ids = ledger.enqueue([entry(str(i)) for i in range(5)])
    assert [item.id for item in ledger.claim(2, "w")] == ids[:2]
    assert [item.id for item in ledger.claim(2, "w")] == ids[2:4]
    assert ledger.queue_counts() == {
        "pending": 1,
        "in_flight": 4,
        "done": 0,
        "failed": 0,
        "dead": 0,
    }


def test_claim_can_be_narrowed_to_entities(ledger: Ledger) -> None:
    ledger.enqueue([entry("1", entity="customer"), entry("2", entity="contact")])
    claimed = ledger.claim(10, "w", entities=["contact"])
    assert [item.native_id for item in claimed] == ["2"]
    assert ledger.queue_counts(entity="customer")["pending"] == 1


def test_complete(ledger: Ledger) -> None:
    ids = ledger.enqueue([entry("1"), entry("2"), entry("3")])
    ledger.claim(2, "w")
    assert ledger.complete(ids) == 2  # the third was never claimed
    counts = ledger.queue_counts()
    assert (counts["done"], counts["pending"]) == (2, 1)


def test_a_transient_failure_goes_to_the_back_of_the_queue(ledger: Ledger, clock: Clock) -> None:
    bad, good = ledger.enqueue([entry("bad"), entry("good")])
    ledger.claim(1, "w")
    retry_at = clock() + timedelta(minutes=5)
    assert ledger.fail(bad, "503 from the API", retry_at=retry_at, code="UNREACHABLE") == "pending"

    assert [item.id for item in ledger.claim(10, "w")] == [good]
    ledger.complete([good])
    assert ledger.claim(10, "w") == []

    clock.advance(minutes=5)
    (again,) = ledger.claim(10, "w")
    assert (again.id, again.attempts, again.last_error) == (bad, 1, "503 from the API")
    assert again.last_error_code == "UNREACHABLE"
    ledger.complete([bad])
    assert ledger.queue_items(states=["done"], native_id="bad")[0].last_error_code is None
    assert again.available_at == retry_at
    assert ledger.claim(10, "w", now=clock() + timedelta(days=1)) == []


def test_an_item_dies_after_max_attempts(ledger: Ledger, clock: Clock) -> None:
    (item_id,) = ledger.enqueue([entry("1")])
    states = []
    for _ in range(3):
        clock.advance(seconds=1)
        assert [i.id for i in ledger.claim(1, "w")] == [item_id]
        states.append(ledger.fail(item_id, "boom", retry_at=clock(), max_attempts=3))
    assert states == ["pending", "pending", "dead"]
    assert ledger.claim(1, "w", now=clock() + timedelta(days=1)) == []
    (dead,) = ledger.queue_items(states=["dead"])
    assert (dead.attempts, dead.last_error, dead.claimed_by) == (3, "boom", None)


def test_a_terminal_failure_waits_for_requeue(ledger: Ledger, clock: Clock) -> None:
    failed, dead, other = ledger.enqueue([entry("f"), entry("d"), entry("x", entity="contact")])
    ledger.claim(3, "w")
    assert ledger.fail(failed, "INVALID_FIELD", retry_at=None) == "failed"
    assert ledger.fail(dead, "boom", retry_at=clock(), max_attempts=1) == "dead"
    assert ledger.fail(other, "INVALID_FIELD", retry_at=None) == "failed"
    assert ledger.fail(failed, "twice", retry_at=None) is None  # no longer in flight
    assert ledger.claim(10, "w", now=clock() + timedelta(days=1)) == []

    clock.advance(hours=1)
    assert ledger.requeue(entity="customer") == 2
    requeued = ledger.claim(10, "w")
    assert sorted(i.id for i in requeued) == [failed, dead]
    assert all(i.attempts == 0 and i.available_at == clock() for i in requeued)
    assert ledger.requeue(["failed"], ids=[other]) == 1
    assert [i.id for i in ledger.claim(10, "w")] == [other]


def test_release_in_flight_after_a_crash(ledger: Ledger, clock: Clock) -> None:
    ledger.enqueue([entry(str(i)) for i in range(4)])
    ledger.claim(2, "dead-worker")
    clock.advance(minutes=10)
    ledger.claim(1, "live-worker")

    assert ledger.release_in_flight(older_than=timedelta(minutes=5)) == 2
    assert ledger.release_in_flight(worker="nobody") == 0
    assert ledger.queue_counts()["in_flight"] == 1
    assert ledger.release_in_flight(worker="live-worker") == 1
    assert ledger.queue_counts()["pending"] == 4
    assert all(i.claimed_by is None for i in ledger.queue_items())


def test_queue_items_and_prune(ledger: Ledger, clock: Clock) -> None:
    ids = ledger.enqueue([entry("1"), entry("2"), entry("2")])
    assert [i.id for i in ledger.queue_items(native_id="2")] == ids[1:]
    ledger.claim(1, "w")
    ledger.complete(ids[:1])
    clock.advance(days=8)
    assert ledger.prune_queue() == 1
    assert [i.id for i in ledger.queue_items()] == ids[1:]


def test_two_workers_never_claim_the_same_item(make_ledger: Callable[..., Ledger]) -> None:
    total = 600
    make_ledger().enqueue([entry(str(i)) for i in range(total)])
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        ledger = make_ledger()
        mine = claimed.setdefault(name, [])
        try:
            start.wait()
            while batch := ledger.claim(7, name):
                mine.extend(item.id for item in batch)
                ledger.complete(item.id for item in batch)
        except BaseException as error:  # surfaced below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    every = [item for ids in claimed.values() for item in ids]
    assert len(every) == total
    assert Counter(every).most_common(1)[0][1] == 1
    assert sum(1 for ids in claimed.values() if ids) >= 2
    assert make_ledger().queue_counts()["done"] == total


@pytest.mark.parametrize(
    "ledger_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_skip_locked_lets_a_second_worker_past_a_held_claim(
    make_ledger: Callable[..., Ledger],
) -> None:
    """On SQLite the second claim would wait for the first transaction instead."""
    first, second = make_ledger(), make_ledger()
    ids = first.enqueue([entry("1"), entry("2")])
    with first.transaction() as conn:
        held = first.claim(1, "w1", conn=conn)
        assert [i.id for i in held] == ids[:1]
        # not committed: the row stays locked, and the other worker skips it
        assert [i.id for i in second.claim(10, "w2")] == ids[1:]
    assert second.claim(10, "w2") == []


def test_a_record_stays_with_the_worker_that_holds_one_of_its_changes(ledger: Ledger) -> None:
    (first,) = ledger.enqueue([entry("X")])
    assert [i.id for i in ledger.claim(10, "w1")] == [first]
    second, other = ledger.enqueue([entry("X"), entry("Y")])
    by_gid = ledger.enqueue(
        [
            QueueEntry("customer", "salesforce", "001A", "upsert", global_id="G1"),
            QueueEntry("customer", "sql", "77", "upsert", global_id="G1"),
        ]
    )
    # X's second change waits while X is in flight; Y and both G1 changes (one record,
    # seen from two systems) go, together
    assert [i.id for i in ledger.claim(10, "w2")] == [other, *by_gid]
    assert ledger.claim(10, "w3") == []
    ledger.complete([first])
    assert [i.id for i in ledger.claim(10, "w3")] == [second]


def test_a_claim_takes_all_of_a_records_changes_or_none(ledger: Ledger) -> None:
    first, second, other = ledger.enqueue([entry("X"), entry("X"), entry("Y")])
    # the limit counts records: X's two changes are one
    assert [i.id for i in ledger.claim(1, "w1")] == [first, second]
    assert [i.id for i in ledger.claim(1, "w1")] == [other]


def test_a_waiting_change_goes_with_a_new_change_of_its_record(
    ledger: Ledger, clock: Clock
) -> None:
    (waiting,) = ledger.enqueue([entry("X")])
    ledger.claim(10, "w")
    ledger.fail(waiting, "UNREACHABLE: down", retry_at=clock() + timedelta(minutes=5))
    assert ledger.claim(10, "w") == []  # not due yet: nothing of X goes
    (newer,) = ledger.enqueue([entry("X")])
    # the new change un-waits its record: both go, in capture order, whatever their state
    assert [i.id for i in ledger.claim(10, "w")] == [waiting, newer]


def test_a_record_joined_through_its_global_id_is_claimed_whole(ledger: Ledger) -> None:
    """sql:1's first change was read before its record was linked; the second carries
    the global id, which ties it to Salesforce's change of the record."""
    ids = ledger.enqueue(
        [
            entry("1"),
            QueueEntry("customer", "sql", "1", "upsert", global_id="G1"),
            QueueEntry("customer", "salesforce", "001A", "upsert", global_id="G1"),
        ]
    )
    assert [i.id for i in ledger.claim(1, "w1")] == ids


@pytest.mark.parametrize(
    "ledger_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_claims_at_once_cannot_split_a_records_changes(
    make_ledger: Callable[..., Ledger],
) -> None:
    first, second = make_ledger(), make_ledger()
    ids = first.enqueue([entry("X"), entry("Y")])
    with first.transaction() as conn:
        held = first.claim(1, "w1", conn=conn)
        assert [i.id for i in held] == ids[:1]
        # not committed: X's first change is not yet in flight for others to see; a
        # new change of X comes, but the first claim holds X's lock: it is skipped
        (later,) = second.enqueue([entry("X")])
        assert [i.id for i in second.claim(10, "w2")] == ids[1:]
    # X's first change is in flight now: its second waits for it
    assert second.claim(10, "w2") == []
    first.complete([ids[0]])
    assert [i.id for i in second.claim(10, "w2")] == [later]


def test_claims_running_at_once_take_each_record_whole(
    make_ledger: Callable[..., Ledger],
) -> None:
    records = 120
    make_ledger().enqueue(
        [
            QueueEntry("customer", origin, str(n), "upsert", global_id=f"G{n}")
            for _ in range(3)
            for n in range(records)
            for origin in ("sql", "salesforce")
        ]
    )
    batches: list[tuple[str, list[str | None]]] = []
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        ledger = make_ledger()
        try:
            start.wait()
            while batch := ledger.claim(5, name):
                batches.append((name, [i.global_id for i in batch]))
                ledger.complete(item.id for item in batch)
        except BaseException as error:  # surfaced below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    claims_per_record = Counter(gid for _, gids in batches for gid in set(gids))
    assert set(claims_per_record.values()) == {1}  # each record's 6 changes in one claim
    assert sum(len(gids) for _, gids in batches) == records * 6
