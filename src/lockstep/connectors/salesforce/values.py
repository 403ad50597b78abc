"""Python values to and from Salesforce's wire formats.

Reading, a value is converted by the *kind* of its field (``describe``): JSON gives
numbers (parsed as ``Decimal`` by the client), dates as ``2024-05-01`` and datetimes
as ``2024-05-01T10:00:00.000+0000``; a Bulk API 2.0 query's CSV gives the same as
text, an empty cell for null and ``true``/``false`` for booleans (``from_csv``), so
both reads give the same values. Writing, a value is converted by its Python type:
JSON for sObject Collections, CSV text for Bulk API 2.0 (where an empty cell leaves a
field unchanged and ``#N/A`` clears it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from lockstep.core.shapes import Kind

CSV_NULL = "#N/A"


def from_wire(value: Any, kind: Kind) -> Any:
    """The Python value of a field of ``kind`` as a query returned it."""
    if value is None:
        return None
    if kind == "decimal":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == "float":
        return float(value)
    if kind == "integer":
        return int(value)
    if kind == "boolean":
        return bool(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "datetime":
        return parse_datetime(value)
    return value


CSV_PARSERS: dict[str, Callable[[str], Any]] = {
    "decimal": Decimal,
    "float": float,
    "integer": int,
    "date": date.fromisoformat,
}


def from_csv(kind: Kind) -> Callable[[Sequence[str]], list[Any]]:
    """How a column of Bulk API 2.0 query CSV cells of a field of ``kind`` becomes what
    ``from_wire`` gives for the same values read as JSON: an empty cell is null (as
    Salesforce keeps no empty text), ``true``/``false`` a boolean, the rest by kind.
    A whole column at a time: a query of a million rows converts millions of cells."""
    if kind in ("string", "text", "id"):
        return lambda cells: [cell or None for cell in cells]
    if kind == "boolean":
        return lambda cells: [cell == "true" if cell else None for cell in cells]
    if kind == "datetime":
        return _datetimes
    parse = CSV_PARSERS[kind]
    return lambda cells: [parse(cell) if cell else None for cell in cells]


def _datetimes(cells: Sequence[str]) -> list[datetime | None]:
    """Datetimes, each text parsed once (a column repeats them: records loaded or
    changed together share their stamps)."""
    seen: dict[str, datetime] = {}
    out: list[datetime | None] = []
    for cell in cells:
        if not cell:
            out.append(None)
            continue
        found = seen.get(cell)
        if found is None:
            found = seen[cell] = parse_datetime(cell)
        out.append(found)
    return out


def parse_datetime(text: str) -> datetime:
    """``2024-05-01T10:00:00.000+0000`` (or any ISO form) as an aware UTC datetime."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, as Salesforce writes it; a naive
    datetime is taken to be UTC already."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_json(value: Any) -> Any:
    """``value`` as a JSON-ready value for a REST body."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv(value: Any) -> str:
    """``value`` as a Bulk API 2.0 CSV cell."""
    if value is None:
        return CSV_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
