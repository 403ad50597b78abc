"""The write side of the change log: a store listener that logs each write as an event.

``RecordStore`` calls its listeners inside the writer's transaction, under the
database lock, so every REST, Composite, Collections or Bulk write is logged in the
transaction that makes it, and the recorder's per-transaction state (transaction key,
sequence number, overflow count) needs no lock of its own. A new transaction is told
apart by ``Database.transactions``.

Salesforce's own limits are reproduced: past 100,000 changes in one transaction
(an update counts each changed field), the rest of the transaction yields one
``GAP_OVERFLOW`` event per entity. Gap events can be injected on demand, either as
such or by turning the next N changes into ``GAP_<type>`` events that carry only the
record id, which is what a subscriber gets when Salesforce cannot build the event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lockstep_emulator.cdc import table
from lockstep_emulator.cdc.events import DEFAULT_ORIGIN, GAP_TYPES, LoggedChange
from lockstep_emulator.store.records import Change

if TYPE_CHECKING:
    from lockstep_emulator.org import Org

OVERFLOW_AFTER = 100_000
REPLAY_COUNTER = "cdc:replay"
COMMIT_COUNTER = "cdc:commit"


class Recorder:
    """Logs the changes of one org; ``on_commit`` is called after a commit that logged any."""

    def __init__(self, org: Org, *, overflow_after: int = OVERFLOW_AFTER) -> None:
        self._org = org
        self._overflow_after = overflow_after
        self.on_commit: Callable[[], None] | None = None
        self._transaction = 0
        self._key = ""
        self._sequence = 0
        self._commit_number = 0
        self._weight = 0
        self._overflowed: set[str] = set()
        self._logged_in = 0
        self._gaps_pending = 0
        self._stamp: datetime | None = None
        self._stamp_ms = 0
        self._first: LoggedChange | None = None  # the buffered block's first event
        self._block: list[bytes] = []

    def install(self) -> None:
        """Create the table and start listening to the store."""
        table.create(self._org.db)
        self._org.store.listeners.append(self.record)
        self._org.db.flushers.append(self.flush)
        self._org.db.after_commit.append(self._committed)

    def uninstall(self) -> None:
        self._org.store.listeners.remove(self.record)
        self._org.db.flushers.remove(self.flush)
        self._org.db.after_commit.remove(self._committed)

    def flush(self) -> None:
        """Write the buffered block (``Database`` calls this before a savepoint begins or
        is rolled back, and before COMMIT, so events share their writes' fate)."""
        if self._first is not None and self._transaction == self._org.db.transactions:
            table.insert_block(self._org.db.conn, self._first, self._block)
        self._first, self._block = None, []

    def record(self, change: Change) -> None:
        """The store listener: one event for one write (or a gap, or an overflow)."""
        self._begin()
        self._weight += len(change.changed_fields) if change.kind == "UPDATE" else 1
        if self._weight > self._overflow_after:
            if change.object not in self._overflowed:
                self._overflowed.add(change.object)
                self._append(change.object, "GAP_OVERFLOW", (), {}, change.user_id, change.stamp)
            return
        if self._gaps_pending:
            self._gaps_pending -= 1
            kind = "GAP_" + change.kind
            self._append(change.object, kind, (change.record_id,), {}, change.user_id, change.stamp)
            return
        values = {} if change.kind == "DELETE" else change.values
        ids = (change.record_id,)
        self._append(change.object, change.kind, ids, values, change.user_id, change.stamp)

    def inject_gap(self, entity: str, change_type: str, record_ids: Iterable[str]) -> int:
        """Log a gap event now, in a transaction of its own; its replay id."""
        if change_type not in GAP_TYPES:
            raise ValueError(f"not a gap change type: {change_type}")
        org = self._org
        with org.db.transaction():
            self._begin()
            ids = () if change_type == "GAP_OVERFLOW" else tuple(record_ids)
            return self._append(entity, change_type, ids, {}, org.user_id, org.clock.stamp())

    def gap_next(self, count: int) -> None:
        """Turn the next ``count`` changes, whoever makes them, into gap events."""
        with self._org.db.lock:
            self._gaps_pending = max(0, count)

    def _begin(self) -> None:
        """Start the per-transaction state when a new transaction logs its first event."""
        db = self._org.db
        if db.transactions == self._transaction:
            return
        self._transaction = db.transactions
        self._first, self._block = None, []  # what a rolled-back transaction left
        self._key = str(uuid.uuid4())
        self._sequence = 0
        self._weight = 0
        self._overflowed = set()
        self._commit_number = db.next_counter(COMMIT_COUNTER)
        db.next_counter(REPLAY_COUNTER)  # a skipped id: replay ids are not contiguous

    def _append(
        self,
        entity: str,
        change_type: str,
        record_ids: tuple[str, ...],
        values: Mapping[str, Any],
        user_id: str,
        stamp: datetime,
    ) -> int:
        if stamp is not self._stamp:  # a bulk batch shares one stamp
            self._stamp, self._stamp_ms = stamp, table.to_ms(stamp)
        if self._first is not None and self._first.entity != entity:
            self.flush()
        self._sequence += 1
        event = LoggedChange(
            self._org.db.next_counter(REPLAY_COUNTER), entity, change_type, record_ids,
            self._key, self._sequence, self._stamp_ms, self._commit_number, user_id,
            DEFAULT_ORIGIN, values,
        )  # fmt: skip
        self._block.append(table.encode(event))
        if self._first is None:
            self._first = event
        if len(self._block) >= table.BLOCK:
            self.flush()
        self._logged_in = self._transaction
        return event.replay_id

    def _committed(self) -> None:
        """After a commit: wake subscribers if this transaction logged anything."""
        if self._logged_in != self._org.db.transactions:
            return
        self._logged_in = 0
        if self.on_commit is not None:
            self.on_commit()
