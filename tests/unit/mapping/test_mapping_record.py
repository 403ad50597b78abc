"""Reader, writer and diff over a small entity bound to a Salesforce object and a table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from lockstep.config.entities import Entity
from lockstep.core.plan import FieldChange
from lockstep.mapping.errors import MappingError
from lockstep.mapping.record import Canonical, compile_reader, compile_writer, diff

T = "lockstep_mapping_transforms"


def customer(crm_fields: dict[str, Any], **extra: Any) -> Entity:
    return Entity.model_validate(
        {
            "fields": {
                "name": {"type": "string", "required": True},
                "tier": "string",
                "revenue": "decimal",
                "seats": "integer",
                "active": "boolean",
                "since": "date",
                "seen": "datetime",
                "region": "string",
            },
            "references": {
                "parent": "customer",
                "owner": {"entity": "user", "required": True},
            },
            "bindings": {"crm": {"object": "Account", "fields": crm_fields}},
            "owner": "crm",
            **extra,
        }
    )


BASIC = customer(
    {
        "name": "Name",
        "tier": {"field": "Tier__c", "values": {"gold": "Gold", "silver": "Silver"}},
        "revenue": "AnnualRevenue",
        "seats": "Seats__c",
        "active": "Active__c",
        "since": "Since__c",
        "seen": "LastSeen__c",
        "parent": "ParentId",
    }
)
ROW = {
    "Id": "001000000000001AAA",
    "Name": "Acme",
    "Tier__c": "Gold",
    "AnnualRevenue": 1000.5,
    "Seats__c": 12.0,
    "Active__c": True,
    "Since__c": date(2020, 5, 1),
    "LastSeen__c": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    "ParentId": "001000000000002AAA",
}


def read(entity: Entity, row: dict[str, Any]) -> Canonical:
    return compile_reader(entity, entity.bindings["crm"]).read(row)


# -- reading ----------------------------------------------------------------------------


def test_read_maps_and_coerces_every_field() -> None:
    got = read(BASIC, ROW)
    assert got == Canonical(
        values={
            "name": "Acme",
            "tier": "gold",
            "revenue": Decimal("1000.5"),
            "seats": 12,
            "active": True,
            "since": date(2020, 5, 1),
            "seen": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        },
        refs={"parent": "001000000000002AAA"},
    )
    assert got.ok


def test_fields_not_bound_are_absent_and_unmapped_row_keys_ignored() -> None:
    got = read(BASIC, {**ROW, "Other__c": "x"})
    assert "region" not in got.values
    assert "owner" not in got.refs
    assert "Other__c" not in got.values


def test_row_keys_match_the_config_without_case() -> None:
    entity = customer({"name": "name", "tier": {"field": "TIER__C", "values": {"gold": "Gold"}}})
    reader = compile_reader(entity, entity.bindings["crm"])
    for _ in range(2):  # the second time from the cached plan
        got = reader.read({"Name": "Acme", "Tier__c": "Gold"})
        assert got.values == {"name": "Acme", "tier": "gold"}
    assert reader.read({"NAME": "Other"}).values == {"name": "Other"}


def test_an_exact_key_wins_over_one_differing_in_case() -> None:
    entity = customer({"name": "name"})
    assert read(entity, {"Name": "wrong", "name": "right"}).values == {"name": "right"}


def test_a_field_missing_from_the_row_is_absent_not_none() -> None:
    got = read(BASIC, {"Id": "001", "Tier__c": "Silver"})
    assert got.values == {"tier": "silver"}
    assert got.problems == ()  # 'name' is required but not in this (partial) row


def test_value_map_reads_in_reverse_without_case() -> None:
    assert read(BASIC, {**ROW, "Tier__c": "SILVER"}).values["tier"] == "silver"
    assert read(BASIC, {**ROW, "Tier__c": None}).values["tier"] is None
    assert read(BASIC, {**ROW, "Tier__c": ""}).values["tier"] is None


def test_a_native_value_missing_from_the_value_map_is_a_problem() -> None:
    got = read(BASIC, {**ROW, "Tier__c": "Platinum"})
    assert got.problems == ("value 'Platinum' of Tier__c has no canonical value in the value map",)
    assert not got.ok
    assert "tier" not in got.values


def test_value_map_with_numbers_and_a_null() -> None:
    entity = customer({"tier": {"field": "tier_code", "values": {"gold": 1, "none": None}}})
    assert read(entity, {"tier_code": 1}).values == {"tier": "gold"}
    assert read(entity, {"tier_code": Decimal("1")}).values == {"tier": "gold"}
    assert read(entity, {"tier_code": None}).values == {"tier": "none"}


def test_value_map_output_is_coerced_to_the_canonical_type() -> None:
    entity = customer({"active": {"field": "Status", "values": {"true": "On", "false": "Off"}}})
    assert read(entity, {"Status": "on"}).values == {"active": True}


def test_uncoercible_values_are_problems_naming_the_field() -> None:
    got = read(BASIC, {**ROW, "AnnualRevenue": "lots", "Seats__c": "1.5"})
    assert got.problems == (
        "AnnualRevenue: cannot read 'lots' (str) as decimal",
        "Seats__c: cannot read '1.5' (str) as integer without losing its fraction",
    )


def test_required_fields_and_references() -> None:
    entity = customer({"name": "Name", "owner": "OwnerId"})
    assert read(entity, {"Name": "", "OwnerId": None}).problems == (
        "required field 'name' is empty",
        "required reference 'owner' is empty",
    )
    assert read(entity, {"Name": "Acme", "OwnerId": "005A"}).ok


def test_references_are_native_ids_as_text() -> None:
    entity = customer({"parent": "parent_id"})
    assert read(entity, {"parent_id": 17}).refs == {"parent": "17"}
    assert read(entity, {"parent_id": ""}).refs == {"parent": None}
    assert read(entity, {"parent_id": None}).refs == {"parent": None}


def test_from_native_runs_before_coercion_and_never_on_none() -> None:
    entity = customer({"revenue": {"field": "cents", "from_native": f"{T}:cents_to_units"}})
    assert read(entity, {"cents": 12345}).values == {"revenue": Decimal("123.45")}
    assert read(entity, {"cents": None}).values == {"revenue": None}


def test_a_failing_from_native_is_a_problem_naming_the_transform() -> None:
    entity = customer({"name": {"field": "Name", "from_native": f"{T}:explode"}})
    (problem,) = read(entity, {"Name": "Acme"}).problems
    assert problem == (
        f"Name: transform '{T}:explode' failed on 'Acme' (str): ValueError: no thanks"
    )


def test_a_constant_without_a_field_is_the_canonical_value() -> None:
    entity = customer({"name": "Name", "region": {"constant": "EU"}})
    assert read(entity, {"Name": "Acme"}).values == {"name": "Acme", "region": "EU"}


def test_read_only_and_constant_fields_with_a_field_are_read() -> None:
    entity = customer(
        {
            "name": {"field": "Name", "read_only": True},
            "region": {"field": "Region__c", "constant": "EU"},
        }
    )
    got = read(entity, {"Name": "Acme", "Region__c": "US"})
    assert got.values == {"name": "Acme", "region": "US"}


def test_native_id() -> None:
    reader = compile_reader(BASIC, BASIC.bindings["crm"])
    assert reader.native_id({"ID": "001A", "Name": "x"}) == "001A"
    assert reader.native_id({"Name": "x"}) is None
    table = Entity.model_validate(
        {"fields": {"name": "string"}, "owner": "app", "bindings": {"app": {"table": "t"}}}
    )
    assert compile_reader(table, table.bindings["app"]).native_id({"id": 17}) == "17"


def test_canonical_is_frozen() -> None:
    got = read(BASIC, ROW)
    with pytest.raises(AttributeError):
        got.problems = ("x",)  # type: ignore[misc]


def test_a_binding_naming_an_unknown_field_or_transform_does_not_compile() -> None:
    entity = customer({"name": {"field": "Name", "to_native": "no_such_module:f"}})
    with pytest.raises(MappingError, match="cannot load transform 'no_such_module:f'"):
        compile_writer(entity, entity.bindings["crm"])
    entity = customer({"name": {"field": "Name", "from_native": f"{T}:NOT_CALLABLE"}})
    with pytest.raises(MappingError, match="is not callable"):
        compile_reader(entity, entity.bindings["crm"])


# -- writing ----------------------------------------------------------------------------

VALUES = read(BASIC, ROW).values
REFS = {"parent": "001000000000002AAA"}


def write(
    entity: Entity, values: dict[str, Any], refs: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    kw.setdefault("creating", False)
    return compile_writer(entity, entity.bindings["crm"]).write(values, refs, **kw)


def test_write_maps_every_field_and_reference() -> None:
    assert write(BASIC, dict(VALUES), REFS) == {
        "Name": "Acme",
        "Tier__c": "Gold",
        "AnnualRevenue": Decimal("1000.5"),
        "Seats__c": 12,
        "Active__c": True,
        "Since__c": date(2020, 5, 1),
        "LastSeen__c": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "ParentId": "001000000000002AAA",
    }


def test_read_then_write_gives_the_row_back() -> None:
    written = write(BASIC, dict(VALUES), REFS)
    assert read(BASIC, written).values == VALUES


def test_value_map_writes_without_case_and_refuses_a_miss() -> None:
    assert write(BASIC, {"tier": "GOLD"}, {}) == {"Tier__c": "Gold"}
    with pytest.raises(MappingError) as caught:
        write(BASIC, {"tier": "diamond"}, {})
    assert str(caught.value) == "value 'diamond' of field 'tier' is not in the value map of Tier__c"


def test_value_map_keys_serve_canonical_booleans() -> None:
    entity = customer({"active": {"field": "Status", "values": {"true": "On", "false": "Off"}}})
    assert write(entity, {"active": False}, {}) == {"Status": "Off"}


def test_none_is_written_on_update_and_left_out_on_create() -> None:
    assert write(BASIC, {"name": "Acme", "tier": None}, {"parent": None}) == {
        "Name": "Acme",
        "Tier__c": None,
        "ParentId": None,
    }
    got = write(BASIC, {"name": "Acme", "tier": None}, {"parent": None}, creating=True)
    assert got == {"Name": "Acme"}


def test_absent_values_are_not_written() -> None:
    assert write(BASIC, {"name": "Acme"}, {}) == {"Name": "Acme"}


def test_only_limits_fields_and_references() -> None:
    got = write(BASIC, dict(VALUES), REFS, only=["seats", "parent"])
    assert got == {"Seats__c": 12, "ParentId": "001000000000002AAA"}


def test_constants_are_written_on_create_and_update_whatever_only_says() -> None:
    entity = customer({"name": "Name", "region": {"field": "Source__c", "constant": "lockstep"}})
    for creating in (True, False):
        got = write(entity, {"name": "Acme", "region": "US"}, {}, creating=creating)
        assert got == {"Name": "Acme", "Source__c": "lockstep"}
    assert write(entity, {"name": "Acme"}, {}, only=["name"]) == {
        "Name": "Acme",
        "Source__c": "lockstep",
    }


def test_a_constant_without_a_field_writes_nothing() -> None:
    entity = customer({"name": "Name", "region": {"constant": "EU"}})
    assert write(entity, {"name": "Acme", "region": "EU"}, {}) == {"Name": "Acme"}


def test_read_only_fields_are_not_written() -> None:
    entity = customer({"name": {"field": "Name", "read_only": True}, "seats": "Seats__c"})
    assert write(entity, {"name": "Acme", "seats": 3}, {}) == {"Seats__c": 3}


def test_to_native_then_type() -> None:
    entity = customer(
        {
            "revenue": {"field": "cents", "to_native": f"{T}:units_to_cents", "type": "string"},
            "parent": {"field": "parent_id", "type": "integer"},
        }
    )
    got = write(entity, {"revenue": Decimal("12.34")}, {"parent": "17"})
    assert got == {"cents": "1234", "parent_id": 17}
    assert write(entity, {"revenue": None}, {"parent": None}) == {"cents": None, "parent_id": None}


def test_write_errors_name_the_field() -> None:
    entity = customer({"seats": {"field": "Seats__c", "type": "integer"}})
    with pytest.raises(MappingError) as caught:
        write(entity, {"seats": "many"}, {})
    assert str(caught.value) == "field 'seats' (Seats__c): cannot read 'many' (str) as integer"
    entity = customer({"name": {"field": "Name", "to_native": f"{T}:explode"}})
    with pytest.raises(MappingError, match=f"field 'name' \\(Name\\): transform '{T}:explode'"):
        write(entity, {"name": "Acme"}, {})


def test_native_name() -> None:
    entity = customer(
        {
            "name": {"field": "Name", "read_only": True},
            "parent": "ParentId",
            "region": {"constant": "EU"},
        }
    )
    writer = compile_writer(entity, entity.bindings["crm"])
    assert writer.native_name("name") == "Name"
    assert writer.native_name("parent") == "ParentId"
    assert writer.native_name("region") is None
    assert writer.native_name("seats") is None


# -- diff -------------------------------------------------------------------------------


def test_diff_compares_by_kind() -> None:
    before = {"name": "", "revenue": Decimal("1.50"), "seats": 3, "seen": None, "parent": "001"}
    after = {"name": None, "revenue": 1.5, "seats": 4, "seen": "2026-01-02T03:04:05Z"}
    changes = diff(BASIC, before, {**after, "parent": "002"}, [*after, "parent", "tier"])
    assert changes == (
        FieldChange("seats", 3, 4),
        FieldChange("seen", None, "2026-01-02T03:04:05Z"),
        FieldChange("parent", "001", "002"),
    )


def test_diff_takes_a_field_missing_before_as_none() -> None:
    assert diff(BASIC, {}, {"seats": 1}, ["seats"]) == (FieldChange("seats", None, 1),)
    assert diff(BASIC, {}, {"name": ""}, ["name"]) == ()


def test_diff_refuses_an_unknown_field() -> None:
    with pytest.raises(MappingError, match="'colour' is neither a field nor a reference"):
        diff(BASIC, {}, {"colour": "red"}, ["colour"])


def test_a_constant_that_is_not_of_the_canonical_type_does_not_compile() -> None:
    entity = customer({"seats": {"constant": "many"}})
    with pytest.raises(MappingError, match="the constant of 'seats': cannot read 'many'"):
        compile_reader(entity, entity.bindings["crm"])
