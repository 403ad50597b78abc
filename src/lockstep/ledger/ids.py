"""Identifiers the ledger hands out: global ids and run ids, both sortable by time.

A global id is ULID-shaped: 26 characters of Crockford base32, the first 10 the
millisecond it was made, the last 16 random. Ids made in the same millisecond by one
process count up from the previous one, so ids sort in the order they were made and
index pages fill from one end.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from datetime import UTC, datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_lock = threading.Lock()
_last = (0, 0)


def new_global_id() -> str:
    """A new 26-character, time-ordered id."""
    global _last
    with _lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_random = _last
        if millis <= last_millis:
            millis, random = last_millis, last_random + 1
            if random >> _RANDOM_BITS:
                millis, random = millis + 1, secrets.randbits(_RANDOM_BITS)
        else:
            random = secrets.randbits(_RANDOM_BITS)
        _last = (millis, random)
    return _base32((millis << _RANDOM_BITS) | random, 26)


def new_run_id(now: datetime) -> str:
    """``20261124T010203Z-3fa9c1``: the UTC start second, then 6 random hex digits."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


# RFC 4648 base32 and Crockford's use the same 5-bit groups, in other letters
_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


def _base32(number: int, width: int) -> str:
    """``number`` in ``width`` Crockford base32 digits (at most 32), most significant
    first: the standard library's base32 of its 20 bytes (160 bits, 32 whole digits),
    less the leading digits. A digit-by-digit loop took 21 µs an id, a tenth of
    migrate's own time per record."""
    encoded = base64.b32encode(number.to_bytes(20, "big"))[32 - width :]
    return encoded.translate(_CROCKFORD).decode()
