"""The operator's view of the ledger: ``status`` (health, queue, what needs a person)
and ``explain`` (one record's lineage). Read only: no system is contacted, and a
ledger that does not exist is not created."""

from __future__ import annotations

from lockstep.control.access import LedgerUnreachable, ledger_url, open_existing, shown
from lockstep.control.explain import Lineage, NoRecord, SystemSide, lineage, read_lineage
from lockstep.control.status import (
    EntityQueue,
    ErrorCount,
    LastRun,
    LedgerStatus,
    error_code,
    ledger_status,
    read_status,
)

__all__ = [
    "EntityQueue",
    "ErrorCount",
    "LastRun",
    "LedgerStatus",
    "LedgerUnreachable",
    "Lineage",
    "NoRecord",
    "SystemSide",
    "error_code",
    "ledger_status",
    "ledger_url",
    "lineage",
    "open_existing",
    "read_lineage",
    "read_status",
    "shown",
]
