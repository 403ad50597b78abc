"""Auto-number display formats: what Salesforce accepts and how a number is written."""

from __future__ import annotations

from datetime import date

import pytest
from lockstep_emulator.schema.auto_number import format_problem, render
from lockstep_emulator.schema.loader import SchemaFileError, parse_schema

DAY = date(2026, 3, 4)


@pytest.mark.parametrize(
    ("display_format", "number", "written"),
    [
        ("{00000000}", 1, "00000001"),
        ("A-{0000}", 12, "A-0012"),
        ("A-{00}", 123, "A-123"),
        ("{YYYY}-{MM}-{DD}/{0}", 5, "2026-03-04/5"),
        ("INV{YY}{000}", 7, "INV26007"),
    ],
)
def test_a_number_is_written_through_the_format(
    display_format: str, number: int, written: str
) -> None:
    assert format_problem(display_format) is None
    assert render(display_format, number, DAY) == written


@pytest.mark.parametrize(
    "display_format", ["A-", "{00}-{00}", "{0000", "{X}-{0}", "x" * 28 + "{0}"]
)
def test_a_bad_format_is_explained(display_format: str) -> None:
    assert format_problem(display_format)


def test_the_schema_file_checks_display_format_and_starting_number() -> None:
    text = (
        "objects:\n"
        "  A__c:\n"
        "    name_field: {type: text, starting_number: 3}\n"
        "    fields:\n"
        "      X__c: {type: auto_number, display_format: 'X-'}\n"
        "      Y__c: {type: auto_number, starting_number: -1}\n"
    )
    with pytest.raises(SchemaFileError) as caught:
        parse_schema(text, "s.yaml")
    assert [m.split(": ", 1)[1] for m in caught.value.messages] == [
        "objects.A__c.name_field.starting_number: starting_number needs type auto_number",
        "objects.A__c.fields.X__c.display_format: a display format needs exactly "
        "one number placeholder such as {0000}",
        "objects.A__c.fields.Y__c.starting_number: Input should be greater than or equal to 0",
    ]
