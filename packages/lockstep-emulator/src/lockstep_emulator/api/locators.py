"""Open query cursors behind ``nextRecordsUrl`` locators.

Each open query keeps its own read connection, so later pages come from the same
snapshot as the first (as Salesforce's cursors do). Locators expire after 15 minutes
without use; at most ``MAX_OPEN`` stay open and the least recently used is closed first.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol


class Cursor(Protocol):
    total_size: int

    def fetch(self, n: int) -> list[dict[str, Any]]: ...

    @property
    def done(self) -> bool: ...

    def close(self) -> None: ...


EXPIRY_SECONDS = 15 * 60
MAX_OPEN = 64


@dataclass
class OpenQuery:
    cursor: Cursor
    batch_size: int
    position: int
    last_used: float


class QueryLocators:
    def __init__(self) -> None:
        self._open: OrderedDict[str, OpenQuery] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, cursor: Cursor, batch_size: int, position: int) -> str:
        locator = "01g" + secrets.token_hex(6).upper()[:12]
        with self._lock:
            self._expire()
            while len(self._open) >= MAX_OPEN:
                _, oldest = self._open.popitem(last=False)
                oldest.cursor.close()
            self._open[locator] = OpenQuery(cursor, batch_size, position, time.monotonic())
        return locator

    def take(self, locator: str) -> OpenQuery | None:
        with self._lock:
            self._expire()
            found = self._open.get(locator)
            if found is not None:
                found.last_used = time.monotonic()
                self._open.move_to_end(locator)
            return found

    def drop(self, locator: str) -> None:
        with self._lock:
            found = self._open.pop(locator, None)
        if found is not None:
            found.cursor.close()

    def _expire(self) -> None:
        cutoff = time.monotonic() - EXPIRY_SECONDS
        for key in [k for k, v in self._open.items() if v.last_used < cutoff]:
            self._open.pop(key).cursor.close()

    def close_all(self) -> None:
        with self._lock:
            for q in self._open.values():
                q.cursor.close()
            self._open.clear()
