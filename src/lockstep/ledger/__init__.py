"""lockstep's ledger: xrefs, golden records, sync state, the change queue, runs,
exceptions, telemetry and cursors, in SQLite (the default) or PostgreSQL."""

from __future__ import annotations

from lockstep.ledger.engine import current_revision, open_engine, upgrade
from lockstep.ledger.failures import Record, Redriven
from lockstep.ledger.ledger import DEFAULT_URL, Ledger
from lockstep.ledger.rows import (
    ExceptionEntry,
    Golden,
    Metric,
    QueueEntry,
    QueueItem,
    RecordException,
    Run,
    SyncState,
)
from lockstep.ledger.xrefs import XrefConflict

__all__ = [
    "DEFAULT_URL",
    "ExceptionEntry",
    "Golden",
    "Ledger",
    "Metric",
    "QueueEntry",
    "QueueItem",
    "Record",
    "RecordException",
    "Redriven",
    "Run",
    "SyncState",
    "XrefConflict",
    "current_revision",
    "open_engine",
    "upgrade",
]
