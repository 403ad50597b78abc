"""The change queue: durable, shared by any number of workers, never blocked by one
bad item.

::

    pending ──claim──> in_flight ──complete──> done
       ^                  │
       │                  ├─fail(retry_at=t)──> pending, available at t (dead once the
       │                  │                     attempts are used up)
       │                  ├─fail(retry_at=None)─> failed   (terminal: waits for a person)
       └──requeue─────────┴─release_in_flight (a worker died holding it)

``claim`` hands each item to exactly one worker: on PostgreSQL through
``FOR UPDATE SKIP LOCKED``, on SQLite because the claim is one write transaction.
It also keeps each *record* with one worker at a time, so that two changes of one
record are never carried side by side: an item is not claimed while another item of
its record (the same native id in the same origin, or the same global id) is in
flight, and on PostgreSQL a claim takes a transaction-scoped advisory lock per record
so that two claims running at once cannot split a record's items between them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, literal, or_, select, update
from sqlalchemy.engine import Row

from lockstep.core.codec import dumps
from lockstep.ledger import bulk
from lockstep.ledger.base import LedgerBase, among, analyze_after_bulk, chunks
from lockstep.ledger.bulk import driver_value
from lockstep.ledger.rows import QueueEntry, QueueItem, QueueState
from lockstep.ledger.tables import QUEUE_STATES, queue

DEFAULT_MAX_ATTEMPTS = 8


class QueueStore(LedgerBase):
    def enqueue(self, items: Iterable[QueueEntry], *, conn: Connection | None = None) -> list[int]:
        """Add changes to the back of the queue, available now; their ids, in order.
        One statement carries them all (see ``ledger.bulk``): capture queues thousands
        at a time."""
        rows = [
            (
                item.entity,
                item.origin,
                item.native_id,
                item.global_id or "",
                item.kind,
                "" if item.values is None else dumps(dict(item.values)),
                item.version,
            )
            for item in items
        ]
        if not rows:
            return []
        ids: list[int] = []
        with self._write(conn) as c:
            now = driver_value(c, queue.c.enqueued_at, self.now())
            for chunk in chunks(rows, bulk.ROWS):
                found = bulk.fetch(c, _ENQUEUE, chunk, _ENQUEUED, {"now": now})
                ids.extend(sorted(int(row[0]) for row in found))  # assigned in row order
            analyze_after_bulk(c, queue, len(rows))
        return ids

    def claim(
        self,
        limit: int,
        worker: str,
        *,
        now: datetime | None = None,
        entities: Collection[str] | None = None,
        conn: Connection | None = None,
    ) -> list[QueueItem]:
        """Move up to ``limit`` pending items that are available (oldest first) to
        in_flight for ``worker``, and return them in queue order."""
        now = now or self.now()
        busy = queue.alias("busy")
        same_record = or_(
            and_(busy.c.origin == queue.c.origin, busy.c.native_id == queue.c.native_id),
            and_(queue.c.global_id.is_not(None), busy.c.global_id == queue.c.global_id),
        )
        in_flight = (
            select(busy.c.id)
            .where(busy.c.state == "in_flight", busy.c.entity == queue.c.entity, same_record)
            .exists()
        )
        candidates = (
            select(queue.c.id)
            .where(queue.c.state == "pending", queue.c.available_at <= now, ~in_flight)
            .order_by(queue.c.available_at, queue.c.id)
            .limit(limit)
        )
        if entities is not None:
            candidates = candidates.where(queue.c.entity.in_(list(entities)))
        postgres = self.engine.dialect.name == "postgresql"
        if postgres:
            candidates = candidates.with_for_update(skip_locked=True)
        with self._write(conn) as c:
            ids = [int(i) for i in c.execute(candidates).scalars()]
            if postgres and ids:  # only the rows chosen: a lock per record they hold
                lockable = select(queue.c.id).where(among(queue.c.id, ids, c), _record_lock())
                ids = [int(i) for i in c.execute(lockable).scalars()]
            if not ids:
                return []
            stmt = (
                update(queue)
                .where(among(queue.c.id, ids, c))
                .values(state="in_flight", claimed_by=worker, updated_at=self.now())
                .returning(*queue.c)
            )
            items = [_item(row) for row in c.execute(stmt)]
        return sorted(items, key=lambda item: (item.available_at, item.id))

    def complete(self, ids: Iterable[int], *, conn: Connection | None = None) -> int:
        """Mark in-flight items done; how many were."""
        done = 0
        with self._write(conn) as c:
            for chunk in chunks(ids):
                done += c.execute(
                    update(queue)
                    .where(among(queue.c.id, chunk, c), queue.c.state == "in_flight")
                    .values(
                        state="done", updated_at=self.now(), last_error=None, last_error_code=None
                    )
                ).rowcount
        return done

    def fail(
        self,
        id: int,
        error: str,
        *,
        retry_at: datetime | None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        code: str | None = None,
        conn: Connection | None = None,
    ) -> QueueState | None:
        """Record that an in-flight item failed with ``error``. With ``retry_at`` (a
        transient failure) it goes to the back of the queue, available from then, or
        to dead once it has failed ``max_attempts`` times; without (terminal) it is
        failed until requeued. ``code`` is the error's code, kept beside its text.
        Returns the new state; ``None`` if the item was not in flight."""
        with self._write(conn) as c:
            attempts = c.scalar(
                select(queue.c.attempts).where(queue.c.id == id, queue.c.state == "in_flight")
            )
            if attempts is None:
                return None
            attempts += 1
            state: QueueState
            if retry_at is None:
                state = "failed"
            elif attempts >= max_attempts:
                state = "dead"
            else:
                state = "pending"
            values: dict[str, Any] = {
                "state": state,
                "attempts": attempts,
                "last_error": error,
                "last_error_code": code,
                "claimed_by": None,
                "updated_at": self.now(),
            }
            if retry_at is not None:
                values["available_at"] = retry_at
            c.execute(update(queue).where(queue.c.id == id).values(**values))
        return state

    def release_in_flight(
        self,
        *,
        worker: str | None = None,
        older_than: timedelta | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Put in-flight items back to pending, as on start after a crash; how many.
        With several workers sharing the queue, narrow it to a ``worker`` or to items
        claimed more than ``older_than`` ago, lest a live worker's items be taken."""
        stmt = update(queue).where(queue.c.state == "in_flight")
        if worker is not None:
            stmt = stmt.where(queue.c.claimed_by == worker)
        if older_than is not None:
            stmt = stmt.where(queue.c.updated_at < self.now() - older_than)
        stmt = stmt.values(state="pending", claimed_by=None, updated_at=self.now())
        with self._write(conn) as c:
            return c.execute(stmt).rowcount

    def requeue(
        self,
        states: Collection[QueueState] = ("failed", "dead"),
        entity: str | None = None,
        *,
        ids: Collection[int] | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Give items in ``states`` (of one entity, or only ``ids``, if given) a fresh
        start: pending, available now, attempts reset; how many."""
        now = self.now()
        stmt = update(queue).where(queue.c.state.in_(list(states)))
        if entity is not None:
            stmt = stmt.where(queue.c.entity == entity)
        if ids is not None:
            stmt = stmt.where(queue.c.id.in_(list(ids)))
        stmt = stmt.values(
            state="pending", attempts=0, available_at=now, claimed_by=None, updated_at=now
        )
        with self._write(conn) as c:
            return c.execute(stmt).rowcount

    def queue_counts(
        self, *, entity: str | None = None, conn: Connection | None = None
    ) -> dict[str, int]:
        """How many items are in each state (every state present, zeros included)."""
        stmt = select(queue.c.state, func.count()).group_by(queue.c.state)
        if entity is not None:
            stmt = stmt.where(queue.c.entity == entity)
        counts = dict.fromkeys(QUEUE_STATES, 0)
        with self._read(conn) as c:
            counts.update({state: int(n) for state, n in c.execute(stmt)})
        return counts

    def queue_items(
        self,
        *,
        states: Collection[QueueState] | None = None,
        entity: str | None = None,
        native_id: str | None = None,
        limit: int = 1000,
        conn: Connection | None = None,
    ) -> list[QueueItem]:
        """Items for inspection, oldest first, narrowed by state, entity, record."""
        stmt = select(queue).order_by(queue.c.id).limit(limit)
        if states is not None:
            stmt = stmt.where(queue.c.state.in_(list(states)))
        if entity is not None:
            stmt = stmt.where(queue.c.entity == entity)
        if native_id is not None:
            stmt = stmt.where(queue.c.native_id == native_id)
        with self._read(conn) as c:
            return [_item(row) for row in c.execute(stmt)]

    def prune_queue(
        self, older_than: timedelta = timedelta(days=7), *, conn: Connection | None = None
    ) -> int:
        """Delete done items last touched more than ``older_than`` ago; how many."""
        stmt = delete(queue).where(
            queue.c.state == "done", queue.c.updated_at < self.now() - older_than
        )
        with self._write(conn) as c:
            return c.execute(stmt).rowcount


def _item(row: Row[Any]) -> QueueItem:
    return QueueItem(**row._mapping)


def _record_lock() -> ColumnElement[bool]:
    """PostgreSQL: hold (for the claim's transaction) an advisory lock on the item's
    record, by native id and by global id; false when another claim holds one."""
    record = queue.c.entity + literal("|") + queue.c.origin + literal("|") + queue.c.native_id
    by_native = func.pg_try_advisory_xact_lock(func.hashtext(record))
    by_global = or_(
        queue.c.global_id.is_(None),
        func.pg_try_advisory_xact_lock(
            func.hashtext(queue.c.entity + literal("|gid|") + queue.c.global_id)
        ),
    )
    return and_(by_native, by_global)


_ENQUEUED = ("text",) * 7

#: Empty text stands for NULL (a PostgreSQL array literal has no NULL of ours).
_ENQUEUE = """\
INSERT INTO ls_queue (entity, origin, native_id, global_id, kind, "values", version, state,
  attempts, available_at, enqueued_at, updated_at)
WITH r (entity, origin, native_id, global_id, kind, vals, version) AS ({rows})
SELECT r.entity, r.origin, r.native_id, NULLIF(r.global_id, ''), r.kind, NULLIF(r.vals, ''),
  r.version, 'pending', 0, {now}, {now}, {now}
FROM r
RETURNING id"""
