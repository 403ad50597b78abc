"""The ``--schema`` file: a good file becomes the specs the schema builder expects, and
each kind of mistake is reported with its exact place in the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lockstep_emulator.schema.build import ObjectSpec, build_schema, merge
from lockstep_emulator.schema.builtins import BUILTINS
from lockstep_emulator.schema.loader import SchemaFileError, load_schema_file, parse_schema
from lockstep_emulator.schema.model import FieldType, Rollup, ValidationRule

GOOD = """\
objects:
  Contract__c:
    label: Contract
    plural_label: Contracts
    fields:
      Status__c:
        type: picklist
        values: [Draft, Active, Fulfilled]
        restricted: true
        default: Draft
      External_Id__c: {type: string, length: 80, external_id: true, unique: true}
      Account__c: {type: reference, to: account, relationship_name: Account__r}
      Units_Consumed__c:
        {type: rollup, function: SUM, child: Usage__c, via: Contract__c, field: Units__c}
      Usage_Count__c: {type: rollup, function: COUNT, child: Usage__c, via: contract__c}
      Signed__c: {type: boolean, default: true}
      Starts_On__c: {type: date, required: true}
    validation_rules:
      - name: No_Negative_Units
        expression: "Units_Consumed__c < 0"
        message: Units cannot be negative
        field: units_consumed__c
  Usage__c:
    name_field: {type: auto_number, label: Usage Number}
    fields:
      Contract__c:
        type: master_detail
        to: Contract__c
        relationship_name: Contract        # __r is added
        child_relationship: Usages
      Units__c: {type: double, precision: 16, scale: 2, required: true}
      Kind__c: {type: multipicklist, values: [A, B]}
  Account:
    fields:
      Global_Customer_Id__c: {type: string, length: 40, external_id: true, unique: true}
"""


@pytest.fixture(scope="module")
def specs() -> dict[str, ObjectSpec]:
    return {s.name: s for s in parse_schema(GOOD, "good.yaml")}


def test_custom_objects_get_prefixes_in_file_order(specs: dict[str, ObjectSpec]) -> None:
    prefixes = [(s.name, s.key_prefix) for s in parse_schema(GOOD)]
    assert prefixes == [("Contract__c", "a00"), ("Usage__c", "a01"), ("Account", "001")]


def test_custom_object_carries_labels_name_field_and_fields(specs: dict[str, ObjectSpec]) -> None:
    contract = specs["Contract__c"]
    assert contract.label == "Contract" and contract.label_plural == "Contracts"
    assert contract.custom and contract.has_owner
    fields = {f.name: f for f in contract.fields}
    assert list(fields) == [
        "Name",
        "Status__c",
        "External_Id__c",
        "Account__c",
        "Units_Consumed__c",
        "Usage_Count__c",
        "Signed__c",
        "Starts_On__c",
    ]
    assert fields["Name"].name_field and fields["Name"].length == 80
    status = fields["Status__c"]
    assert status.type is FieldType.PICKLIST
    assert status.picklist_values == ("Draft", "Active", "Fulfilled")
    assert status.restricted_picklist and status.default == "Draft" and status.custom
    ext = fields["External_Id__c"]
    assert (ext.length, ext.external_id, ext.unique, ext.id_lookup) == (80, True, True, True)
    account = fields["Account__c"]
    assert account.type is FieldType.REFERENCE
    assert account.reference_to == ("Account",)
    assert account.relationship_name == "Account__r" and not account.cascade_delete
    assert fields["Signed__c"].default is True and not fields["Signed__c"].nillable
    assert fields["Starts_On__c"].required and not fields["Starts_On__c"].nillable
    assert fields["Starts_On__c"].label == "Starts On"


def test_rollups_take_their_type_from_the_summarized_field(specs: dict[str, ObjectSpec]) -> None:
    fields = {f.name: f for f in specs["Contract__c"].fields}
    total = fields["Units_Consumed__c"]
    assert total.rollup == Rollup("SUM", "Usage__c", "Contract__c", "Units__c")
    assert (total.type, total.precision, total.scale) == (FieldType.DOUBLE, 16, 2)
    assert not total.createable and not total.updateable
    count = fields["Usage_Count__c"]
    assert count.rollup == Rollup("COUNT", "Usage__c", "Contract__c")
    assert (count.type, count.scale) == (FieldType.DOUBLE, 0)


def test_master_detail_is_required_cascades_and_names_the_children(
    specs: dict[str, ObjectSpec],
) -> None:
    usage = specs["Usage__c"]
    assert not usage.has_owner  # details belong to the master's owner
    fields = {f.name: f for f in usage.fields}
    master = fields["Contract__c"]
    assert master.required and not master.nillable and master.cascade_delete
    assert master.relationship_name == "Contract__r"
    assert usage.child_names == (("Contract__c", "Usages__r"),)
    assert fields["Name"].auto_number and fields["Name"].label == "Usage Number"
    assert fields["Kind__c"].type is FieldType.MULTIPICKLIST


def test_validation_rules_are_parsed_with_canonical_field_names(
    specs: dict[str, ObjectSpec],
) -> None:
    assert specs["Contract__c"].validation_rules == (
        ValidationRule(
            "No_Negative_Units", "Units_Consumed__c < 0", "Units cannot be negative",
            "Units_Consumed__c",
        ),
    )  # fmt: skip


def test_a_builtin_object_gains_fields_and_keeps_its_prefix(specs: dict[str, ObjectSpec]) -> None:
    schema = build_schema(merge(BUILTINS, list(specs.values())))
    account = schema.get("Account")
    assert account is not None and account.key_prefix == "001"
    assert account.field("Name") is not None  # built-in fields stay
    assert account.field("global_customer_id__c") is not None
    rels = {r.relationship_name: r for r in account.child_relationships}
    assert rels["Contracts__r"].child_object == "Contract__c"
    contract = schema.get("Contract__c")
    assert contract is not None and contract.key_prefix == "a00"
    assert contract.child_relationship("Usages__r") is not None


def test_the_same_file_always_gives_the_same_specs() -> None:
    assert parse_schema(GOOD) == parse_schema(GOOD)


def test_load_schema_file_reads_the_file_and_names_it_in_messages(tmp_path: Path) -> None:
    good = tmp_path / "schema.yaml"
    good.write_text(GOOD)
    assert [s.name for s in load_schema_file(good)] == ["Contract__c", "Usage__c", "Account"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("objects:\n  Invoice: {}\n")
    with pytest.raises(SchemaFileError) as caught:
        load_schema_file(bad)
    assert caught.value.messages == [
        f"{bad}:2:3: objects.Invoice: 'Invoice' is not a built-in object, and a custom "
        "object's name must end with __c (letters, digits and single underscores, starting "
        "with a letter)"
    ]


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SchemaFileError) as caught:
        load_schema_file(missing)
    assert caught.value.messages == [f"{missing}: no such schema file"]


OBJ = "objects:\n  A__c:\n    fields:\n"

BAD = [
    pytest.param(
        "objects:\n  A__c: {fields: [\n",
        ["s.yaml:3:1: invalid YAML: expected the node content, but found '<stream end>'"],
        id="yaml-syntax",
    ),
    pytest.param(
        "# nothing here\n",
        ["s.yaml:1:1: the file is empty: expected a mapping with the key 'objects'"],
        id="empty",
    ),
    pytest.param("- objects\n", ["s.yaml:1:1: expected a mapping"], id="not-a-mapping"),
    pytest.param(
        "object: {}\n",
        ["s.yaml:1:1: missing required key 'objects'", "s.yaml:1:1: object: unknown key"],
        id="misspelt-objects",
    ),
    pytest.param(
        "objects:\n  Account:\n    label: Client\n",
        [
            "s.yaml:3:5: objects.Account.label: 'label' can only be set on a custom object; "
            "Account is built in"
        ],
        id="label-on-builtin",
    ),
    pytest.param(
        "objects:\n  Account:\n    fields:\n      Region: {type: string}\n",
        [
            "s.yaml:4:7: objects.Account.fields.Region: 'Region' must end with __c: the "
            "fields a schema file adds are custom fields"
        ],
        id="field-without-suffix",
    ),
    pytest.param(
        OBJ + "      X__c: {type: text}\n",
        [
            "s.yaml:4:20: objects.A__c.fields.X__c.type: unknown type 'text'; expected "
            "one of: string, textarea, email, phone, url, picklist, multipicklist, boolean, "
            "int, double, currency, percent, date, datetime, reference, master_detail, "
            "rollup, auto_number"
        ],
        id="unknown-type",
    ),
    pytest.param(
        OBJ + "      X__c: {length: 10}\n",
        ["s.yaml:4:13: objects.A__c.fields.X__c: missing required key 'type'"],
        id="missing-type",
    ),
    pytest.param(
        OBJ + "      X__c: {type: boolean, required: true}\n",
        ["s.yaml:4:29: objects.A__c.fields.X__c.required: unknown key"],
        id="key-the-type-lacks",
    ),
    pytest.param(
        OBJ + "      X__c: {type: string, length: 0}\n",
        [
            "s.yaml:4:36: objects.A__c.fields.X__c.length: Input should be greater than or "
            "equal to 1"
        ],
        id="length-zero",
    ),
    pytest.param(
        OBJ + "      X__c: {type: string, length: '80'}\n",
        ["s.yaml:4:36: objects.A__c.fields.X__c.length: Input should be a valid integer"],
        id="length-quoted",
    ),
    pytest.param(
        OBJ + "      X__c: {type: double, precision: 4, scale: 6}\n",
        ["s.yaml:4:49: objects.A__c.fields.X__c.scale: scale 6 exceeds precision 4"],
        id="scale-over-precision",
    ),
    pytest.param(
        OBJ + "      X__c: {type: picklist, values: [Draft, Active], default: Done}\n",
        ["s.yaml:4:64: objects.A__c.fields.X__c.default: default 'Done' is not one of the values"],
        id="picklist-default",
    ),
    pytest.param(
        OBJ + "      X__c: {type: picklist, values: [Ok, No]}\n",
        [
            "s.yaml:4:43: objects.A__c.fields.X__c.values[1]: expected text, got a boolean: "
            "YAML reads yes/no/on/off unquoted as booleans, so quote the value"
        ],
        id="picklist-yaml-boolean",
    ),
    pytest.param(
        OBJ + "      X__c: {type: reference, to: Contract__c}\n",
        [
            "s.yaml:4:35: objects.A__c.fields.X__c.to: unknown object 'Contract__c': "
            "expected a built-in object or one defined in this file"
        ],
        id="unknown-target",
    ),
    pytest.param(
        "objects:\n  Contact:\n    fields:\n      X__c: {type: master_detail, to: Account}\n",
        [
            "s.yaml:4:20: objects.Contact.fields.X__c.type: master_detail fields can only be "
            "added to custom objects; Contact is built in (use type: reference)"
        ],
        id="master-detail-on-builtin",
    ),
    pytest.param(
        OBJ + "      N__c: {type: rollup, function: COUNT, child: B__c, via: A__c}\n"
        "  B__c:\n    fields:\n      A__c: {type: reference, to: A__c}\n",
        [
            "s.yaml:4:63: objects.A__c.fields.N__c.via: 'A__c' is not a master_detail field "
            "of B__c pointing at A__c"
        ],
        id="rollup-over-a-lookup",
    ),
    pytest.param(
        OBJ + "      N__c: {type: rollup, function: SUM, child: B__c, via: A__c, field: Note__c}\n"
        "  B__c:\n    fields:\n      A__c: {type: master_detail, to: A__c}\n"
        "      Note__c: {type: string}\n",
        [
            "s.yaml:4:74: objects.A__c.fields.N__c.field: SUM needs a number field of B__c; "
            "'Note__c' is not"
        ],
        id="rollup-sum-of-text",
    ),
    pytest.param(
        OBJ + "      N__c: {type: rollup, function: MAX, child: B__c, via: A__c}\n",
        ["s.yaml:4:13: objects.A__c.fields.N__c: MAX needs 'field': the detail field to aggregate"],
        id="rollup-without-field",
    ),
    pytest.param(
        OBJ + "      X__c: {type: string}\n      x__c: {type: int}\n",
        ["s.yaml:5:7: objects.A__c.fields.x__c: duplicate key (first on line 4)"],
        id="duplicate-field",
    ),
    pytest.param(
        OBJ + "      P__c: {type: reference, to: Account}\n"
        "      Q__c: {type: reference, to: Account}\n",
        [
            "s.yaml:5:7: objects.A__c.fields.Q__c: child relationship 'As__r' is already used "
            "on Account; set child_relationship to another name"
        ],
        id="child-relationship-clash",
    ),
    pytest.param(
        "objects:\n  A__c:\n    validation_rules:\n"
        "      - {name: R, expression: 'ISBLANK(Name)', message: Needed, field: X__c}\n",
        ["s.yaml:4:72: objects.A__c.validation_rules[0].field: A__c has no field 'X__c'"],
        id="rule-on-unknown-field",
    ),
    pytest.param(
        OBJ + "      P__c: {type: reference, to: Account, relationship_name: 'Bad Name'}\n",
        [
            "s.yaml:4:63: objects.A__c.fields.P__c.relationship_name: 'Bad Name__r' is not a "
            "valid relationship name (letters, digits and single underscores, starting with "
            "a letter, ending with __r)"
        ],
        id="relationship-name",
    ),
]


@pytest.mark.parametrize(("text", "messages"), BAD)
def test_each_mistake_is_reported_where_it_is(text: str, messages: list[str]) -> None:
    with pytest.raises(SchemaFileError) as caught:
        parse_schema(text, "s.yaml")
    assert caught.value.messages == messages


def test_every_mistake_is_reported_at_once_in_file_order() -> None:
    text = (
        "objects:\n"
        "  Invoice:\n"
        "    fields:\n"
        "      Amount__c: {type: currency, precision: 20}\n"
        "  A__c:\n"
        "    label: 12\n"
        "    fields:\n"
        "      X__c: {type: strng}\n"
        "      Y__c: {type: reference}\n"
    )
    with pytest.raises(SchemaFileError) as caught:
        parse_schema(text, "s.yaml")
    assert [m.split(": ")[0] for m in caught.value.messages] == [
        "s.yaml:2:3",
        "s.yaml:4:46",
        "s.yaml:6:12",
        "s.yaml:8:20",
        "s.yaml:9:13",
    ]
    assert str(caught.value) == "\n".join(caught.value.messages)


def test_the_documented_example_is_a_valid_schema_file() -> None:
    docs = Path(__file__).parents[2] / "docs" / "emulator.md"
    example = re.search(r"```yaml\n(.*?)```", docs.read_text(), re.DOTALL)
    assert example is not None
    names = [(s.name, s.key_prefix) for s in parse_schema(example.group(1), "docs")]
    assert names == [("Contract__c", "a00"), ("Usage__c", "a01"), ("Account", "001")]
