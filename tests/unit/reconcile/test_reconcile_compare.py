"""What reconcile finds, decided without I/O: ``compare`` lines up each system's records
by global id and compares every field with its owner's value (``owner``, or
``field_owners`` per field): ``create`` where a system lacks a record an owner holds,
``update`` where it holds another value than the owner (or lacks the write-back sync
leaves: ids, global id, the sync status), ``unchanged``, ``extra`` for a record only in
a system that does not own it (a difference never repaired), and ``skip`` for the
owner's row of a record gone from it. References are compared as the parents' global
ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from lockstep.config.entities import Entity, SyncStatus
from lockstep.core.plan import FieldChange, PlanItem
from lockstep.reconcile.compare import Held, Side, WriteBack, compare


def entity(**overrides: Any) -> Entity:
    """Customers: the app owns them, Salesforce (crm) owns the phone."""
    spec: dict[str, Any] = {
        "owner": "app",
        "field_owners": {"phone": "crm"},
        "fields": {"name": "string", "phone": "string", "units": "integer"},
        "bindings": {
            "app": {"table": "customers", "fields": {"name": "name", "phone": "phone"}},
            "crm": {"object": "Account", "fields": {"name": "Name", "phone": "Phone"}},
        },
    }
    spec.update(overrides)
    return Entity.model_validate(spec)


CUSTOMER = entity()
CONTACT = Entity.model_validate(
    {
        "owner": "app",
        "fields": {"last_name": "string"},
        "references": {"account": "customer"},
        "bindings": {
            "app": {"table": "contacts", "fields": {"last_name": "last_name", "account": "cid"}},
            "crm": {"object": "Contact", "fields": {"last_name": "LastName", "account": "AccId"}},
        },
    }
)
NAMES = frozenset({"name", "phone"})
ACME = {"name": "Acme", "phone": "555-0001"}


def side(
    system: str,
    linked: Mapping[str, tuple[str, Mapping[str, Any]]] | None = None,
    unlinked: Sequence[tuple[str, Mapping[str, Any]]] = (),
    names: frozenset[str] = NAMES,
) -> Side:
    """``linked``: global id -> (native key, values); ``unlinked``: (key, values)."""
    return Side(
        system,
        {gid: Held(key, values, {}) for gid, (key, values) in (linked or {}).items()},
        [Held(key, values, {}) for key, values in unlinked],
        names,
    )


def sides(*found: Side) -> dict[str, Side]:
    return {s.system: s for s in found}


def by_target(items: list[PlanItem]) -> dict[tuple[str | None, str], PlanItem]:
    """The items by (global id, target system), each once."""
    out = {(i.global_id, i.target): i for i in items}
    assert len(out) == len(items), items
    return out


# -- agreement ---------------------------------------------------------------------------


def test_records_that_agree_are_unchanged_in_every_system() -> None:
    found = compare(
        "customer",
        CUSTOMER,
        sides(side("app", {"G1": ("1", ACME)}), side("crm", {"G1": ("001A", ACME)})),
    )

    assert found == [
        PlanItem("customer", "app", "app", "1", "unchanged", "G1", "1"),
        PlanItem("customer", "app", "crm", "1", "unchanged", "G1", "001A"),
    ]


def test_values_are_compared_by_meaning_of_their_type() -> None:
    customer = entity(
        bindings={
            "app": {"table": "c", "fields": {"name": "name", "phone": "phone", "units": "u"}},
            "crm": {"object": "A", "fields": {"name": "Name", "phone": "Phone", "units": "U"}},
        }
    )
    names = frozenset({"name", "phone", "units"})
    app = {"name": "Acme", "phone": None, "units": 3}
    crm = {"name": "Acme", "phone": "", "units": Decimal("3.0")}  # Salesforce's spelling

    found = compare(
        "customer",
        customer,
        sides(
            side("app", {"G1": ("1", app)}, names=names),
            side("crm", {"G1": ("X", crm)}, names=names),
        ),
    )

    assert [i.action for i in found] == ["unchanged", "unchanged"]


def test_global_ids_are_in_order_and_each_has_a_row_per_system() -> None:
    found = compare(
        "customer",
        CUSTOMER,
        sides(
            side("app", {"G2": ("2", ACME), "G1": ("1", ACME)}),
            side("crm", {"G1": ("A1", ACME), "G2": ("A2", ACME)}),
        ),
    )

    assert [(i.global_id, i.target, i.target_key) for i in found] == [
        ("G1", "app", "1"),
        ("G1", "crm", "A1"),
        ("G2", "app", "2"),
        ("G2", "crm", "A2"),
    ]


# -- owners ------------------------------------------------------------------------------


def test_a_value_the_owner_does_not_hold_is_an_update_towards_the_owners() -> None:
    found = by_target(
        compare(
            "customer",
            CUSTOMER,
            sides(
                side("app", {"G1": ("1", ACME)}),
                side("crm", {"G1": ("A1", {**ACME, "name": "Renamed in Salesforce"})}),
            ),
        )
    )

    assert found[("G1", "app")].action == "unchanged"
    crm = found[("G1", "crm")]
    assert (crm.action, crm.reason, crm.source, crm.source_key, crm.target_key) == (
        "update",
        "differs from app",
        "app",
        "1",
        "A1",
    )
    assert crm.changes == (FieldChange("name", "Renamed in Salesforce", "Acme"),)


def test_a_field_owned_elsewhere_is_compared_with_its_field_owner() -> None:
    found = by_target(
        compare(
            "customer",
            CUSTOMER,
            sides(
                side("app", {"G1": ("1", {**ACME, "phone": "555-APP"})}),
                side("crm", {"G1": ("A1", ACME)}),
            ),
        )
    )

    app = found[("G1", "app")]
    assert (app.action, app.reason, app.target_key) == ("update", "differs from crm", "1")
    assert app.changes == (FieldChange("phone", "555-APP", "555-0001"),)
    assert found[("G1", "crm")].action == "unchanged"  # the app's phone is not crm's truth


def test_without_field_owners_the_entitys_owner_holds_every_value() -> None:
    found = by_target(
        compare(
            "customer",
            entity(field_owners={}),
            sides(
                side("app", {"G1": ("1", {**ACME, "phone": "555-APP"})}),
                side("crm", {"G1": ("A1", ACME)}),
            ),
        )
    )

    assert found[("G1", "app")].action == "unchanged"
    crm = found[("G1", "crm")]
    assert crm.action == "update"
    assert crm.changes == (FieldChange("phone", "555-0001", "555-APP"),)


def test_an_entity_salesforce_owns_is_compared_with_salesforce() -> None:
    contract = entity(owner="crm", field_owners={})
    found = by_target(
        compare(
            "contract",
            contract,
            sides(
                side("crm", {"G1": ("A1", ACME)}),
                side("app", {"G1": ("7", {"name": "Edited copy", "phone": "555-0001"})}),
            ),
        )
    )

    app = found[("G1", "app")]
    assert (app.action, app.source, app.source_key, app.reason) == (
        "update",
        "crm",
        "A1",
        "differs from crm",
    )
    assert app.changes == (FieldChange("name", "Edited copy", "Acme"),)
    assert found[("G1", "crm")].action == "unchanged"


def test_both_sides_drifting_on_one_record_give_an_update_in_each() -> None:
    found = by_target(
        compare(
            "customer",
            CUSTOMER,
            sides(
                side("app", {"G1": ("1", {"name": "Acme", "phone": "555-APP"})}),
                side("crm", {"G1": ("A1", {"name": "Renamed", "phone": "555-0001"})}),
            ),
        )
    )

    assert found[("G1", "app")].changes == (FieldChange("phone", "555-APP", "555-0001"),)
    assert found[("G1", "crm")].changes == (FieldChange("name", "Renamed", "Acme"),)


def test_each_differing_field_is_listed_in_order_with_every_owner_named() -> None:
    three = entity(
        fields={"name": "string", "phone": "string", "email": "string"},
        field_owners={"phone": "crm", "email": "erp"},
        bindings={
            "app": {"table": "c", "fields": {"name": "n", "phone": "p", "email": "e"}},
            "crm": {"object": "A", "fields": {"name": "Name", "phone": "Phone", "email": "E"}},
            "erp": {"table": "k", "fields": {"name": "n", "phone": "p", "email": "e"}},
        },
    )
    names = frozenset({"name", "phone", "email"})
    truth = {"name": "Acme", "phone": "1", "email": "a@acme.test"}
    found = by_target(
        compare(
            "customer",
            three,
            sides(
                side("app", {"G1": ("1", truth)}, names=names),
                side("crm", {"G1": ("A1", truth)}, names=names),
                side(
                    "erp",
                    {"G1": ("E1", {"name": "X", "phone": "2", "email": "a@acme.test"})},
                    names=names,
                ),
            ),
        )
    )

    erp = found[("G1", "erp")]
    assert (erp.action, erp.reason) == ("update", "differs from app, crm")
    assert erp.changes == (FieldChange("name", "X", "Acme"), FieldChange("phone", "2", "1"))
    assert found[("G1", "app")].action == found[("G1", "crm")].action == "unchanged"


def test_a_field_its_owner_does_not_bind_is_not_compared() -> None:
    # the app owns the email but does not store it: there is nothing to compare with
    customer = entity(
        fields={"name": "string", "phone": "string", "email": "string"},
        bindings={
            "app": {"table": "c", "fields": {"name": "name", "phone": "phone"}},
            "crm": {"object": "A", "fields": {"name": "Name", "phone": "Phone", "email": "E"}},
        },
    )
    found = compare(
        "customer",
        customer,
        sides(
            side("app", {"G1": ("1", ACME)}),
            side(
                "crm",
                {"G1": ("A1", {**ACME, "email": "only@crm.test"})},
                names=frozenset({"name", "phone", "email"}),
            ),
        ),
    )

    assert [i.action for i in found] == ["unchanged", "unchanged"]


# -- missing -----------------------------------------------------------------------------


def test_a_record_missing_in_a_system_that_does_not_own_it_is_created_there() -> None:
    found = by_target(
        compare(
            "customer",
            CUSTOMER,
            sides(side("app", {"G1": ("1", ACME)}), side("crm", {})),
        )
    )

    crm = found[("G1", "crm")]
    assert (crm.action, crm.reason, crm.source, crm.source_key, crm.target_key) == (
        "create",
        "missing in crm",
        "app",
        "1",
        None,
    )
    # the app's phone has no crm value to compare with: not an update
    assert found[("G1", "app")].action == "unchanged"


GONE = "gone from app, which owns it: --apply leaves it here (delete it, or restore it in app)"
NOT_LINKED = (
    "not linked: lockstep neither created nor matched it, and app, which owns it, "
    "does not have it: --apply leaves it here"
)


def test_a_record_gone_from_its_owner_is_extra_elsewhere_and_never_restored() -> None:
    """A record only in a system that does not own it is a difference (``extra``),
    which --apply leaves for a person: it may be one that came back after its owner
    deleted it."""
    found = by_target(
        compare(
            "customer",
            CUSTOMER,
            sides(
                side("app", {}),
                side("crm", {"G1": ("A1", {"name": "Still here", "phone": "555-0001"})}),
            ),
        )
    )

    app = found[("G1", "app")]
    assert (app.action, app.reason, app.target_key) == (
        "skip",
        "gone from app, which owns it: not restored",
        None,
    )
    crm = found[("G1", "crm")]
    assert (crm.action, crm.reason, crm.target_key) == ("extra", GONE, "A1")
    assert crm.changes == ()


def test_a_record_gone_from_salesforce_that_owns_it_is_extra_in_the_apps_copy() -> None:
    contract = entity(owner="crm", field_owners={})
    found = by_target(
        compare("contract", contract, sides(side("crm", {}), side("app", {"G1": ("7", ACME)})))
    )

    assert found[("G1", "crm")].action == "skip"
    assert found[("G1", "crm")].reason == "gone from crm, which owns it: not restored"
    assert (found[("G1", "app")].action, found[("G1", "app")].reason) == (
        "extra",
        "gone from crm, which owns it: --apply leaves it here (delete it, or restore it in crm)",
    )


# -- unlinked records --------------------------------------------------------------------


def test_a_record_the_owner_holds_that_was_never_synced_is_created_in_the_others() -> None:
    three = entity(
        field_owners={},
        bindings={
            "app": {"table": "c", "fields": {"name": "name", "phone": "phone"}},
            "crm": {"object": "A", "fields": {"name": "Name", "phone": "Phone"}},
            "erp": {"table": "k", "fields": {"name": "n", "phone": "p"}},
        },
    )
    found = compare(
        "customer",
        three,
        sides(
            side("app", {"G1": ("1", ACME)}, unlinked=[("9", {"name": "New", "phone": None})]),
            side("crm", {"G1": ("A1", ACME)}),
            side("erp", {"G1": ("E1", ACME)}),
        ),
    )

    assert found[-2:] == [  # the unlinked ones last
        PlanItem("customer", "app", "crm", "9", "create", reason="never synced from app"),
        PlanItem("customer", "app", "erp", "9", "create", reason="never synced from app"),
    ]
    assert [i.action for i in found[:-2]] == ["unchanged"] * 3


def test_a_record_never_linked_in_a_system_that_owns_nothing_is_extra() -> None:
    found = compare(
        "customer",
        entity(field_owners={}),
        sides(side("app", {"G1": ("1", ACME)}), side("crm", {"G1": ("A1", ACME)}, [("A9", ACME)])),
    )

    assert found[-1] == PlanItem("customer", "crm", "crm", "A9", "extra", reason=NOT_LINKED)
    assert len(found) == 3


def test_a_record_never_linked_in_a_system_owning_only_some_fields_is_extra() -> None:
    found = compare(
        "customer",
        CUSTOMER,  # crm owns the phone, the app the record
        sides(side("app", {}), side("crm", {}, [("A9", ACME)])),
    )

    assert found == [
        PlanItem(
            "customer",
            "crm",
            "crm",
            "A9",
            "extra",
            reason=NOT_LINKED,
        )
    ]


def test_a_record_deleted_in_its_owner_that_came_back_elsewhere_is_extra() -> None:
    app = side("app", {"G1": ("1", ACME)})
    crm = replace(side("crm", {"G1": ("A1", ACME)}, [("A9", ACME)]), buried=frozenset({"A9"}))

    found = compare("customer", entity(field_owners={}), sides(app, crm))

    assert found[-1] == PlanItem(
        "customer",
        "crm",
        "crm",
        "A9",
        "extra",
        reason="deleted in app, which owns it: --apply leaves it here",
    )


def test_a_record_that_never_reached_its_owner_is_created_there_from_where_it_is() -> None:
    """seed 000: a Case entered in Salesforce whose creation in the app failed: the
    ledger links it in crm only, so the app's row is a create from crm (--apply
    carries it again), and crm's row waits for it."""
    app = replace(side("app", {}), known=frozenset())
    crm = replace(side("crm", {"G1": ("A1", ACME)}), known=frozenset({"G1"}))

    found = by_target(compare("customer", entity(field_owners={}), sides(app, crm)))

    assert found[("G1", "app")] == PlanItem(
        "customer",
        "crm",
        "app",
        "A1",
        "create",
        "G1",
        None,
        "missing in app: never carried from crm",
    )
    assert found[("G1", "crm")] == PlanItem(
        "customer", "crm", "crm", "A1", "skip", "G1", "A1", "not in app yet (see its create)"
    )


# -- the sync status ----------------------------------------------------------------------

STATUS = SyncStatus(field="sync_status", reason="sync_error")


def status_side(
    system: str, house: Mapping[str, Any], queued: frozenset[str] = frozenset()
) -> Side:
    return Side(
        system,
        {"G1": Held("A1", ACME, house)},
        [],
        NAMES,
        house=WriteBack(status=STATUS),
        queued=queued,
    )


@pytest.mark.parametrize(
    ("house", "changes"),
    [
        ({"sync_status": "Success", "sync_error": None}, ()),
        ({"sync_status": "Success", "sync_error": ""}, ()),
        ({}, (FieldChange("sync_status", None, "Success"),)),
        (
            {"sync_status": "Failed", "sync_error": "INVALID: no subject"},
            (
                FieldChange("sync_error", "INVALID: no subject", None),
                FieldChange("sync_status", "Failed", "Success"),
            ),
        ),
        ({"sync_status": "In Progress"}, (FieldChange("sync_status", "In Progress", "Success"),)),
    ],
)
def test_a_record_that_agrees_is_expected_to_say_success_and_no_reason(
    house: Mapping[str, Any], changes: tuple[FieldChange, ...]
) -> None:
    found = by_target(
        compare(
            "customer",
            entity(field_owners={}),
            sides(side("app", {"G1": ("1", ACME)}), status_side("crm", house)),
        )
    )

    crm = found[("G1", "crm")]
    assert crm.changes == changes
    assert crm.action == ("update" if changes else "unchanged")
    assert crm.reason == ("write-back missing" if changes else "")


def test_a_record_with_a_change_in_the_queue_may_say_in_progress() -> None:
    crm = status_side("crm", {"sync_status": "In Progress"}, queued=frozenset({"A1"}))

    found = by_target(
        compare("customer", entity(field_owners={}), sides(side("app", {"G1": ("1", ACME)}), crm))
    )

    assert found[("G1", "crm")].action == "unchanged"


# -- references --------------------------------------------------------------------------

CONTACT_NAMES = frozenset({"last_name", "account"})


def contacts(
    app: Mapping[str, Any], crm: Mapping[str, Any]
) -> dict[tuple[str | None, str], PlanItem]:
    return by_target(
        compare(
            "contact",
            CONTACT,
            sides(
                side("app", {"C1": ("10", {"last_name": "Lee", **app})}, names=CONTACT_NAMES),
                side("crm", {"C1": ("003A", {"last_name": "Lee", **crm})}, names=CONTACT_NAMES),
            ),
        )
    )


def test_a_lookup_to_the_same_parent_is_unchanged_whatever_the_native_ids() -> None:
    # the parents' global ids are what the sides hold; native ids never reach compare
    found = contacts({"account": "G-ACME"}, {"account": "G-ACME"})

    assert {k: i.action for k, i in found.items()} == {
        ("C1", "app"): "unchanged",
        ("C1", "crm"): "unchanged",
    }


def test_a_lookup_to_another_parent_is_an_update_of_the_reference() -> None:
    found = contacts({"account": "G-ACME"}, {"account": "G-GLOBEX"})

    crm = found[("C1", "crm")]
    assert (crm.action, crm.reason) == ("update", "differs from app")
    assert crm.changes == (FieldChange("account", "G-GLOBEX", "G-ACME"),)


def test_a_lookup_to_a_parent_lockstep_never_linked_differs_from_any_global_id() -> None:
    found = contacts({"account": "G-ACME"}, {"account": "?001STRAY"})

    assert found[("C1", "crm")].changes == (FieldChange("account", "?001STRAY", "G-ACME"),)


@pytest.mark.parametrize(("app", "crm"), [(None, "G-ACME"), ("G-ACME", None)])
def test_a_lookup_set_on_one_side_only_is_an_update(app: str | None, crm: str | None) -> None:
    found = contacts({"account": app}, {"account": crm})

    assert found[("C1", "crm")].changes == (FieldChange("account", crm, app),)


def test_an_empty_lookup_on_both_sides_is_unchanged() -> None:
    found = contacts({"account": None}, {"account": ""})

    assert found[("C1", "crm")].action == "unchanged"
