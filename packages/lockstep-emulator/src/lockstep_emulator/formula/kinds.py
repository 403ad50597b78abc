"""The kinds of value a formula works with, and how a stored field value becomes one.

Records are stored the SQLite way (``store/layout.py``): booleans as 0/1, dates and
datetimes as text. A formula compares dates as dates and checkboxes as booleans, so
each field's stored value is turned into its formula value on the way in.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from lockstep_emulator.schema.model import FieldDef, FieldType


class Kind(StrEnum):
    """What an expression yields; ANY is the NULL literal (fits wherever a value goes)."""

    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    ANY = "any"


def kind_of(f: FieldDef) -> Kind:
    """The formula kind of a field."""
    if f.type is FieldType.BOOLEAN:
        return Kind.BOOLEAN
    if f.is_number:
        return Kind.NUMBER
    if f.type is FieldType.DATE:
        return Kind.DATE
    if f.type is FieldType.DATETIME:
        return Kind.DATETIME
    return Kind.TEXT


def formula_value(f: FieldDef, stored: Any) -> Any:
    """A stored value as a formula sees it (None stays None, except checkboxes)."""
    if f.type is FieldType.BOOLEAN:
        return bool(stored)
    if stored is None:
        return None
    if f.type is FieldType.DATE:
        return date.fromisoformat(str(stored)[:10])
    if f.type is FieldType.DATETIME:
        return datetime.strptime(str(stored), "%Y-%m-%dT%H:%M:%S.%f%z")
    return stored


def fits(expected: Kind, actual: Kind) -> bool:
    """Whether a value of kind ``actual`` may go where ``expected`` is wanted."""
    return expected is Kind.ANY or actual is Kind.ANY or expected is actual


def describe(kind: Kind) -> str:
    return {Kind.ANY: "null", Kind.DATETIME: "date/time"}.get(kind, str(kind))
