"""Salesforce record ids: a 3-character key prefix, 12 base-62 characters, and for the
18-character form a 3-character checksum that makes the id case-insensitively unique.

Each checksum character encodes which of five id characters are upper case, so a
15-character id (case-sensitive) and its 18-character form name the same record.
"""

from __future__ import annotations

import re

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_SHAPE = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Za-z0-5]{3})?$")


def checksum(id15: str) -> str:
    """The 3-character suffix for a 15-character id."""
    out = []
    for chunk in range(3):
        bits = 0
        for j, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << j
        out.append(_SUFFIX_ALPHABET[bits])
    return "".join(out)


def to18(record_id: str) -> str:
    """The 18-character form of a 15- or 18-character id; raises ValueError otherwise.

    An 18-character id is re-derived from its first 15 characters, so the result is
    canonical even when the input's case was changed (18-character ids compare
    case-insensitively).
    """
    if not is_id_shaped(record_id):
        raise ValueError(f"not a Salesforce id: {record_id!r}")
    if len(record_id) == 18:
        return _restore_case(record_id)
    return record_id + checksum(record_id)


def is_id_shaped(value: str) -> bool:
    """True when ``value`` looks like a 15- or 18-character id."""
    return bool(_ID_SHAPE.match(value)) if isinstance(value, str) else False


def _restore_case(id18: str) -> str:
    """Re-case an 18-character id from its suffix, so lower-cased input still matches."""
    suffix = id18[15:].upper()
    chars = list(id18[:15])
    for chunk, sch in enumerate(suffix):
        bits = _SUFFIX_ALPHABET.index(sch) if sch in _SUFFIX_ALPHABET else 0
        for j in range(5):
            i = chunk * 5 + j
            chars[i] = chars[i].upper() if bits & (1 << j) else chars[i].lower()
    id15 = "".join(chars)
    return id15 + checksum(id15)


def encode_base62(number: int, width: int) -> str:
    """``number`` in base 62, left-padded with zeros to ``width`` characters."""
    if number < 0:
        raise ValueError("negative id counter")
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(_BASE62[rem])
    text = "".join(reversed(digits)) or "0"
    if len(text) > width:
        raise ValueError(f"id counter overflows {width} base-62 digits")
    return text.rjust(width, "0")


def make_id(prefix: str, pod: str, counter: int) -> str:
    """A new 18-character id: key prefix (3), pod (2), reserved ``0`` (1), counter (9)."""
    if len(prefix) != 3 or len(pod) != 2:
        raise ValueError("prefix must have 3 characters and pod 2")
    return to18(prefix + pod + "0" + encode_base62(counter, 9))


def key_prefix(record_id: str) -> str:
    """The 3-character key prefix that names the object an id belongs to."""
    return record_id[:3]
