"""Per-record work of a batch write made cheap: converting values, drawing ids.

Each converter returns exactly what ``values.to_stored`` returns, and raises exactly
what it raises: the common case (a string that fits a text field, a number that
parses) is answered here, and anything else is handed to ``to_stored`` itself.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

from lockstep_emulator import ids
from lockstep_emulator.errors import RecordError
from lockstep_emulator.schema.model import FieldDef, FieldType, ObjectDef
from lockstep_emulator.store.records import RecordStore, canonical_id
from lockstep_emulator.store.values import to_stored

Convert = Callable[[Any], Any]
_PLAIN_TEXT = frozenset({FieldType.STRING, FieldType.TEXTAREA, FieldType.PHONE, FieldType.URL})
_DECIMALS = frozenset({FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT})
_EXACT_INT = 2**53


def converter(f: FieldDef) -> Convert:
    """``to_stored`` for ``f``, with a shortcut for its common case."""
    if f.type in _PLAIN_TEXT or (f.type is FieldType.PICKLIST and not f.restricted_picklist):
        return _text(f)
    if f.type in _DECIMALS:
        return _decimal(f)
    if f.type is FieldType.INT:
        return _integer(f)
    return lambda value: to_stored(f, value)


def _text(f: FieldDef) -> Convert:
    limit = f.length or math.inf

    def convert(value: Any) -> Any:
        if value.__class__ is str and value and len(value) <= limit:
            return value
        return to_stored(f, value)

    return convert


def _decimal(f: FieldDef) -> Convert:
    bound = 10 ** (f.precision - f.scale) if f.precision else math.inf

    def convert(value: Any) -> Any:
        if value.__class__ is str and value:
            try:
                number = float(value)
            except ValueError:
                return to_stored(f, value)
            if -bound < number < bound:
                return number
        return to_stored(f, value)

    return convert


def _integer(f: FieldDef) -> Convert:
    def convert(value: Any) -> Any:
        if value.__class__ is str and value:
            try:
                number = int(value)
            except ValueError:
                return to_stored(f, value)
            if -_EXACT_INT < number < _EXACT_INT:
                return number
        return to_stored(f, value)

    return convert


class Converters:
    """``checks.convert`` for many records: field lookup and permission checks are
    made once per column name, then each value goes through its field's converter."""

    def __init__(self, obj: ObjectDef, *, creating: bool) -> None:
        self.obj = obj
        self.creating = creating
        self._columns: dict[str, tuple[str, Convert] | RecordError] = {}
        self._plans: dict[tuple[str, ...], list[tuple[str, Convert]] | Literal[False]] = {}

    def _column(self, key: str) -> tuple[str, Convert] | RecordError:
        f = self.obj.field(key)
        if f is None:
            return RecordError(
                "INVALID_FIELD",
                f"No such column '{key}' on sobject of type {self.obj.name}",
                fields=[key],
            )
        if not (f.createable if self.creating else f.updateable) or f.rollup is not None:
            verb = "create" if self.creating else "update"
            return RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to {verb} fields: {f.name}. Please check the security settings "
                f"of this field and verify that it is read/write for your profile or "
                f"permission set.",
                fields=[f.name],
            )
        return f.name, converter(f)

    def convert(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The stored values of ``body``; raises the first field's ``RecordError``.

        Bulk bodies mostly share their keys, so the plan for a tuple of keys is made
        once and applied with a zip; a body with an unusable key goes the long way,
        which raises that key's error in its turn."""
        keys = tuple(body)
        plan = self._plans.get(keys)
        if plan is None:
            plan = self._plans[keys] = self._plan(keys)
        if plan is False:
            return self._convert_slowly(body)
        return {name: fn(value) for (name, fn), value in zip(plan, body.values(), strict=True)}

    def _plan(self, keys: tuple[str, ...]) -> list[tuple[str, Convert]] | Literal[False]:
        if "attributes" in keys:
            return False
        plan = []
        for key in keys:
            column = self._columns.get(key)
            if column is None:
                column = self._columns[key] = self._column(key)
            if isinstance(column, RecordError):
                return False
            plan.append(column)
        return plan

    def _convert_slowly(self, body: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        columns = self._columns
        for key, value in body.items():
            if key == "attributes":
                continue
            column = columns.get(key)
            if column is None:
                column = columns[key] = self._column(key)
            if isinstance(column, RecordError):
                raise column
            out[column[0]] = column[1](value)
        return out


_UPPER = str.maketrans(
    dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "1")
    | dict.fromkeys("abcdefghijklmnopqrstuvwxyz0123456789", "0")
)
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def checksum(id15: str) -> str:
    """``ids.checksum`` with the per-character loop done by ``str.translate``."""
    bits = id15.translate(_UPPER)
    return (
        _SUFFIX[int(bits[4::-1], 2)]
        + _SUFFIX[int(bits[9:4:-1], 2)]
        + _SUFFIX[int(bits[14:9:-1], 2)]
    )


def canonical(raw: str) -> str | None:
    """``records.canonical_id``, answered at once for an id already in canonical form
    (as ids read from the database or from result files are)."""
    if len(raw) == 18 and raw.isascii() and raw.isalnum() and checksum(raw[:15]) == raw[15:]:
        return raw
    return canonical_id(raw)


def id_maker(store: RecordStore, obj: ObjectDef) -> Callable[[], str]:
    """``RecordStore.new_id`` for ids drawn in a row: the same ids, but the counter's
    base-62 form is stepped from the previous one instead of encoded afresh, and only
    the checksum character of the last five characters (the ones that change) is
    worked out each time."""
    head = obj.key_prefix + store.pod + "0"
    counter = store.db.next_counter
    prefix = obj.key_prefix
    last_number, body, front, front_sum = -2, "", "", ""

    def new_id() -> str:
        nonlocal last_number, body, front, front_sum
        number = counter(prefix)
        if number == last_number + 1 and body[-1] != _LAST_DIGIT:
            body = body[:-1] + _NEXT_DIGIT[body[-1]]
        else:
            body = ids.encode_base62(number, 9)
        last_number = number
        if body[:4] != front:
            front = body[:4]
            front_sum = checksum(head + body)[:2]
        tail = body[4:]
        return head + body + front_sum + _SUFFIX[int(tail.translate(_UPPER)[::-1], 2)]

    return new_id


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LAST_DIGIT = _BASE62[-1]
_NEXT_DIGIT = dict(itertools.pairwise(_BASE62))
