"""Identifiers the ledger hands out: global ids and run ids, both sortable by time.

A global id is ULID-shaped: 26 characters of Crockford base32, the first 10 the
millisecond it was made, the last 16 random. Ids made in the same millisecond by one
process count up from the previous one, so ids sort in the order they were made and
index pages fill from one end.
"""

from __future__ import annotations

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


def _base32(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))
