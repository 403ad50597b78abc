"""A schema file's validation rules are checked when it loads: a bad formula is reported
with its place in the file, among every other mistake."""

from __future__ import annotations

import pytest
from lockstep_emulator.schema.loader import SchemaFileError, parse_schema

HEAD = """objects:
  Deal__c:
    fields:
      Amount__c: {type: currency}
      Account__c: {type: reference, to: Account, relationship_name: Account__r}
    validation_rules:
"""


def test_good_formulas_load() -> None:
    rules = HEAD + (
        "      - {name: A, expression: 'Amount__c < 0', message: m}\n"
        "      - {name: B, expression: \"Account__r.Name = 'x' && ISBLANK(Amount__c)\",\n"
        "         message: m}\n"
    )
    [deal] = [s for s in parse_schema(rules, "s.yaml") if s.name == "Deal__c"]
    assert [r.name for r in deal.validation_rules] == ["A", "B"]


def test_each_bad_formula_is_reported_with_file_line_and_column() -> None:
    rules = HEAD + (
        "      - {name: A, expression: 'Amount__c <', message: m}\n"
        "      - {name: B, expression: 'Nope__c = 1', message: m}\n"
        "      - {name: C, expression: 'Amount__c', message: m}\n"
        "      - {name: D, expression: \"__import__('os')\", message: m}\n"
    )
    with pytest.raises(SchemaFileError) as caught:
        parse_schema(rules, "s.yaml")
    at = "objects.Deal__c.validation_rules"
    assert caught.value.messages == [
        f"s.yaml:7:31: {at}[0].expression: the formula ends too early "
        "(at character 12 of the formula)",
        f"s.yaml:8:31: {at}[1].expression: Deal__c has no field 'Nope__c' "
        "(at character 1 of the formula)",
        f"s.yaml:9:31: {at}[2].expression: the formula must be true or false, but it gives "
        "a number (at character 1 of the formula)",
        f"s.yaml:10:31: {at}[3].expression: unknown function __IMPORT__ "
        "(at character 1 of the formula)",
    ]
