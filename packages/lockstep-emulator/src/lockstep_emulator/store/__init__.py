"""SQLite storage for one emulated org: tables, system fields, validated writes."""

from lockstep_emulator.store.db import Database
from lockstep_emulator.store.records import RecordStore

__all__ = ["Database", "RecordStore"]
