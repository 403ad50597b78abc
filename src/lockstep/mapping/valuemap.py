"""Value maps (picklists): canonical value → native value, and back.

A field map's ``values`` is written canonical → native. Writing looks a canonical value
up as given, then by its folded spelling (case-insensitive text; ``True`` as ``"true"``;
``Decimal('1.0')`` as ``"1"``), so the YAML key ``"true"`` serves a canonical boolean.
Reading uses the reverse map, native → canonical, the same way: exactly, then folded,
since Salesforce compares picklist values without case. When two canonical values map
to the same native value, reading gives the first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from lockstep.mapping.errors import MappingError

Scalar = str | int | float | bool | None
_MISSING: Any = object()


def fold(value: Any) -> str:
    """The spelling a value is looked up by when the exact value is not in a map."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value).casefold()


def _lookup(pairs: list[tuple[Any, Any]]) -> Callable[[Any], Any]:
    """A look-up over ``pairs`` (first wins) that answers ``_MISSING`` on a miss."""
    exact: dict[Any, Any] = {}
    folded: dict[str, Any] = {}
    for key, value in pairs:
        exact.setdefault(key, value)
        if key is not None:
            folded.setdefault(fold(key), value)

    def find(value: Any) -> Any:
        try:
            return exact[value]
        except (KeyError, TypeError):  # TypeError: an unhashable value
            if value is None:
                return _MISSING
            return folded.get(fold(value), _MISSING)

    return find


def to_native(values: Mapping[str, Scalar], canonical: str, native: str) -> Callable[[Any], Any]:
    """canonical value → native value for the field ``canonical`` stored in ``native``;
    ``None`` and ``""`` stay empty unless they are keys; a miss is a ``MappingError``."""
    find = _lookup(list(values.items()))

    def convert(value: Any) -> Any:
        found = find(value)
        if found is _MISSING:
            if value is None or value == "":
                return None
            raise MappingError(
                f"value {value!r} of field '{canonical}' is not in the value map of {native}",
                field=native,
            )
        return found

    return convert


def to_canonical(values: Mapping[str, Scalar], native: str) -> Callable[[Any], Any]:
    """native value → canonical value for the native field ``native``; ``None`` and
    ``""`` are empty (``None``) unless some canonical value maps to them; a miss is a
    ``MappingError``."""
    find = _lookup([(v, k) for k, v in values.items()])

    def convert(value: Any) -> Any:
        found = find(value)
        if found is _MISSING:
            if value is None or value == "":
                return None
            raise MappingError(
                f"value {value!r} of {native} has no canonical value in the value map",
                field=native,
            )
        return found

    return convert
