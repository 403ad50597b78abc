"""The emulator's clock: real time plus an offset an admin can move forward, and a
millisecond stamp that strictly increases across every write, whichever client
makes it. Replication tools use ``SystemModstamp`` as a cursor, so two writes must
never share a stamp or go backwards.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time shifted by ``offset``; ``stamp()`` is strictly increasing."""

    def __init__(self, offset: timedelta = timedelta(0), last_stamp_ms: int = 0) -> None:
        self._offset = offset
        self._last_ms = last_stamp_ms
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward (never back: stamps must stay increasing)."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta

    def stamp(self) -> datetime:
        """A time, to the millisecond, later than every stamp handed out before."""
        with self._lock:
            now_ms = int(self.now().timestamp() * 1000)
            self._last_ms = max(now_ms, self._last_ms + 1)
            return datetime.fromtimestamp(self._last_ms / 1000, tz=UTC)

    @property
    def last_stamp_ms(self) -> int:
        return self._last_ms
