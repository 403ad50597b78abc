"""Checking and converting one client-supplied field value into its stored form.

Each failure is a ``RecordError`` carrying the errorCode Salesforce documents for it,
so a collection or bulk job can report it per record and a single-record call can
answer 400 with it.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from lockstep_emulator import ids
from lockstep_emulator.errors import RecordError
from lockstep_emulator.schema.model import FieldDef, FieldType
from lockstep_emulator.store.layout import format_datetime, parse_datetime

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _deserialize_error(f: FieldDef, kind: str, value: Any) -> RecordError:
    shown = "VALUE_STRING" if isinstance(value, str) else type(value).__name__.upper()
    return RecordError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {kind} from {shown} value {value} "
        f"or request may be missing a required field",
        fields=[f.name],
    )


def to_stored(f: FieldDef, value: Any) -> Any:
    """``value`` (as decoded from JSON or CSV) in the stored form for field ``f``."""
    if value is None or (value == "" and not f.is_text):
        return 0 if f.type is FieldType.BOOLEAN else None
    if value == "" and f.is_text:
        return None
    t = f.type
    if t is FieldType.BOOLEAN:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return int(value.lower() == "true")
        raise _deserialize_error(f, "boolean", value)
    if t is FieldType.INT:
        number = _number(f, value, "int")
        if number != int(number):
            raise _deserialize_error(f, "int", value)
        return int(number)
    if f.is_number:
        number = _number(f, value, "double")
        _check_precision(f, number)
        return number
    if t is FieldType.DATE:
        if isinstance(value, str):
            try:
                if len(value) == 10:
                    return date.fromisoformat(value).isoformat()
                return parse_datetime(value).date().isoformat()
            except ValueError:
                pass
        raise _deserialize_error(f, "date", value)
    if t is FieldType.DATETIME:
        if isinstance(value, str):
            try:
                return format_datetime(parse_datetime(value))
            except ValueError:
                pass
        raise _deserialize_error(f, "datetime", value)
    if t in (FieldType.REFERENCE, FieldType.ID):
        return _reference(f, value)
    text = _text(value)
    if f.length and len(text) > f.length:
        raise RecordError(
            "STRING_TOO_LONG",
            f"{f.label or f.name}: data value too large: {text[:40]} (max length={f.length})",
            fields=[f.name],
        )
    if t is FieldType.EMAIL and text and not _EMAIL.match(text):
        raise RecordError(
            "INVALID_EMAIL_ADDRESS",
            f"{f.label or f.name}: invalid email address: {text}",
            fields=[f.name],
        )
    if t is FieldType.PICKLIST and f.restricted_picklist and text:
        return _restricted(f, text)
    if t is FieldType.MULTIPICKLIST and text:
        parts = [p.strip() for p in text.split(";") if p.strip()]
        if f.restricted_picklist:
            parts = [_restricted(f, p) for p in parts]
        return ";".join(parts)
    return text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise RecordError(
        "JSON_PARSER_ERROR", f"Cannot deserialize instance of string from {type(value).__name__}"
    )


def _number(f: FieldDef, value: Any, kind: str) -> float:
    if isinstance(value, bool):
        raise _deserialize_error(f, kind, value)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _deserialize_error(f, kind, value) from None
    else:
        raise _deserialize_error(f, kind, value)
    if math.isnan(number) or math.isinf(number):
        raise _deserialize_error(f, kind, value)
    return number


def _check_precision(f: FieldDef, number: float) -> None:
    if f.precision and abs(number) >= 10 ** (f.precision - f.scale):
        raise RecordError(
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{f.label or f.name}: value outside of valid range on numeric field: {number}",
            fields=[f.name],
        )


def _restricted(f: FieldDef, text: str) -> str:
    for allowed in f.picklist_values:
        if allowed == text:
            return allowed
    raise RecordError(
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        f"{f.label or f.name}: bad value for restricted picklist field: {text}",
        fields=[f.name],
    )


def _reference(f: FieldDef, value: Any) -> str:
    if not isinstance(value, str) or not ids.is_id_shaped(value):
        raise RecordError(
            "MALFORMED_ID",
            f"{f.label or f.name}: id value of incorrect type: {value}",
            fields=[f.name],
        )
    return ids.to18(value)
