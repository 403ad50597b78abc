"""``coalesce``: the claimed changes of one batch become one ``Work`` per record and
origin, carrying the latest change, the earlier ones folded into it; and the small
rules of a ``Work`` (the first failure ends it; which failures wait for a retry)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from lockstep.ledger.groups import Member, groups
from lockstep.ledger.rows import ChangeKind, QueueItem
from lockstep.mapping.ownership import print_of
from lockstep.mapping.payload import Payload, unpack
from lockstep.sync.drain import is_echo
from lockstep.sync.work import TRANSIENT_CODES, Failure, Work, coalesce

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def item(
    id: int,
    native_id: str,
    origin: str = "app",
    kind: ChangeKind = "upsert",
    values: dict[str, Any] | None = None,
) -> QueueItem:
    if values is None and kind == "upsert":
        values = {"values": {"name": f"v{id}"}, "refs": {}, "house": {}}
    return QueueItem(
        id=id,
        entity="customer",
        origin=origin,
        native_id=native_id,
        kind=kind,
        values=values,
        version=str(id),
        global_id=None,
        state="in_flight",
        attempts=0,
        available_at=T0,
        enqueued_at=T0,
        updated_at=T0,
        claimed_by="w",
        last_error=None,
    )


def by_record(works: list[Work]) -> dict[tuple[str, str], Work]:
    return {(w.origin, w.key): w for w in works}


def test_one_change_per_record_is_one_work_folding_nothing() -> None:
    works = coalesce([item(1, "a"), item(2, "b")])

    assert [(w.key, w.item.id, w.folded) for w in works] == [("a", 1, []), ("b", 2, [])]


def test_the_latest_change_of_a_record_carries_it_and_folds_the_earlier_ones() -> None:
    works = by_record(coalesce([item(1, "a"), item(2, "b"), item(3, "a"), item(7, "a")]))

    assert works[("app", "a")].item.id == 7
    assert works[("app", "a")].folded == [1, 3]
    assert works[("app", "a")].payload.values == {"name": "v7"}
    assert works[("app", "b")].folded == []


def test_latest_means_the_highest_queue_id_whatever_the_order_given() -> None:
    items = [item(i, "a") for i in (4, 9, 1, 6)]
    random.Random(7).shuffle(items)

    (work,) = coalesce(items)

    assert work.item.id == 9
    assert work.folded == [1, 4, 6]


def test_one_record_changed_in_two_systems_is_two_works() -> None:
    works = by_record(coalesce([item(1, "42", "app"), item(2, "42", "crm"), item(3, "42", "app")]))

    assert set(works) == {("app", "42"), ("crm", "42")}
    assert works[("app", "42")].folded == [1]
    assert works[("crm", "42")].folded == []


def test_a_delete_after_edits_is_what_the_record_comes_to() -> None:
    (work,) = coalesce([item(1, "a"), item(2, "a"), item(3, "a", kind="delete")])

    assert work.item.kind == "delete"
    assert work.payload == Payload()
    assert work.folded == [1, 2]


def test_an_upsert_after_a_delete_brings_the_record_back() -> None:
    (work,) = coalesce([item(1, "a", kind="delete"), item(2, "a")])

    assert work.item.kind == "upsert"
    assert work.folded == [1]


def test_the_payload_is_unpacked() -> None:
    stored = {
        "values": {"name": "Acme", "units": 2},
        "refs": {"account": "001A"},
        "house": {"sf_id": None},
        "problems": ["name: required"],
    }

    (work,) = coalesce([item(1, "a", values=stored)])

    assert work.payload == Payload(
        {"name": "Acme", "units": 2}, {"account": "001A"}, {"sf_id": None}, ("name: required",)
    )
    assert unpack(None) == Payload()


def test_a_fresh_work_knows_nothing_yet() -> None:
    (work,) = coalesce([item(1, "a")])

    assert (work.gid, work.echo, work.lead, work.before, work.accepted, work.failure) == (
        None,
        False,
        False,
        None,
        None,
        None,
    )
    assert work.final is None
    assert work.alive and work.natives == {} and work.written == {}


def test_nothing_in_nothing_out() -> None:
    assert coalesce([]) == []


# -- a work's failure ------------------------------------------------------------------


def test_the_first_failure_ends_the_works_journey() -> None:
    (work,) = coalesce([item(1, "a")])

    work.fail("MISSING_PARENT", "account: company 9 is not synced yet", "app")
    work.fail("INVALID", "later", "crm")

    assert not work.alive
    assert work.failure == Failure("MISSING_PARENT", "account: company 9 is not synced yet", "app")


@pytest.mark.parametrize("code", sorted(TRANSIENT_CODES))
def test_failures_that_may_pass_wait_for_a_retry(code: str) -> None:
    assert Failure(code, "", "crm").transient


@pytest.mark.parametrize(
    "code", ["RECORD_LOCKED", "INVALID", "CONFLICT", "FIELD_CUSTOM_VALIDATION"]
)
def test_other_failures_are_final(code: str) -> None:
    assert not Failure(code, "", "crm").transient


def test_unreachable_and_missing_parent_are_among_the_transient_codes() -> None:
    assert {"UNREACHABLE", "MISSING_PARENT", "UNABLE_TO_LOCK_ROW"} <= TRANSIENT_CODES


# -- record groups: what one claim takes together (ledger.groups) ---------------------


def member(id: int, origin: str, native_id: str, gid: str | None = None) -> Member:
    return Member(id, "customer", origin, native_id, gid, "pending")


def test_items_sharing_a_native_id_or_a_global_id_are_one_group_transitively() -> None:
    found = groups(
        [
            member(5, "crm", "001A", "G1"),
            member(1, "app", "1"),  # read before the record was linked
            member(3, "app", "1", "G1"),  # joins app:1 to G1, hence to crm:001A
            member(2, "app", "2"),
            member(4, "crm", "001B", "G2"),
            member(6, "app", "2", "G3"),
        ]
    )

    assert [[m.id for m in group] for group in found] == [[1, 3, 5], [2, 6], [4]]


def test_the_same_native_id_in_two_systems_or_entities_is_two_records() -> None:
    other = Member(3, "contact", "app", "1", None, "pending")
    found = groups([member(1, "app", "1"), member(2, "crm", "1"), other])

    assert [[m.id for m in group] for group in found] == [[1], [2], [3]]


# -- echoes, judged as of capture ------------------------------------------------------

NAMES = frozenset({"name"})


def seen(id: int, name: str, print_: str | None, *, failed: bool = False) -> QueueItem:
    values = {"values": {"name": name}, "refs": {}, "house": {}}
    return replace(
        item(id, "a", values=values),
        seen_print=print_,
        last_error="UNREACHABLE: down" if failed else None,
    )


def work_of(*items: QueueItem) -> Work:
    (work,) = coalesce(items)
    work.incoming = dict(work.payload.values)
    return work


def test_an_echo_of_an_older_write_is_still_an_echo_after_a_newer_one() -> None:
    b = print_of({"name": "B"}, NAMES)
    c = print_of({"name": "C"}, NAMES)
    # read when lockstep had written B; lockstep has written C since
    assert is_echo(work_of(seen(1, "B", b)), NAMES, holds=c)
    # a change of the user's, read then, is not
    assert not is_echo(work_of(seen(1, "X", b)), NAMES, holds=c)


def test_a_retried_change_is_judged_as_it_was_read() -> None:
    v1 = print_of({"name": "v1"}, NAMES)
    old = print_of({"name": "v0"}, NAMES)
    # lockstep marked the origin at v1 after the change failed: still not an echo
    assert not is_echo(work_of(seen(1, "v1", old, failed=True)), NAMES, holds=v1)
    assert is_echo(work_of(seen(1, "v1", v1, failed=True)), NAMES, holds=v1)


def test_a_change_folded_under_an_echo_keeps_the_record_from_being_an_echo() -> None:
    v1 = print_of({"name": "v1"}, NAMES)
    old = print_of({"name": "v0"}, NAMES)
    released = seen(1, "v1", old)  # the user's change, handed back after a crash
    echo = seen(2, "v1", v1)  # lockstep's write-back of it, read back
    assert not is_echo(work_of(released, echo), NAMES, holds=v1)
    assert is_echo(work_of(seen(1, "v1", v1), echo), NAMES, holds=v1)


def test_without_a_print_from_capture_the_current_one_decides_unless_retried() -> None:
    v1 = print_of({"name": "v1"}, NAMES)
    assert is_echo(work_of(seen(1, "v1", None)), NAMES, holds=v1)
    assert not is_echo(work_of(seen(1, "v1", None, failed=True)), NAMES, holds=v1)
