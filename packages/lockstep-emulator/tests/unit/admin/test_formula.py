"""Validation-rule formulas: what they accept, what they mean, what they refuse.

A formula is checked against field definitions and run against a plain environment
(a dict of values), so every rule of the language is tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from lockstep_emulator.formula import FieldRef, FormulaError, compile_formula, parse
from lockstep_emulator.formula.parse import MAX_LENGTH, MAX_NESTING
from lockstep_emulator.schema.model import FieldDef
from lockstep_emulator.schema.model import FieldType as T

FIELDS = {
    "Contract__c": [
        FieldDef("Name", T.STRING),
        FieldDef("Status__c", T.PICKLIST),
        FieldDef("Tags__c", T.MULTIPICKLIST),
        FieldDef("Starts_On__c", T.DATE),
        FieldDef("Signed_At__c", T.DATETIME),
        FieldDef("Amount__c", T.CURRENCY),
        FieldDef("Units__c", T.INT),
        FieldDef("Done__c", T.BOOLEAN),
        FieldDef(
            "Account__c", T.REFERENCE, reference_to=("Account",), relationship_name="Account__r"
        ),
    ],
    "Account": [
        FieldDef("Rating", T.PICKLIST),
        FieldDef("ParentId", T.REFERENCE, reference_to=("Account",), relationship_name="Parent"),
    ],
}


def catalog(name: str) -> list[FieldDef] | None:
    return FIELDS.get(name)


@dataclass
class Env:
    """A save: values by path (``Account__r.Rating``), prior values, the day."""

    values: dict[str, Any] = field(default_factory=dict)
    priors: dict[str, Any] = field(default_factory=dict)
    is_new: bool = True
    today: date = date(2024, 3, 15)
    now: datetime = datetime(2024, 3, 15, 12, tzinfo=UTC)

    @staticmethod
    def key(ref: FieldRef) -> str:
        return ".".join([*(s[0].relationship_name or "" for s in ref.steps), ref.field.name])

    def value(self, ref: FieldRef) -> Any:
        return self.values.get(self.key(ref))

    def prior(self, ref: FieldRef) -> Any:
        return self.priors.get(self.key(ref))


def run(text: str, **values: Any) -> Any:
    return compile_formula(text, "Contract__c", catalog).run(Env(values))


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("ISPICKVAL(Status__c, 'Active') && ISBLANK(Starts_On__c)", {"Status__c": "Active"}, True),
        (
            "ISPICKVAL(Status__c, 'Active') && ISBLANK(Starts_On__c)",
            {"Status__c": "Active", "Starts_On__c": date(2024, 1, 1)},
            False,
        ),
        ("Amount__c < 0", {"Amount__c": -1.5}, True),
        ("Amount__c * 2 + 1 >= 5", {"Amount__c": 2.0}, True),
        ("Units__c / 4 = 0.5", {"Units__c": 2}, True),
        ("2 ^ 10 = 1024", {}, True),
        ("Name = 'Acme'", {"Name": "Acme"}, True),
        ("Name = 'acme'", {"Name": "Acme"}, False),  # text compares case-sensitively
        ("Name <> 'x' and Name != 'y'", {"Name": "z"}, True),
        ("Name == 'z' or Done__c", {"Name": "q", "Done__c": True}, True),
        ("NOT(Done__c)", {"Done__c": False}, True),
        ("!Done__c", {"Done__c": True}, False),
        (
            "AND(Done__c, Units__c > 1, Name = 'a')",
            {"Done__c": True, "Units__c": 2, "Name": "a"},
            True,
        ),
        ("OR(Done__c, Units__c > 1)", {"Done__c": False, "Units__c": 0}, False),
        ("Status__c IN ('Active', 'Draft')", {"Status__c": "Draft"}, True),
        ("Status__c NOT IN ('Active', 'Draft')", {"Status__c": "Draft"}, False),
        ("Units__c IN (1, 2, 3)", {"Units__c": 4}, False),
        ("LEN(Name) > 3", {"Name": "abcd"}, True),
        ("len(Name) = 0", {}, True),  # function names are case-insensitive; blank text is ''
        ("BEGINS(Name, 'Ac') && CONTAINS(Name, 'me')", {"Name": "Acme"}, True),
        ("UPPER(Name) & '!' = 'ACME!'", {"Name": "acme"}, True),
        ("LEFT(Name, 2) + RIGHT(Name, 1) = 'Ace'", {"Name": "Acme"}, True),
        ("MID(Name, 2, 2) = 'cm'", {"Name": "Acme"}, True),
        ("TRIM(LOWER(Name)) = 'acme'", {"Name": "  ACME "}, True),
        ("SUBSTITUTE(Name, 'c', 'k') = 'Akme'", {"Name": "Acme"}, True),
        ("REGEX(Name, '[A-Z][a-z]+')", {"Name": "Acme"}, True),
        ("REGEX(Name, '[a-z]+')", {"Name": "Acme"}, False),  # the whole text must match
        ("INCLUDES(Tags__c, 'b')", {"Tags__c": "a;b"}, True),
        ("VALUE('12.5') = 12.5 && ISNUMBER('4') && NOT(ISNUMBER('x'))", {}, True),
        (
            "TEXT(Units__c) = '3' && TEXT(Done__c) = 'true'",
            {"Units__c": 3.0, "Done__c": True},
            True,
        ),
        ("ABS(-2) + FLOOR(1.5) + CEILING(1.2) + ROUND(1.25, 1) = 6.3", {}, True),
        ("MOD(7, 3) = 1 && MIN(3, 1, 2) = 1 && MAX(3, 1, 2) = 3", {}, True),
        ("Starts_On__c < TODAY() - 30", {"Starts_On__c": date(2024, 1, 1)}, True),
        ("TODAY() - Starts_On__c = 14", {"Starts_On__c": date(2024, 3, 1)}, True),
        (
            "YEAR(Starts_On__c) = 2024 && MONTH(Starts_On__c) = 3",
            {"Starts_On__c": date(2024, 3, 1)},
            True,
        ),
        ("DATE(2024, 3, 15) = TODAY() && DATEVALUE(NOW()) = TODAY()", {}, True),
        ("Signed_At__c > NOW()", {"Signed_At__c": datetime(2025, 1, 1, tzinfo=UTC)}, True),
        ("IF(Done__c, Amount__c, 0) > 10", {"Done__c": False, "Amount__c": 20.0}, False),
        ("CASE(Status__c, 'A', 1, 'B', 2, 0) = 2", {"Status__c": "B"}, True),
        ("BLANKVALUE(Amount__c, 5) = 5", {}, True),
        ("Amount__c = NULL", {}, True),
        ("Amount__c != null", {"Amount__c": 1.0}, True),
        ("Account__r.Rating = 'Hot'", {"Account__r.Rating": "Hot"}, True),
        ("Account__r.Parent.Rating = 'Hot'", {"Account__r.Parent.Rating": "Hot"}, True),
        ("ISNEW()", {}, True),
        ("/* a comment */ TRUE", {}, True),
        ("\"double\" = 'double' && 'it\\'s' = \"it's\"", {}, True),
    ],
)
def test_formulas_mean_what_salesforce_means(
    text: str, values: dict[str, Any], expected: bool
) -> None:
    assert run(text, **values) is expected


@pytest.mark.parametrize(
    "text",
    [
        "Amount__c < 0",  # a blank number makes a comparison unknown
        "NOT(Amount__c > 0)",  # and NOT of unknown is unknown
        "Amount__c + 1 = 1",
        "1 / 0 > 1",  # division by zero is unknown, not a crash
        "2 ^ 3 ^ 999 > 1",  # so is overflow
        "AND(Done__c, Amount__c > 1)",
    ],
)
def test_blank_numbers_leave_the_rule_unknown_so_it_does_not_fire(text: str) -> None:
    formula = compile_formula(text, "Contract__c", catalog)
    env = Env({"Done__c": True})
    assert formula.run(env) is None
    assert formula.holds(env) is False


def test_three_valued_logic_decides_when_it_can() -> None:
    assert run("OR(Amount__c > 1, TRUE)") is True
    assert run("AND(Amount__c > 1, FALSE)") is False


def test_ischanged_and_priorvalue_compare_with_the_stored_row() -> None:
    formula = compile_formula(
        "ISCHANGED(Status__c) && PRIORVALUE(Status__c) = 'Active'", "Contract__c", catalog
    )
    changed = Env({"Status__c": "Draft"}, {"Status__c": "Active"}, is_new=False)
    same = Env({"Status__c": "Active"}, {"Status__c": "Active"}, is_new=False)
    assert formula.holds(changed) and not formula.holds(same)
    assert not formula.holds(Env({"Status__c": "Draft"}))  # nothing changes on create


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the formula is empty"),
        ("Amount__c", "must be true or false, but it gives a number"),
        ("Nope__c = 1", "Contract__c has no field 'Nope__c' (column 1)"),
        ("Account__r.Nope = 1", "Account has no field 'Nope'"),
        ("Owner__r.Name = 'x'", "Contract__c has no relationship 'Owner__r'"),
        ("Name > 5", "'>' cannot compare a text with a number"),
        ("Starts_On__c > NOW()", "cannot compare a date with a date/time"),
        ("Done__c < TRUE", "cannot compare a boolean with a boolean"),
        ("Done__c && 'x'", "AND needs a boolean, not a text (column 12)"),
        ("Name & 1 = 'x'", "& needs a text, not a number"),
        ("Name - 1 = 1", "'-' cannot combine a text and a number"),
        ("ISPICKVAL(Status__c)", "ISPICKVAL takes 2 argument(s), not 1"),
        ("IF(Done__c, 1, 'a') = 1", "IF mixes a number and a text"),
        ("REGEX(Name, '[')", "REGEX pattern is not valid"),
        ("ISCHANGED(Account__r.Rating)", "ISCHANGED takes a field of the record"),
        ("Foo(1)", "unknown function FOO"),
        ("1 +", "the formula ends too early (column 4)"),
        ("a = = b", "unexpected '=' (column 5)"),
    ],
)
def test_mistakes_are_refused_with_what_and_where(text: str, message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula(text, "Contract__c", catalog)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "eval('1')",
        "Name.__class__.__bases__ = 1",
        "().__class__",
        "[x for x in Name]",
        "lambda: 1",
        "Name[0] = 'a'",
        "getattr(Name, 'upper')",
        "open('/etc/passwd')",
        "exec('import os')",
        "{'a': 1}",
        "Name if Done__c else 'x'",
        "`id`",
        "f'{Name}'",
    ],
)
def test_nothing_but_fields_and_listed_functions_can_be_reached(text: str) -> None:
    with pytest.raises(FormulaError):
        compile_formula(text, "Contract__c", catalog)


def test_size_and_nesting_are_bounded() -> None:
    with pytest.raises(FormulaError, match="longer than"):
        parse("1 = 1 && " * (MAX_LENGTH // 8) + "TRUE")
    with pytest.raises(FormulaError, match="nests parentheses"):
        parse("(" * (MAX_NESTING + 1) + "TRUE" + ")" * (MAX_NESTING + 1))
    deep = "(" * MAX_NESTING + "TRUE" + ")" * MAX_NESTING
    assert run(deep) is True
