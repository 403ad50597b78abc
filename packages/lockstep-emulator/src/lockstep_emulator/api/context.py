"""What every REST handler reaches: the org, the API usage, the open query cursors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from lockstep_emulator.api.locators import QueryLocators
from lockstep_emulator.api.stats import ApiStats
from lockstep_emulator.api.usage import ApiUsage
from lockstep_emulator.faults import FaultEngine
from lockstep_emulator.org import Org

if TYPE_CHECKING:
    from lockstep_emulator.api.bulk2.service import Bulk2Jobs
    from lockstep_emulator.api.dispatch import Router


@dataclass
class ApiContext:
    org: Org
    usage: ApiUsage
    router: Router
    locators: QueryLocators = field(default_factory=QueryLocators)
    started_at: datetime | None = None
    on_close: list[Callable[[], None]] = field(default_factory=list)
    bulk2: Bulk2Jobs | None = None  # Bulk API 2.0 jobs and workers, made on first use
    faults: FaultEngine = field(default_factory=FaultEngine)  # admin: PUT /_emulator/faults
    stats: ApiStats = field(default_factory=ApiStats)  # every call, counted by api/faults.py
    on_refresh: list[Callable[[sqlite3.Connection], None]] = field(default_factory=list)

    def close(self) -> None:
        """Stop background work (hooks run last-registered first), then save usage."""
        for hook in reversed(self.on_close):
            hook()
        self.locators.close_all()
        org = self.org
        org.db.set_meta("api:used", str(self.usage.used))
        if self.usage.window_start is not None:
            org.db.set_meta("api:window_start", self.usage.window_start.isoformat())
