"""Canonical values: ``coerce`` a system's value to a kind, and ``same`` to compare two.

Systems disagree on spelling more than on meaning: SQL returns ``Decimal('1.50')``
where Salesforce's JSON returns ``1.5``, Salesforce returns null for an empty text
field, keeps datetimes to the millisecond and writes offsets as ``+0000``. ``coerce``
is tolerant on the way in (``"12"`` is the integer 12), and ``same`` compares what
values *mean*, so that a record read back is not taken for a changed one.

What ``coerce`` accepts, by kind (``None`` always stays ``None``):

=================  ===============================================================
string, text       str as is; bool → ``"true"``/``"false"``; int, Decimal, float
                   (integral floats without ``.0``); date/datetime → ISO 8601
id                 str (``""`` → None), int → ``"17"``, integral Decimal
integer            int, bool, integral float/Decimal, numeric str (``""`` → None)
decimal            Decimal, int, float via ``str`` (0.1 → ``Decimal('0.1')``), str
float              float, int, Decimal, str
boolean            bool, 0/1, str true/false/t/f/yes/no/1/0 (any case)
date               date, datetime (its own calendar date), ``YYYY-MM-DD``, ISO datetime
datetime           aware (→ UTC) or naive (taken as UTC) datetime, date (midnight
                   UTC), ISO 8601 str incl. ``Z`` and Salesforce's ``+0000``
=================  ===============================================================

Non-finite numbers (NaN, infinity) are refused, as neither Salesforce nor JSON keep
them. Every refusal is a ``MappingError`` naming the value and its type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from lockstep.core.shapes import Kind
from lockstep.mapping.errors import MappingError, shown

Coercer = Callable[[Any], Any]


def _refuse(value: Any, kind: str, why: str = "") -> MappingError:
    return MappingError(f"cannot read {shown(value)} as {kind}{why}")


# -- coercion ---------------------------------------------------------------------------


def to_string(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _refuse(value, "string")
        return format(value, "f")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _refuse(value, "string")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise _refuse(value, "string")


def to_id(value: Any) -> str | None:
    if type(value) is str:
        return value or None
    if value is None:
        return None
    if isinstance(value, str):
        return str(value) or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(int(value))
    raise _refuse(value, "id")


def to_integer(value: Any) -> int | None:
    if type(value) is int or value is None:
        return value
    if isinstance(value, int):  # bool, IntEnum
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _refuse(value, "integer") from None
        return _whole(number, value)
    if isinstance(value, Decimal):
        return _whole(value, value)
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _refuse(value, "integer", " without losing its fraction")
    raise _refuse(value, "integer")


def _whole(number: Decimal, given: Any) -> int:
    if not number.is_finite():
        raise _refuse(given, "integer")
    if number != number.to_integral_value():
        raise _refuse(given, "integer", " without losing its fraction")
    return int(number)


def to_decimal(value: Any) -> Decimal | None:
    kind = type(value)
    if kind is Decimal:
        if value.is_finite():
            return value  # type: ignore[no-any-return]
        raise _refuse(value, "decimal")
    if kind is float:
        if value - value == 0.0:  # finite
            return Decimal(repr(value))
        raise _refuse(value, "decimal")
    if value is None:
        return None
    if isinstance(value, bool):
        raise _refuse(value, "decimal")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float | str | Decimal):
        text = value.strip() if isinstance(value, str) else str(value)
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _refuse(value, "decimal") from None
        if number.is_finite():
            return number
    raise _refuse(value, "decimal")


def to_float(value: Any) -> float | None:
    if type(value) is float:
        if value - value == 0.0:  # finite: inf - inf and nan - nan are nan
            return value
        raise _refuse(value, "float")
    if value is None:
        return None
    if isinstance(value, bool):
        raise _refuse(value, "float")
    if isinstance(value, int | Decimal | float | str):
        if isinstance(value, str) and not value.strip():
            return None
        try:
            number = float(value)
        except (ValueError, OverflowError):
            raise _refuse(value, "float") from None
        if number - number == 0.0:
            return number
    raise _refuse(value, "float")


_BOOLEANS = {
    "true": True,
    "t": True,
    "yes": True,
    "1": True,
    "false": False,
    "f": False,
    "no": False,
    "0": False,
}


def to_boolean(value: Any) -> bool | None:
    if type(value) is bool or value is None:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return None
        found = _BOOLEANS.get(text)
        if found is not None:
            return found
    elif isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    raise _refuse(value, "boolean")


def to_date(value: Any) -> date | None:
    if type(value) is date or value is None:
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text).date()
        except ValueError:
            raise _refuse(value, "date") from None
    raise _refuse(value, "date")


def to_datetime(value: Any) -> datetime | None:
    if type(value) is datetime:
        return value if value.tzinfo is UTC else _utc(value)
    if value is None:
        return None
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return _utc(datetime.fromisoformat(text))
        except ValueError:
            raise _refuse(value, "datetime") from None
    raise _refuse(value, "datetime")


def _utc(value: datetime) -> datetime:
    """Aware and in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


COERCERS: Mapping[Kind, Coercer] = {
    "string": to_string,
    "text": to_string,
    "id": to_id,
    "integer": to_integer,
    "decimal": to_decimal,
    "float": to_float,
    "boolean": to_boolean,
    "date": to_date,
    "datetime": to_datetime,
}


def coerce(value: Any, kind: Kind) -> Any:
    """``value`` as a canonical value of ``kind``; ``MappingError`` when it is not one."""
    return COERCERS[kind](value)


# -- equality ---------------------------------------------------------------------------


def same(a: Any, b: Any, kind: Kind) -> bool:
    """Whether ``a`` and ``b`` mean the same value of ``kind``.

    - numbers compare by value: ``Decimal('1.0') == Decimal('1.00') == 1 == 1.0``; a
      float against an exact number (Decimal, int) is equal when its shortest repr is,
      or when it rounded to 9 significant digits is (float noise such as
      ``0.1 + 0.2``); two floats are equal when they agree to 9 significant digits;
    - ``''`` equals ``None`` for string, text and id (Salesforce returns null for an
      empty field);
    - ``None`` equals ``False`` for boolean (a Salesforce checkbox is never null);
    - datetimes compare in UTC at millisecond precision (what Salesforce keeps);
    - a 15-character Salesforce id equals its 18-character form.

    Values that cannot be coerced to ``kind`` compare with ``==``.
    """
    if a is b or (type(a) is type(b) and a == b):
        return True
    try:
        return _SAME[kind](a, b)
    except MappingError:
        return bool(a == b)


def _same_text(a: Any, b: Any) -> bool:
    return (to_string(a) or None) == (to_string(b) or None)


def _same_id(a: Any, b: Any) -> bool:
    x, y = to_id(a), to_id(b)
    if x == y:
        return True
    if x is None or y is None:
        return False
    if len(x) == 15 and len(y) == 18:
        return y.startswith(x) and y.isalnum()
    if len(x) == 18 and len(y) == 15:
        return x.startswith(y) and x.isalnum()
    return False


def _same_number(a: Any, b: Any) -> bool:
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return x is y
    if type(x) is type(y):
        if x == y:
            return True
        return isinstance(x, float) and _nine(x) == _nine(y)  # type: ignore[arg-type]
    exact, inexact = (y, x) if isinstance(x, float) else (x, y)
    assert isinstance(exact, Decimal) and isinstance(inexact, float)
    return Decimal(repr(inexact)) == exact or _nine(inexact) == exact


def _number(value: Any) -> Decimal | float | None:
    """An exact number as Decimal, a float as float."""
    if isinstance(value, float):
        return to_float(value)
    return to_decimal(value)


def _nine(value: float) -> Decimal:
    return Decimal(f"{value:.9g}")


def _same_boolean(a: Any, b: Any) -> bool:
    return bool(to_boolean(a)) == bool(to_boolean(b))


def _same_date(a: Any, b: Any) -> bool:
    return to_date(a) == to_date(b)


def _same_datetime(a: Any, b: Any) -> bool:
    x, y = to_datetime(a), to_datetime(b)
    if x is None or y is None:
        return x is y
    if x == y:
        return True
    return abs(x - y) < _MS and _ms(x) == _ms(y)


_MS = timedelta(milliseconds=1)


def _ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


_SAME: Mapping[Kind, Callable[[Any, Any], bool]] = {
    "string": _same_text,
    "text": _same_text,
    "id": _same_id,
    "integer": _same_number,
    "decimal": _same_number,
    "float": _same_number,
    "boolean": _same_boolean,
    "date": _same_date,
    "datetime": _same_datetime,
}
