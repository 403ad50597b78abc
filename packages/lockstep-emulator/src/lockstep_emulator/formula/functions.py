"""The plain functions a formula can call: each takes values and returns one.

Functions that need more than their arguments' values (IF and CASE, which evaluate
only the branch taken; AND/OR/NOT with three-valued logic; ISCHANGED, PRIORVALUE,
ISNEW, TODAY and NOW, which read the save itself) are compiled in ``compile.py``.

Blank arguments: a text parameter receives a blank as ``""`` (Salesforce's text
blank); a blank number, date or date/time makes the result blank, unless the
function is about blanks (``handles_blank``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from lockstep_emulator.formula.kinds import Kind

N, T, B, D, DT, ANY = Kind.NUMBER, Kind.TEXT, Kind.BOOLEAN, Kind.DATE, Kind.DATETIME, Kind.ANY


@dataclass(frozen=True)
class Function:
    """A function's parameter kinds (the last repeats when ``variadic``) and result kind."""

    params: tuple[Kind, ...]
    returns: Kind
    impl: Callable[..., Any]
    variadic: bool = False
    handles_blank: bool = False
    optional: int = 0  # how many trailing parameters may be left out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _value(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _round(number: float, digits: float = 0) -> float:
    scale = 10.0 ** int(digits)
    return math.floor(abs(number) * scale + 0.5) / scale * (1 if number >= 0 else -1)


def _date(year: float, month: float, day: float) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _datevalue(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@lru_cache(maxsize=256)
def pattern(text: str) -> re.Pattern[str]:
    """A REGEX pattern, compiled once (``re.error`` when it is not a regular expression)."""
    return re.compile(text)


def _regex(text: str, expression: str) -> bool | None:
    try:
        return pattern(expression).fullmatch(text) is not None
    except re.error:
        return None


def _mid(text: str, start: float, length: float) -> str:
    begin = max(int(start), 1) - 1
    return text[begin : begin + max(int(length), 0)]


def _mod(a: float, b: float) -> float | None:
    return None if b == 0 else math.fmod(a, b)


FUNCTIONS: dict[str, Function] = {
    "ISBLANK": Function((ANY,), B, lambda v: v is None or v == "", handles_blank=True),
    "ISNULL": Function((ANY,), B, lambda v: v is None or v == "", handles_blank=True),
    "ISNUMBER": Function((T,), B, lambda t: _value(t) is not None),
    "ISPICKVAL": Function((T, T), B, lambda v, literal: v == literal),
    "INCLUDES": Function((T, T), B, lambda v, literal: literal in v.split(";")),
    "LEN": Function((T,), N, len),
    "TEXT": Function((ANY,), T, _text, handles_blank=True),
    "VALUE": Function((T,), N, _value),
    "UPPER": Function((T,), T, str.upper),
    "LOWER": Function((T,), T, str.lower),
    "TRIM": Function((T,), T, str.strip),
    "LEFT": Function((T, N), T, lambda t, n: t[: max(int(n), 0)]),
    "RIGHT": Function((T, N), T, lambda t, n: t[len(t) - max(int(n), 0) :] if n > 0 else ""),
    "MID": Function((T, N, N), T, _mid),
    "BEGINS": Function((T, T), B, str.startswith),
    "CONTAINS": Function((T, T), B, lambda t, part: part in t),
    "SUBSTITUTE": Function((T, T, T), T, lambda t, old, new: t.replace(old, new) if old else t),
    "REGEX": Function((T, T), B, _regex),
    "ABS": Function((N,), N, abs),
    "FLOOR": Function((N,), N, math.floor),
    "CEILING": Function((N,), N, math.ceil),
    "ROUND": Function((N, N), N, _round, optional=1),
    "MOD": Function((N, N), N, _mod),
    "MIN": Function((N,), N, min, variadic=True),
    "MAX": Function((N,), N, max, variadic=True),
    "DATE": Function((N, N, N), D, _date),
    "DATEVALUE": Function((ANY,), D, _datevalue),
    "YEAR": Function((D,), N, lambda d: d.year),
    "MONTH": Function((D,), N, lambda d: d.month),
    "DAY": Function((D,), N, lambda d: d.day),
}
