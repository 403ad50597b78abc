"""The class of each difference reconcile finds (``findings.classify``): one per row,
the most specific first (locked, unlinked match, link broken, missing; then by action),
none on ``unchanged`` and ``skip`` rows; and what ``--apply`` plans from them
(``repairs.plan_repairs``) and when the mass-delete guard refuses it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest

from lockstep.config.entities import Entity, SyncStatus
from lockstep.core.plan import PlanItem
from lockstep.expr import parse
from lockstep.mapping.record import Canonical
from lockstep.reconcile.compare import Held, Side, WriteBack, compare
from lockstep.reconcile.findings import classify, detached, locked_ids
from lockstep.reconcile.guard import Share, refusal
from lockstep.reconcile.repairs import plan_repairs
from lockstep.runs.select import SideRecord

STATUS = SyncStatus(field="sync_status")
NAMES = frozenset({"name", "phone"})
ACME = {"name": "Acme", "phone": "555-0001"}
SYNCED = {"sf_id": "A1", "sync_status": "Success"}


def entity(**overrides: Any) -> Entity:
    """Customers: the app owns them, Salesforce (crm) owns the phone."""
    spec: dict[str, Any] = {
        "owner": "app",
        "field_owners": {"phone": "crm"},
        "fields": {"name": "string", "phone": "string"},
        "bindings": {
            "app": {"table": "customers", "fields": {"name": "name", "phone": "phone"}},
            "crm": {"object": "Account", "fields": {"name": "Name", "phone": "Phone"}},
        },
    }
    spec.update(overrides)
    return Entity.model_validate(spec)


CUSTOMER = entity()
MATCHED = entity(match=[{"fields": ["name"], "normalize": ["case"]}])


def app(
    linked: Mapping[str, tuple[str, Mapping[str, Any], Mapping[str, Any]]] | None = None,
    unlinked: Sequence[tuple[str, Mapping[str, Any]]] = (),
    known: frozenset[str] | None = None,
) -> Side:
    """The app: ``linked`` global id -> (key, values, housekeeping), its Salesforce id
    and sync status written back."""
    return Side(
        "app",
        {gid: Held(key, values, house) for gid, (key, values, house) in (linked or {}).items()},
        [Held(key, values, {}) for key, values in unlinked],
        NAMES,
        house=WriteBack({"crm": "sf_id"}, status=STATUS),
        known=known,
    )


def crm(
    linked: Mapping[str, tuple[str, Mapping[str, Any]]] | None = None,
    unlinked: Sequence[tuple[str, Mapping[str, Any]]] = (),
    known: frozenset[str] | None = None,
    buried: frozenset[str] = frozenset(),
) -> Side:
    return Side(
        "crm",
        {gid: Held(key, values, {}) for gid, (key, values) in (linked or {}).items()},
        [Held(key, values, {}) for key, values in unlinked],
        NAMES,
        known=known,
        buried=buried,
    )


def found(
    ent: Entity, *sides: Side, locked: frozenset[str] = frozenset()
) -> dict[tuple[str, str], PlanItem]:
    """The classified rows by (global id, or the source's key when unlinked; target)."""
    by_system = {s.system: s for s in sides}
    items = classify(ent, by_system, compare("customer", ent, by_system), locked)
    out = {(i.global_id or i.source_key, i.target): i for i in items}
    assert len(out) == len(items)
    return out


def classes(rows: Mapping[tuple[str, str], PlanItem]) -> dict[tuple[str, str], str | None]:
    return {key: row.finding for key, row in rows.items()}


# -- no class ----------------------------------------------------------------------------


def test_records_that_agree_have_no_class() -> None:
    rows = found(CUSTOMER, app({"G1": ("1", ACME, SYNCED)}), crm({"G1": ("A1", ACME)}))

    assert classes(rows) == {("G1", "app"): None, ("G1", "crm"): None}


def test_the_skip_rows_point_at_the_row_that_has_the_class() -> None:
    gone = found(CUSTOMER, app({}), crm({"G1": ("A1", ACME)}))  # gone from its owner
    never = found(  # never reached its owner: the owner's create has the class
        CUSTOMER, app({}, known=frozenset()), crm({"G1": ("A1", ACME)}, known=frozenset({"G1"}))
    )

    assert classes(gone) == {("G1", "app"): None, ("G1", "crm"): "extra"}
    assert (gone[("G1", "app")].action, gone[("G1", "crm")].action) == ("skip", "extra")
    assert classes(never) == {("G1", "app"): "missing", ("G1", "crm"): None}
    assert never[("G1", "crm")].action == "skip"


# -- missing, link broken, extra -------------------------------------------------------


def test_a_record_a_system_never_had_is_missing_there() -> None:
    rows = found(
        CUSTOMER,
        app({"G1": ("1", ACME, SYNCED)}, unlinked=[("9", ACME)]),
        crm({}, known=frozenset()),
    )

    assert classes(rows) == {("G1", "app"): None, ("G1", "crm"): "missing", ("9", "crm"): "missing"}
    assert rows[("9", "crm")].reason == "never synced from app"


def test_a_record_linked_in_a_system_that_lost_it_is_a_broken_link() -> None:
    rows = found(CUSTOMER, app({"G1": ("1", ACME, SYNCED)}), crm({}, known=frozenset({"G1"})))

    crm_row = rows[("G1", "crm")]
    assert (crm_row.action, crm_row.finding, crm_row.reason) == (
        "create",
        "link_broken",
        "missing in crm",
    )
    assert detached(list(rows.values())) == {"G1"}


def test_only_broken_links_are_detached() -> None:
    rows = found(
        CUSTOMER,
        app({"G1": ("1", ACME, SYNCED), "G2": ("2", ACME, SYNCED)}),
        crm({}, known=frozenset({"G2"})),
    )

    assert classes(rows)[("G1", "crm")] == "missing"
    assert detached(list(rows.values())) == {"G2"}


def test_a_record_only_in_a_system_that_does_not_own_it_is_extra() -> None:
    rows = found(
        CUSTOMER, app({"G1": ("1", ACME, SYNCED)}), crm({"G1": ("A1", ACME)}, [("A9", ACME)])
    )

    assert rows[("A9", "crm")].finding == "extra"


# -- updates ---------------------------------------------------------------------------


def test_a_differing_field_is_a_field_mismatch() -> None:
    rows = found(
        CUSTOMER,
        app({"G1": ("1", {**ACME, "phone": "555-APP"}, SYNCED)}),
        crm({"G1": ("A1", {**ACME, "name": "Renamed"})}),
    )

    assert classes(rows) == {("G1", "app"): "field_mismatch", ("G1", "crm"): "field_mismatch"}


@pytest.mark.parametrize(
    ("house", "finding"),
    [
        ({"sf_id": None, "sync_status": "Success"}, "writeback_missing"),  # seed 000: no id
        ({"sf_id": "A1", "sync_status": None}, "writeback_missing"),
        ({"sf_id": "A1", "sync_status": "In Progress"}, "writeback_missing"),
        ({"sf_id": "A1", "sync_status": "Failed"}, "status_failed"),  # seed 000: Failed
        ({"sf_id": None, "sync_status": "Failed"}, "status_failed"),
    ],
)
def test_a_write_back_that_is_not_there_says_which(house: dict[str, Any], finding: str) -> None:
    rows = found(CUSTOMER, app({"G1": ("1", ACME, house)}), crm({"G1": ("A1", ACME)}))

    assert (rows[("G1", "app")].action, rows[("G1", "app")].finding) == ("update", finding)


def test_a_field_mismatch_comes_before_a_failed_status() -> None:
    house = {"sf_id": "A1", "sync_status": "Failed"}
    rows = found(
        CUSTOMER, app({"G1": ("1", {**ACME, "phone": "x"}, house)}), crm({"G1": ("A1", ACME)})
    )

    assert rows[("G1", "app")].finding == "field_mismatch"


def test_a_status_named_otherwise_is_read_by_its_own_values() -> None:
    status = SyncStatus(field="state", failed="KO", success="OK")
    side = replace(
        app({"G1": ("1", ACME, {"sf_id": "A1", "state": "KO"})}),
        house=WriteBack({"crm": "sf_id"}, status=status),
    )

    rows = found(CUSTOMER, side, crm({"G1": ("A1", ACME)}))

    assert rows[("G1", "app")].finding == "status_failed"


# -- locked ----------------------------------------------------------------------------


def test_a_locked_record_that_differs_is_locked_different_whatever_the_difference() -> None:
    usage = entity(lock="name == 'Acme'")
    rows = found(
        usage,
        app({"G1": ("1", ACME, {"sf_id": None}), "G2": ("2", ACME, SYNCED)}),
        crm({"G1": ("A1", {**ACME, "name": "Renamed"})}, known=frozenset({"G1", "G2"})),
        locked=frozenset({"G1", "G2"}),
    )

    assert classes(rows) == {
        ("G1", "app"): "locked_different",  # its write-back
        ("G1", "crm"): "locked_different",  # a field
        ("G2", "app"): None,
        ("G2", "crm"): "locked_different",  # gone from crm
    }
    assert rows[("G1", "crm")].reason == (
        "differs from app; locked (name == 'Acme'): --apply leaves it"
    )
    assert detached(list(rows.values())) == frozenset()  # --apply leaves its link


def test_a_lock_is_judged_on_the_golden_record_with_its_parents() -> None:
    lock = parse("contract.status == 'Fulfilled' or units > 10")
    golden = {
        "U1": {"units": 1, "contract": "C1"},
        "U2": {"units": 1, "contract": "C2"},
        "U3": {"units": 11, "contract": None},
        "U4": {"units": 1, "contract": "C-unknown"},
    }
    parents = {"contract": {"C1": {"status": "Fulfilled"}, "C2": {"status": "Active"}}}

    assert locked_ids(lock, golden, parents) == {"U1", "U3"}


# -- unlinked match --------------------------------------------------------------------


def test_an_owners_record_the_rules_find_unlinked_in_the_other_system_is_an_unlinked_match() -> (
    None
):
    rows = found(
        MATCHED,
        app({}, unlinked=[("9", {"name": "Globex", "phone": None})]),
        crm({}, [("A9", {"name": "GLOBEX", "phone": "1"}), ("A8", {"name": "Other"})]),
    )

    assert classes(rows) == {
        ("9", "crm"): "unlinked_match",
        ("A9", "crm"): "unlinked_match",
        ("A8", "crm"): "extra",
    }
    assert rows[("9", "crm")].reason == (
        "never synced from app; not linked, but crm A9 matches it by name (case): "
        "--apply leaves both"
    )
    assert rows[("A9", "crm")].reason == (
        "not linked, but matches app 9 by name (case): --apply leaves both"
    )


def test_a_broken_link_whose_record_was_made_again_by_hand_is_an_unlinked_match() -> None:
    rows = found(
        MATCHED,
        app({"G1": ("1", ACME, SYNCED)}),
        crm({}, [("A2", ACME)], known=frozenset({"G1"})),
    )

    assert classes(rows) == {
        ("G1", "app"): None,
        ("G1", "crm"): "unlinked_match",
        ("A2", "crm"): "unlinked_match",
    }
    assert detached(list(rows.values())) == frozenset()


def test_a_match_found_in_one_part_classes_its_partner_in_a_later_one() -> None:
    """Reconcile classifies an entity a partition of global ids at a time, then the
    unlinked records: the record made again by hand is ``unlinked_match`` there too,
    as it is when everything is classified at once."""
    owner, target = (
        app({"G1": ("1", ACME, SYNCED)}),
        crm({}, [("A2", ACME)], known=frozenset({"G1"})),
    )
    sides = {"app": owner, "crm": target}
    partners: dict[tuple[str, str], str] = {}
    linked = {s: replace(side, unlinked=()) for s, side in sides.items()}
    first = classify(MATCHED, sides, compare("customer", MATCHED, linked), partners=partners)
    loose = {s: replace(side, linked={}) for s, side in sides.items()}
    last = classify(MATCHED, loose, compare("customer", MATCHED, loose), partners=partners)

    rows = {(i.global_id or i.source_key, i.target): i.finding for i in [*first, *last]}
    assert rows == {
        ("G1", "app"): None,
        ("G1", "crm"): "unlinked_match",
        ("A2", "crm"): "unlinked_match",
    }


def test_several_records_found_are_all_named() -> None:
    rows = found(
        MATCHED,
        app({}, unlinked=[("9", ACME)]),
        crm({}, [("A1", ACME), ("A2", ACME)]),
    )

    assert "crm A1, A2 match it by name (case)" in rows[("9", "crm")].reason
    assert rows[("A1", "crm")].finding == rows[("A2", "crm")].finding == "unlinked_match"


def test_a_record_deleted_in_its_owner_is_never_a_match() -> None:
    rows = found(
        MATCHED,
        app({}, unlinked=[("9", ACME)]),
        crm({}, [("A1", ACME)], buried=frozenset({"A1"})),
    )

    assert classes(rows) == {("9", "crm"): "missing", ("A1", "crm"): "extra"}


def test_without_match_rules_nothing_is_an_unlinked_match() -> None:
    rows = found(CUSTOMER, app({}, unlinked=[("9", ACME)]), crm({}, [("A1", ACME)]))

    assert classes(rows) == {("9", "crm"): "missing", ("A1", "crm"): "extra"}


def test_a_record_that_never_reached_its_owner_may_match_an_owners_unlinked_one() -> None:
    rows = found(
        MATCHED,
        app({}, unlinked=[("9", ACME)], known=frozenset()),
        crm({"G1": ("A1", ACME)}, known=frozenset({"G1"})),
    )

    assert classes(rows) == {
        ("G1", "app"): "unlinked_match",  # its create in the owner
        ("G1", "crm"): None,
        ("9", "crm"): "unlinked_match",  # the owner's own, never synced
    }


# -- what --apply plans ----------------------------------------------------------------


def record(key: str, values: Mapping[str, Any]) -> SideRecord:
    return SideRecord(key, Canonical(values, {}), {})


def test_apply_detaches_broken_links_only_and_leaves_what_a_person_decides() -> None:
    sides = {
        "app": app(
            {"G1": ("1", ACME, SYNCED), "G2": ("2", ACME, SYNCED), "G3": ("3", ACME, SYNCED)},
            unlinked=[("9", {"name": "Globex"})],
        ),
        "crm": crm(
            {"G3": ("A3", {**ACME, "name": "Renamed"})},
            [("A9", {"name": "globex"})],
            known=frozenset({"G1", "G3"}),
        ),
    }
    items = classify(MATCHED, sides, compare("customer", MATCHED, sides))
    read = {
        "app": [record(k, v) for k, v in (("1", ACME), ("2", ACME), ("3", ACME), ("9", {}))],
        "crm": [record("A3", {}), record("A9", {})],
    }

    repairs = plan_repairs("customer", MATCHED, items, sides, read)

    assert repairs.unlink == (("G1", "crm"),)  # G2 was never linked in crm: nothing to drop
    assert [(c.origin, c.native_id, c.global_id) for c in repairs.changes] == [
        ("app", "1", "G1"),
        ("app", "2", "G2"),
        ("app", "3", "G3"),
    ]  # not 9, which matches A9
    assert [(gid, system) for gid, system, _ in repairs.behind] == [("G3", "crm")]

    locked = classify(MATCHED, sides, compare("customer", MATCHED, sides), frozenset({"G1"}))
    left = plan_repairs("customer", MATCHED, locked, sides, read)
    assert left.unlink == ()
    assert [c.native_id for c in left.changes] == ["2", "3"]


# -- the guard -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detached_", "linked", "over"),
    [(0, 0, False), (5, 100, False), (6, 100, True), (1, 10, True), (0, 10, False)],
)
def test_the_guard_refuses_more_than_the_share(detached_: int, linked: int, over: bool) -> None:
    assert Share("customer", detached_, linked).over(0.05) is over


def test_the_refusal_names_each_entity_over_the_share_and_the_way_past_it() -> None:
    message = refusal(
        [Share("customer", 40, 50), Share("contact", 1, 100), Share("usage", 3, 4)], 0.05
    )

    assert message is not None
    assert "customer: 40 of 50 linked records (80%); usage: 3 of 4" in message
    assert "contact" not in message
    assert "run.reconcile.max_delete_share (5%)" in message
    assert message.endswith("pass --allow-mass-delete to repair them anyway")
    assert refusal([Share("customer", 40, 50)], 1.0) is None
