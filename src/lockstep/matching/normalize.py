"""Normalizers: how a match rule spells a value before comparing it.

=============  ================================================================
``exact``      as is (also what a rule without normalizers does)
``case``       case folded (``"Straße"`` → ``"strasse"``)
``whitespace`` trimmed, inner runs of whitespace made one space
``email``      trimmed, lower-cased
``phone``      digits only; 11 digits starting with ``1`` lose that ``1``
               (a North American number with its country code). Nothing else is
               guessed: ``+44 20 7946 0000`` → ``"442079460000"``
=============  ================================================================

Values that are not text are spelled first as canonical values compare: ``1``,
``1.0`` and ``Decimal('1.00')`` all as ``"1"``, booleans as ``"true"``/``"false"``,
dates in ISO 8601, datetimes in UTC. ``None`` and what normalizes to ``""`` give
``None``: an empty value matches nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

Normalize = Callable[[Any], str | None]

_NOT_DIGITS = re.compile(r"[^0-9]+")


def exact(text: str) -> str:
    return text


def case(text: str) -> str:
    return text.casefold()


def whitespace(text: str) -> str:
    return " ".join(text.split())


def email(text: str) -> str:
    return text.strip().lower()


def phone(text: str) -> str:
    digits = _NOT_DIGITS.sub("", text)
    if len(digits) == 11 and digits[0] == "1":
        return digits[1:]
    return digits


NORMALIZERS: Mapping[str, Callable[[str], str]] = {
    "exact": exact,
    "case": case,
    "whitespace": whitespace,
    "email": email,
    "phone": phone,
}


def text_of(value: Any) -> str | None:
    """``value`` spelled as text, so that equal canonical values spell alike."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def normalizer(names: Iterable[str]) -> Normalize:
    """One function applying the normalizers ``names`` in order to a value's text;
    ``None`` for an empty result. ``ValueError`` for an unknown name."""
    return _compose(tuple(names))


@functools.cache
def _compose(names: tuple[str, ...]) -> Normalize:
    unknown = [n for n in names if n not in NORMALIZERS]
    if unknown:
        raise ValueError(
            f"unknown normalizer {', '.join(map(repr, unknown))}; "
            f"expected one of: {', '.join(NORMALIZERS)}"
        )
    steps = tuple(NORMALIZERS[n] for n in names if n != "exact")

    def normalize(value: Any) -> str | None:
        text = value if type(value) is str else text_of(value)
        if text is None:
            return None
        for step in steps:
            text = step(text)
        return text or None

    return normalize
