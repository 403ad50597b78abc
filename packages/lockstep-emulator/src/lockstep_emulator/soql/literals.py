"""Turning literal text into values: string escapes, LIKE patterns, dates and datetimes.

Pure functions over strings. They raise ``ValueError`` with a short reason; the parser
adds the position and turns it into ``MALFORMED_QUERY``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_ESCAPES = {
    "'": "'",
    '"': '"',
    "\\": "\\",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
}

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):?(\d{2}))",
    re.IGNORECASE,
)


def decode_string(raw: str) -> str:
    """The value of a quoted string (``raw`` is the text between the quotes).

    ``\\%`` and ``\\_`` keep their backslash: they only mean something inside LIKE,
    where ``like_pattern`` reads them from ``raw``.
    """
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in ("%", "_"):
            out.append("\\" + nxt)
            i += 2
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", raw[i + 2 : i + 6]):
            out.append(chr(int(raw[i + 2 : i + 6], 16)))
            i += 6
        else:
            raise ValueError(
                f"Invalid string literal '{raw}'. Illegal character sequence '\\{nxt}'"
            )
    return "".join(out)


def encode_string(value: str) -> str:
    """A SOQL string literal (with quotes) whose value is ``value``."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )
    return f"'{escaped}'"


def like_pattern(raw: str) -> str:
    """A SQLite LIKE pattern (escape character ``\\``) for a SOQL LIKE literal.

    ``%`` and ``_`` stay wildcards; ``\\%``, ``\\_`` and ``\\\\`` stay escaped; every
    other escape is decoded.
    """
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw) and raw[i + 1] in "%_\\":
            out.append("\\" + raw[i + 1])
            i += 2
        elif ch == "\\":
            j = i + 2 if raw[i + 1 : i + 2] != "u" else i + 6
            out.append(decode_string(raw[i:j]))
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_date(text: str) -> date:
    """``YYYY-MM-DD``."""
    return date.fromisoformat(text)


def parse_datetime_literal(text: str) -> datetime:
    """``YYYY-MM-DDThh:mm:ss(.fff...)?(Z|+hh:mm|+hhmm)`` as an aware datetime.

    Fractions longer than microseconds are cut, not rounded, as Salesforce keeps
    milliseconds only.
    """
    m = _DATETIME.fullmatch(text)
    if m is None:
        raise ValueError(f"invalid datetime: {text}")
    year, month, day, hour, minute, second, frac, zone, sign, zh, zm = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = UTC
    if zone.upper() != "Z":
        offset = timedelta(hours=int(zh), minutes=int(zm))
        tz = timezone(-offset if sign == "-" else offset)
    value = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
    )
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"datetime out of range: {text}") from None
    return value
