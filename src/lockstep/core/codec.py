"""Values in and out of the ledger's JSON columns, and the fingerprint of a record.

JSON alone would lose types a record carries (``Decimal('1.50')`` would come back as a
float, a date as a string), so ``dumps`` writes those as one-key *tagged* objects::

    Decimal("1.50")                 {"$decimal": "1.50"}
    date(2026, 1, 2)                {"$date": "2026-01-02"}
    datetime(..., tzinfo=UTC)       {"$datetime": "2026-01-02T03:04:05+00:00"}
    float("nan"), 2**70             {"$float": "nan"}, {"$int": "1180591620717411303424"}

``loads`` reverses it exactly. A plain mapping that happens to look like a tag is wrapped
as ``{"$map": {...}}``, so nothing is ambiguous. Lists and tuples both come back as lists.

``fingerprint`` hashes what a record *means* rather than how it was spelled: key order
does not matter, and numbers compare by value (``1 == 1.0 == Decimal("1.00")``), so a
record read back from a system that returns ``1.5`` for a stored ``Decimal("1.50")`` is
recognised as the one lockstep wrote (echo suppression).

Both are pure functions of plain values, so they sit in ``core``: the ledger stores
with them, and the ownership rules (``mapping.ownership``) fingerprint with them
without reaching into the ledger.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

_TAGS = frozenset({"$decimal", "$date", "$datetime", "$float", "$int", "$map"})
_INT64 = range(-(2**63), 2**63)


def dumps(value: Any) -> str:
    """Encode ``value`` (scalars as in ``lockstep.core.records``, lists, str-keyed
    mappings) as JSON text that ``loads`` turns back into an equal value."""
    return orjson.dumps(_tag(value)).decode()


def loads(text: str) -> Any:
    """Decode what ``dumps`` wrote."""
    return _untag(orjson.loads(text))


def fingerprint(values: Mapping[str, Any]) -> str:
    """A stable hash (sha256, hex) of a record's values; see the module docstring for
    which values count as equal."""
    canonical = orjson.dumps(_canonical(values), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise TypeError(f"the ledger stores only timezone-aware datetimes, got {value!r}")
    return value


def _tag(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if value in _INT64 else {"$int": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": _aware(value).isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Mapping):
        tagged = {_key(k): _tag(v) for k, v in value.items()}
        return {"$map": tagged} if len(tagged) == 1 and next(iter(tagged)) in _TAGS else tagged
    if isinstance(value, list | tuple):
        return [_tag(v) for v in value]
    raise TypeError(f"the ledger cannot store a {type(value).__name__}: {value!r}")


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"mapping keys must be str, got {key!r}")
    return key


def _untag(value: Any) -> Any:
    if isinstance(value, list):
        return [_untag(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$map":
            return {k: _untag(v) for k, v in inner.items()}
        if tag in _TAGS:
            return _DECODERS[tag](inner)
    return {k: _untag(v) for k, v in value.items()}


_DECODERS: dict[str, Any] = {
    "$decimal": Decimal,
    "$date": date.fromisoformat,
    "$datetime": datetime.fromisoformat,
    "$float": float,
    "$int": int,
}


def _canonical(value: Any) -> Any:
    """Strings stay strings; every other kind becomes ``[kind, text]`` so no two kinds
    can collide."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | Decimal):
        return ["n", _number(value)]
    if isinstance(value, datetime):
        return ["t", _aware(value).astimezone(UTC).isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, Mapping):
        return ["m", {_key(k): _canonical(v) for k, v in value.items()}]
    if isinstance(value, list | tuple):
        return ["l", [_canonical(v) for v in value]]
    raise TypeError(f"cannot fingerprint a {type(value).__name__}: {value!r}")


def _number(value: int | float | Decimal) -> str:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number.is_nan():
        return "nan"
    if number.is_infinite():
        return "inf" if number > 0 else "-inf"
    if number == 0:
        return "0"
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
