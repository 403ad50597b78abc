"""The daily API request allocation: counted per call, reported in
``Sforce-Limit-Info: api-usage=N/M``, enforced with 403 REQUEST_LIMIT_EXCEEDED.

The window is a rolling day from the first counted call; the count survives a restart
(it is saved in the org's metadata on close).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from lockstep_emulator.errors import SalesforceError

WINDOW = timedelta(hours=24)


class ApiUsage:
    def __init__(self, limit: int, used: int = 0, window_start: datetime | None = None) -> None:
        self.limit = limit
        self.used = used
        self.window_start = window_start
        self._lock = threading.Lock()

    def count(self, now: datetime) -> None:
        """Count one call, or refuse it when the allocation is spent."""
        with self._lock:
            if self.window_start is None or now - self.window_start >= WINDOW:
                self.window_start = now
                self.used = 0
            if self.used >= self.limit:
                raise SalesforceError(
                    "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", status=403
                )
            self.used += 1

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def header(self) -> str:
        return f"api-usage={self.used}/{self.limit}"
