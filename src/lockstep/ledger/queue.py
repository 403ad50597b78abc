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
flight. A claim takes *all* of a record's pending items at once, those waiting for a
retry too (a new change reads the whole record, so it takes the waiting ones along):
a record's changes never straddle batches, passes or workers, and the drain can fold
them into the latest. On PostgreSQL a claim takes a transaction-scoped advisory lock
per record key and reads the records again once it holds them, so two claims running
at once cannot split a record's items between them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update
from sqlalchemy.engine import Row

from lockstep.core.codec import dumps
from lockstep.ledger import bulk
from lockstep.ledger.base import LedgerBase, among, analyze_after_bulk, chunks
from lockstep.ledger.bulk import driver_value
from lockstep.ledger.groups import Member, groups, keys
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
                item.seen_print or "",
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
        """Move to in_flight for ``worker`` the changes of up to ``limit`` records that
        have one available (oldest first), and return them in queue order.

        A record's changes go together (see ``ledger.groups``): all its pending ones,
        waiting for a retry or not, and none while one of them is in flight."""
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
        seeds = (
            select(*(queue.c[name] for name in _MEMBER))
            .where(queue.c.state == "pending", queue.c.available_at <= now, ~in_flight)
            .order_by(queue.c.id)
            .limit(limit)
        )
        if entities is not None:
            seeds = seeds.where(queue.c.entity.in_(list(entities)))
        postgres = self.engine.dialect.name == "postgresql"
        if postgres:
            seeds = seeds.with_for_update(skip_locked=True)
        with self._write(conn) as c:
            members = _members(c, {int(r[0]): Member(int(r[0]), *r[1:]) for r in c.execute(seeds)})
            if not members:
                return []
            refused: set[str] = set()
            if postgres:  # a claim holds every key of what it takes; read again after
                held: set[str] = set()
                while wanted := {k for m in members.values() for k in keys(m)} - held - refused:
                    refused |= _try_locks(c, wanted)
                    held |= wanted
                    members = _members(c, _states(c, members))
            claimed = [
                m.id
                for group in groups(members.values())
                if all(m.state == "pending" and refused.isdisjoint(keys(m)) for m in group)
                for m in group
            ]
            if not claimed:
                return []
            stmt = (
                update(queue)
                .where(among(queue.c.id, claimed, c), queue.c.state == "pending")
                .values(state="in_flight", claimed_by=worker, updated_at=self.now())
                .returning(*queue.c)
            )
            items = [_item(row) for row in c.execute(stmt)]
        return sorted(items, key=lambda item: item.id)

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
        attempts: int = 0,
        conn: Connection | None = None,
    ) -> QueueState | None:
        """Record that an in-flight item failed with ``error``. With ``retry_at`` (a
        transient failure) it goes to the back of the queue, available from then, or
        to dead once it has failed ``max_attempts`` times; without (terminal) it is
        failed until requeued. ``code`` is the error's code, kept beside its text;
        ``attempts``, the failures it inherits (of the older changes folded into it), at
        least. Returns the new state; ``None`` if the item was not in flight."""
        with self._write(conn) as c:
            before = c.scalar(
                select(queue.c.attempts).where(queue.c.id == id, queue.c.state == "in_flight")
            )
            if before is None:
                return None
            attempts = max(before, attempts) + 1
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

    def queued_keys(self, entity: str, origin: str, *, conn: Connection | None = None) -> set[str]:
        """The native ids of ``origin``'s records of ``entity`` with a change still to
        carry (pending, waiting for a retry, or in flight)."""
        stmt = (
            select(queue.c.native_id)
            .distinct()
            .where(
                queue.c.entity == entity,
                queue.c.origin == origin,
                queue.c.state.in_(["pending", "in_flight"]),
            )
        )
        with self._read(conn) as c:
            return {str(row[0]) for row in c.execute(stmt)}

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


def _members(conn: Connection, known: dict[int, Member]) -> dict[int, Member]:
    """``known`` and every pending or in-flight item sharing a record key with them,
    until no item brings another."""
    while known:
        rows = bulk.fetch(conn, _MEMBERS, sorted(known), ("bigint",), {})
        if not rows:
            break
        known = {**known, **{int(r[0]): Member(int(r[0]), *r[1:]) for r in rows}}
    return known


def _states(conn: Connection, known: dict[int, Member]) -> dict[int, Member]:
    """``known`` as the queue has them now: those still pending or in flight."""
    rows = bulk.fetch(conn, _STATES, sorted(known), ("bigint",), {})
    return {int(i): replace(known[int(i)], state=str(state)) for i, state in rows}


def _try_locks(conn: Connection, wanted: Collection[str]) -> set[str]:
    """PostgreSQL: take a transaction-scoped advisory lock per record key; the keys
    another claim holds."""
    return {str(r[0]) for r in bulk.fetch(conn, _LOCK, sorted(wanted), ("text",), {})}


_MEMBER = ("id", "entity", "origin", "native_id", "global_id", "state")

#: The pending and in-flight items, other than items ``{rows}``, sharing a record key
#: with one of them. ``s`` holds each record key once: a record with thousands of
#: changes waiting (an application saving a row in a loop) would otherwise look up its
#: thousands of items once per item, and the claim would grow with the square of them.
_MEMBERS = """\
WITH k (id) AS ({rows}),
s AS (
    SELECT DISTINCT q.entity, q.origin, q.native_id, q.global_id
    FROM k {join} ls_queue AS q ON q.id = k.id
)
SELECT m.id, m.entity, m.origin, m.native_id, m.global_id, m.state
FROM s {join} ls_queue AS m
ON m.entity = s.entity AND m.origin = s.origin AND m.native_id = s.native_id
WHERE m.state IN ('pending', 'in_flight') AND m.id NOT IN (SELECT k.id FROM k)
UNION
SELECT m.id, m.entity, m.origin, m.native_id, m.global_id, m.state
FROM s {join} ls_queue AS m ON m.entity = s.entity AND m.global_id = s.global_id
WHERE s.global_id IS NOT NULL AND m.state IN ('pending', 'in_flight')
AND m.id NOT IN (SELECT k.id FROM k)"""

_STATES = """\
WITH k (id) AS ({rows})
SELECT q.id, q.state FROM k {join} ls_queue AS q ON q.id = k.id
WHERE q.state IN ('pending', 'in_flight')"""

_LOCK = """\
WITH k (key) AS ({rows})
SELECT k.key FROM k WHERE NOT pg_try_advisory_xact_lock(hashtext(k.key))"""


_ENQUEUED = ("text",) * 8

#: Empty text stands for NULL (a PostgreSQL array literal has no NULL of ours).
_ENQUEUE = """\
INSERT INTO ls_queue (entity, origin, native_id, global_id, kind, "values", version,
  seen_print, state, attempts, available_at, enqueued_at, updated_at)
WITH r (entity, origin, native_id, global_id, kind, vals, version, seen) AS ({rows})
SELECT r.entity, r.origin, r.native_id, NULLIF(r.global_id, ''), r.kind, NULLIF(r.vals, ''),
  r.version, NULLIF(r.seen, ''), 'pending', 0, {now}, {now}, {now}
FROM r
RETURNING id"""
