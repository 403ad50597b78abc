"""What one change means, decided without I/O: ``accept`` (ownership and conflicts),
``to_write`` (what each other system gets), ``locked`` (the lock rule over the golden
record and its parents) and ``print_of`` (the fingerprint echo suppression compares)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lockstep.config.entities import Entity
from lockstep.core.plan import FieldChange
from lockstep.expr import parse
from lockstep.mapping.lock import locked
from lockstep.mapping.ownership import owner_of, print_of
from lockstep.sync.decide import Accepted, accept, to_write


def entity(**overrides: Any) -> Entity:
    """Customers: the app owns them, Salesforce owns the phone."""
    spec: dict[str, Any] = {
        "owner": "app",
        "field_owners": {"phone": "crm"},
        "fields": {"name": "string", "phone": "string", "units": "integer"},
        "references": {"account": "company"},
        "bindings": {
            "app": {"table": "customers", "fields": {"name": "name", "phone": "phone"}},
            "crm": {"object": "Account", "fields": {"name": "Name", "phone": "Phone"}},
        },
    }
    spec.update(overrides)
    return Entity.model_validate(spec)


CUSTOMER = entity()
GOLDEN = {"name": "Acme", "phone": "555-0001", "units": 3, "account": "G-PARENT"}
BOTH = frozenset({"app", "crm"})  # the systems that hold the record


# -- owner_of ----------------------------------------------------------------------------


def test_a_field_belongs_to_its_field_owner_else_to_the_entitys_owner() -> None:
    assert owner_of(CUSTOMER, "phone") == "crm"
    assert owner_of(CUSTOMER, "name") == "app"
    assert owner_of(CUSTOMER, "account") == "app"


# -- accept ------------------------------------------------------------------------------


def test_a_new_record_takes_every_value_even_from_a_system_that_owns_none() -> None:
    incoming = {"name": "Acme", "phone": "555-0001"}

    result = accept(CUSTOMER, "crm", incoming, None, holders={"crm"})

    assert result == Accepted(incoming, frozenset({"name", "phone"}), ())


def test_the_owner_changes_its_own_fields() -> None:
    result = accept(CUSTOMER, "app", {"name": "Acme Ltd", "units": 3}, GOLDEN, holders=BOTH)

    assert result.merged == {**GOLDEN, "name": "Acme Ltd"}
    assert result.changed == {"name"}  # units is the same: not a change
    assert result.conflicts == ()


def test_a_value_offered_for_a_field_owned_elsewhere_is_a_conflict_and_is_not_taken() -> None:
    result = accept(CUSTOMER, "crm", {"name": "Renamed", "phone": "555-9999"}, GOLDEN, holders=BOTH)

    assert result.merged == {**GOLDEN, "phone": "555-9999"}  # crm owns the phone only
    assert result.changed == {"phone"}
    assert result.conflicts == (FieldChange("name", "Acme", "Renamed"),)


def test_the_field_owner_wins_over_the_entitys_owner() -> None:
    result = accept(CUSTOMER, "app", {"name": "Acme", "phone": "555-1234"}, GOLDEN, holders=BOTH)

    assert result.merged == GOLDEN
    assert result.changed == frozenset()
    assert result.conflicts == (FieldChange("phone", "555-0001", "555-1234"),)


def test_an_equal_value_from_a_non_owner_is_no_conflict() -> None:
    """What an echo looks like: a system sends back what it was given."""
    result = accept(CUSTOMER, "crm", {"name": "Acme", "phone": "555-0001"}, GOLDEN, holders=BOTH)

    assert result == Accepted(GOLDEN, frozenset(), ())


def test_values_compare_by_meaning_for_their_kind() -> None:
    golden = {"name": None, "phone": "555-0001", "units": 3}

    owner = accept(CUSTOMER, "app", {"name": "", "units": Decimal("3.0")}, golden, holders=BOTH)
    other = accept(CUSTOMER, "crm", {"name": "", "units": 3.0}, golden, holders=BOTH)

    assert owner.changed == frozenset() and owner.conflicts == ()
    assert other.changed == frozenset() and other.conflicts == ()


def test_a_reference_changed_by_a_system_that_does_not_own_it_is_a_conflict() -> None:
    result = accept(CUSTOMER, "crm", {"account": "G-OTHER"}, GOLDEN, holders=BOTH)

    assert result.merged == GOLDEN
    assert result.conflicts == (FieldChange("account", "G-PARENT", "G-OTHER"),)


def test_last_writer_wins_takes_every_value_without_conflict() -> None:
    lww = entity(conflict="last_writer_wins")

    result = accept(lww, "crm", {"name": "Renamed", "phone": "555-9999"}, GOLDEN, holders=BOTH)

    assert result.merged == {**GOLDEN, "name": "Renamed", "phone": "555-9999"}
    assert result.changed == {"name", "phone"}
    assert result.conflicts == ()


def test_fields_the_change_does_not_carry_keep_the_golden_value() -> None:
    result = accept(CUSTOMER, "app", {"units": 4}, GOLDEN, holders=BOTH)

    assert result.merged == {**GOLDEN, "units": 4}
    assert result.changed == {"units"}


def test_a_field_the_golden_record_lacks_is_a_change() -> None:
    result = accept(CUSTOMER, "app", {"name": "Acme", "units": 1}, {"name": "Acme"}, holders=BOTH)

    assert result.changed == {"units"}


def test_accept_leaves_its_inputs_alone() -> None:
    golden = dict(GOLDEN)
    incoming = {"name": "Renamed", "phone": "555-9999"}

    accept(CUSTOMER, "crm", incoming, golden, holders=BOTH)

    assert golden == GOLDEN
    assert incoming == {"name": "Renamed", "phone": "555-9999"}


# -- to_write ----------------------------------------------------------------------------

ACCEPTED = Accepted(GOLDEN, frozenset({"name", "units"}), ())


def test_a_system_in_step_gets_only_what_changed_and_it_binds() -> None:
    assert to_write(ACCEPTED, {"name", "phone"}, exists=True, behind=False) == {"name"}


def test_nothing_to_write_when_nothing_it_binds_changed() -> None:
    assert to_write(ACCEPTED, {"phone", "account"}, exists=True, behind=False) == frozenset()


@pytest.mark.parametrize(("exists", "behind"), [(False, False), (True, True), (False, True)])
def test_a_new_record_or_a_system_behind_gets_every_field_it_binds(
    exists: bool, behind: bool
) -> None:
    fields = to_write(ACCEPTED, {"name", "phone", "account"}, exists=exists, behind=behind)

    assert fields == {"name", "phone", "account"}


def test_a_bound_name_the_golden_record_lacks_is_not_written() -> None:
    accepted = Accepted({"name": "Acme"}, frozenset({"name"}), ())

    assert to_write(accepted, {"name", "phone"}, exists=False, behind=False) == {"name"}


# -- locked ------------------------------------------------------------------------------

FULFILLED = parse("contract.status == 'Fulfilled'")
USAGE = {"ad_name": "ad 7", "units": 1, "contract": "G-CONTRACT"}


def test_no_rule_or_no_golden_record_locks_nothing() -> None:
    assert not locked(None, USAGE, {"contract": {"status": "Fulfilled"}})
    assert not locked(FULFILLED, None, {"contract": {"status": "Fulfilled"}})


@pytest.mark.parametrize(
    ("parent", "expected"),
    [
        ({"status": "Fulfilled"}, True),
        ({"status": "Active"}, False),
        ({"status": None}, False),
        ({}, False),  # the parent's golden record is not known
    ],
)
def test_the_rule_reads_the_parents_golden_record(parent: dict[str, Any], expected: bool) -> None:
    assert locked(FULFILLED, USAGE, {"contract": parent}) is expected


def test_the_rule_reads_the_records_own_fields() -> None:
    big = parse("units > 5")

    assert locked(big, {**USAGE, "units": 6}, {})
    assert not locked(big, USAGE, {})


def test_the_parent_replaces_the_reference_value_of_the_golden_record() -> None:
    """In the golden record ``contract`` is a global id; the rule sees the parent."""
    assert not locked(parse("contract == 'G-CONTRACT'"), USAGE, {"contract": {"x": 1}})


# -- print_of ----------------------------------------------------------------------------


def test_a_fingerprint_sees_only_what_the_system_binds() -> None:
    names = {"name", "phone"}

    assert print_of(GOLDEN, names) == print_of({"phone": "555-0001", "name": "Acme"}, names)
    assert print_of(GOLDEN, names) == print_of({**GOLDEN, "units": 99}, names)
    assert print_of(GOLDEN, names) != print_of({**GOLDEN, "phone": "555-0002"}, names)


def test_a_fingerprint_compares_numbers_by_value() -> None:
    names = {"units"}

    assert print_of({"units": 1}, names) == print_of({"units": 1.0}, names)
    assert print_of({"units": 1}, names) == print_of({"units": Decimal("1.00")}, names)
    assert print_of({"units": 1}, names) != print_of({"units": "1"}, names)


def test_a_field_whose_owner_does_not_hold_the_record_is_taken_from_another_system() -> None:
    # the app created the record; Salesforce (which owns phone) refused it: the app's
    # corrected phone is taken, not refused as a non-owner's value
    result = accept(CUSTOMER, "app", {"phone": "555-0002"}, GOLDEN, holders={"app"})
    assert result.merged["phone"] == "555-0002" and result.conflicts == ()

    held = accept(CUSTOMER, "app", {"phone": "555-0002"}, GOLDEN, holders=BOTH)
    assert held.merged["phone"] == GOLDEN["phone"] and len(held.conflicts) == 1
