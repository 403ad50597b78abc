"""``ending``: what becomes of a batch's queue items, decided without the ledger. A
change carried, and every change folded into another, is done; a failure that may pass
waits (``retry_delay``: full jitter under a ceiling of 30 s doubling up to an hour, see
``test_sync_not_done``); any other is failed, with an exception row."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from lockstep.ledger import ExceptionEntry
from lockstep.ledger.rows import QueueItem
from lockstep.sync.outcomes import Ending, Failed, ending, retry_delay
from lockstep.sync.work import Work

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def work(id: int, *, folded: tuple[int, ...] = (), attempts: int = 0) -> Work:
    values = {"values": {"name": f"v{id}"}, "refs": {}, "house": {}}
    item = QueueItem(
        id=id,
        entity="customer",
        origin="app",
        native_id=str(id),
        kind="upsert",
        values=values,
        version=str(id),
        global_id=None,
        state="in_flight",
        attempts=attempts,
        available_at=T0,
        enqueued_at=T0,
        updated_at=T0,
        claimed_by="w",
        last_error=None,
    )
    return Work(item, folded=list(folded))


def test_changes_carried_and_those_folded_into_any_change_are_done() -> None:
    carried = work(3, folded=(1, 2))
    waiting = work(6, folded=(4,))
    waiting.fail("UNREACHABLE", "down", "crm", passing=True)

    end = ending("customer", [carried, waiting], T0, random.Random(7))

    assert end.done == (1, 2, 3, 4)
    wait = retry_delay(0, None, random.Random(7))
    assert end.failed == (Failed(6, "UNREACHABLE: down", "UNREACHABLE", T0 + wait),)
    assert end.exceptions == ()


def test_a_failure_that_may_pass_waits_longer_each_time_and_one_that_cannot_is_failed() -> None:
    again = work(1, attempts=3)
    again.fail("UNABLE_TO_LOCK_ROW", "locked", "crm", "750x")
    refused = work(2)
    refused.fail("STRING_TOO_LONG", "Name: too long", "crm", "750x")

    wait = retry_delay(3, None, random.Random(7))  # under a ceiling of 8 x 30 s
    assert ending("customer", [again, refused], T0, random.Random(7)) == Ending(
        (),
        (
            Failed(1, "UNABLE_TO_LOCK_ROW: locked", "UNABLE_TO_LOCK_ROW", T0 + wait, 3),
            Failed(2, "STRING_TOO_LONG: Name: too long", "STRING_TOO_LONG", None),
        ),
        (  # the queue item that failed is named, so a later change can close the row
            ExceptionEntry(
                "customer", "crm", "2", "STRING_TOO_LONG", "Name: too long", "750x", seq=2
            ),
        ),
    )


def test_a_change_read_again_while_its_record_waited_keeps_the_records_attempts() -> None:
    """The echo of a status written while a change waited is a newer change of the
    record; folded into it, the waiting change's attempts carry over (else a change
    with write-back is retried for ever: it never reaches ``dead``)."""
    earlier = work(1, attempts=5).item
    again = work(2, attempts=0)
    again.folded, again.earlier = [1], [earlier]
    again.fail("UNREACHABLE", "down", "crm", passing=True)

    (failed,) = ending("customer", [again], T0, random.Random(7)).failed

    assert (failed.id, failed.attempts) == (2, 5)
    assert failed.retry_at == T0 + retry_delay(5, None, random.Random(7))
