from __future__ import annotations

import time

import pytest

from lockstep.ledger import Ledger, XrefConflict
from lockstep.ledger.ids import new_global_id
from lockstep.ledger.xrefs import Link


def test_global_ids_are_26_chars_unique_and_sorted_by_creation() -> None:
    ids = [new_global_id() for _ in range(5_000)]
    assert all(len(i) == 26 and i.isalnum() and i.isupper() for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_link_and_look_up_both_ways(ledger: Ledger) -> None:
    gid = ledger.new_global_id()
    ledger.link("customer", gid, "salesforce", "001000000000001AAA")
    ledger.link("customer", gid, "sql", "42")

    assert ledger.global_id("customer", "salesforce", "001000000000001AAA") == gid
    assert ledger.global_id("customer", "sql", "42") == gid
    assert ledger.native_id("customer", gid, "sql") == "42"
    assert ledger.xrefs("customer", gid) == {"salesforce": "001000000000001AAA", "sql": "42"}
    assert ledger.global_id("contact", "sql", "42") is None
    assert ledger.native_id("customer", gid, "billing") is None
    assert ledger.xrefs("customer", "unknown") == {}


def test_linking_again_is_a_no_op_and_a_new_native_id_moves_the_link(ledger: Ledger) -> None:
    gid = ledger.new_global_id()
    ledger.link("customer", gid, "sql", "1")
    ledger.link("customer", gid, "sql", "1")
    assert ledger.count_xrefs() == 1

    ledger.link("customer", gid, "sql", "2")
    assert ledger.native_id("customer", gid, "sql") == "2"
    assert ledger.global_id("customer", "sql", "1") is None
    assert ledger.count_xrefs() == 1


def test_a_native_id_cannot_belong_to_two_global_ids(ledger: Ledger) -> None:
    first, second = ledger.new_global_id(), ledger.new_global_id()
    ledger.link("customer", first, "sql", "1")
    with pytest.raises(XrefConflict):
        ledger.link("customer", second, "sql", "1")
    assert ledger.xrefs("customer", second) == {}
    # the same native id in another entity is another record
    ledger.link("contact", second, "sql", "1")


def test_link_many_adds_new_pairs_skips_known_ones(ledger: Ledger) -> None:
    pairs = [(ledger.new_global_id(), f"n{i}") for i in range(1_200)]
    assert ledger.link_many("customer", "sql", pairs[:700]) == 700
    assert ledger.link_many("customer", "sql", pairs) == 500
    assert ledger.link_many("customer", "sql", pairs) == 0
    assert ledger.count_xrefs("customer", "sql") == 1_200

    natives = [n for _, n in pairs]
    assert ledger.global_ids("customer", "sql", [*natives, "missing"]) == {n: g for g, n in pairs}
    assert ledger.native_ids("customer", (g for g, _ in pairs), "sql") == dict(pairs)
    assert ledger.global_ids("customer", "salesforce", natives) == {}
    assert ledger.global_ids("customer", "sql", []) == {}


@pytest.mark.parametrize(
    "bad",
    [
        [("G-new", "n0")],  # n0 belongs to another global id
        [("G0", "n-new")],  # G0 already has a native id in sql
        [("G-a", "n-x"), ("G-b", "n-x")],  # one native id, two global ids
        [("G-a", "n-x"), ("G-a", "n-y")],  # one global id, two native ids
    ],
)
def test_link_many_refuses_a_conflict_and_writes_nothing(
    ledger: Ledger, bad: list[tuple[str, str]]
) -> None:
    ledger.link_many("customer", "sql", [("G0", "n0")])
    with pytest.raises(XrefConflict):
        ledger.link_many("customer", "sql", [("G-fine", "n-fine"), *bad])
    assert ledger.count_xrefs() == 1


def test_unlink(ledger: Ledger) -> None:
    ledger.link_many("customer", "sql", [("G1", "1"), ("G2", "2")])
    ledger.link_many("customer", "salesforce", [("G1", "a"), ("G2", "b")])
    ledger.link_many("contact", "salesforce", [("G9", "c")])

    assert ledger.unlink("customer", "G1", "sql") is True
    assert ledger.unlink("customer", "G1", "sql") is False
    assert ledger.xrefs("customer", "G1") == {"salesforce": "a"}

    assert ledger.unlink_system("salesforce", entity="customer") == 2
    assert ledger.count_xrefs(system="salesforce") == 1
    assert ledger.unlink_system("salesforce") == 1
    assert ledger.count_xrefs() == 1


def test_count_xrefs_by_entity_and_system(ledger: Ledger) -> None:
    ledger.link_many("customer", "sql", [("G1", "1"), ("G2", "2")])
    ledger.link_many("customer", "salesforce", [("G1", "a")])
    ledger.link_many("contact", "sql", [("G3", "3")])
    assert ledger.count_xrefs() == 4
    assert ledger.count_xrefs("customer") == 3
    assert ledger.count_xrefs(system="sql") == 3
    assert ledger.count_xrefs("customer", "salesforce") == 1


def test_rewrite_native_ids_after_a_sandbox_refresh(ledger: Ledger) -> None:
    ledger.link_many("customer", "salesforce", [("G1", "old1"), ("G2", "old2"), ("G3", "x")])
    ledger.link_many("contact", "salesforce", [("G4", "old4")])
    ledger.link_many("customer", "sql", [("G1", "old1")])

    moved = ledger.rewrite_native_ids("salesforce", {"old1": "new1", "old4": "new4"})
    assert moved == 2
    assert ledger.native_id("customer", "G1", "salesforce") == "new1"
    assert ledger.native_id("contact", "G4", "salesforce") == "new4"
    assert ledger.native_id("customer", "G2", "salesforce") == "old2"
    assert ledger.native_id("customer", "G1", "sql") == "old1"  # another system


def test_rewrite_native_ids_can_swap_ids_and_scope_to_an_entity(ledger: Ledger) -> None:
    ledger.link_many("customer", "salesforce", [("G1", "a"), ("G2", "b")])
    ledger.link_many("contact", "salesforce", [("G3", "a")])
    assert ledger.rewrite_native_ids("salesforce", {"a": "b", "b": "a"}, entity="customer") == 2
    assert ledger.xrefs("customer", "G1") == {"salesforce": "b"}
    assert ledger.xrefs("customer", "G2") == {"salesforce": "a"}
    assert ledger.xrefs("contact", "G3") == {"salesforce": "a"}


@pytest.mark.slow
def test_100k_links_in_reasonable_time(ledger: Ledger) -> None:
    pairs = [(ledger.new_global_id(), f"a{i:07d}") for i in range(100_000)]
    started = time.perf_counter()
    assert ledger.link_many("customer", "sql", pairs) == 100_000
    linked = time.perf_counter()
    found = ledger.global_ids("customer", "sql", (n for _, n in pairs))
    looked_up = time.perf_counter()
    assert found == {n: g for g, n in pairs}
    assert len(ledger.native_ids("customer", (g for g, _ in pairs), "sql")) == 100_000
    assert linked - started < 30
    assert looked_up - linked < 15


def test_link_new_links_what_it_can_and_reports_the_rest(ledger: Ledger) -> None:
    ledger.link("customer", "G1", "sql", "1")
    ledger.link("customer", "G2", "sql", "2")

    refused = ledger.link_new(
        "customer", "sql", [("G9", "1"), ("G2", "3"), ("G4", "4"), ("G5", "5"), ("G5", "6")]
    )

    assert refused == {
        "1": "customer sql:1 is already linked to G1",
        "3": "customer G2 is already linked to sql:2",
        "6": "customer G5 given two native ids in sql",
    }
    assert ledger.global_ids("customer", "sql", ["1", "3", "4", "5", "6"]) == {
        "1": "G1",
        "4": "G4",
        "5": "G5",
    }


def test_a_tombstone_hides_the_link_from_lookups_but_not_from_links(ledger: Ledger) -> None:
    ledger.link("customer", "G1", "sql", "7")
    ledger.link("customer", "G1", "salesforce", "001A")
    ledger.link("customer", "G2", "sql", "8")
    ledger.mark_applied("customer", "sql", [("7", 12), ("7", 10), ("8", 3), ("unknown", 4)])
    ledger.mark_applied("customer", "sql", [("8", 2)])  # an older one: kept at 3

    assert ledger.tombstone("customer", ["G1"]) == 2

    assert ledger.links("customer", "sql", ["7", "8", "9"]) == {
        "7": Link("G1", 12, True),
        "8": Link("G2", 3, False),
    }
    assert ledger.global_ids("customer", "sql", ["7", "8"]) == {"8": "G2"}
    assert ledger.native_ids("customer", ["G1"], "salesforce") == {}
    assert ledger.global_id("customer", "sql", "7") is None
    assert ledger.xrefs("customer", "G1") == {}
    assert ledger.count_xrefs("customer") == 1
    assert ledger.dead_global_ids("customer", ["G1", "G2", "G3"]) == {"G1"}


def test_a_native_id_of_a_deleted_record_can_be_linked_anew(ledger: Ledger) -> None:
    """A SQL key inserted again after its record was deleted is a new record."""
    ledger.link("customer", "G1", "sql", "7")
    ledger.link("customer", "G1", "salesforce", "001A")
    ledger.tombstone("customer", ["G1"])

    assert ledger.link_many("customer", "sql", [("G2", "7"), ("G3", "8")]) == 2

    assert ledger.global_ids("customer", "sql", ["7", "8"]) == {"7": "G2", "8": "G3"}
    assert ledger.dead_global_ids("customer", ["G1", "G2"]) == {"G1"}  # dead elsewhere
