"""The reads ``status`` and ``explain`` need that the ledger's stores do not offer:
the queue grouped by entity, one record's changes and exceptions, the latest
exceptions. SQLAlchemy Core on the ledger's tables, read only; each takes the
connection of the caller's one read, so the answer is one snapshot.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select
from sqlalchemy.engine import Row

from lockstep.ledger.rows import QueueItem, RecordException
from lockstep.ledger.tables import exceptions, golden, queue, xrefs


def queue_states(conn: Connection) -> dict[str, dict[str, int]]:
    """``{entity: {state: items}}``, for the states an entity has items in."""
    stmt = select(queue.c.entity, queue.c.state, func.count()).group_by(
        queue.c.entity, queue.c.state
    )
    found: dict[str, dict[str, int]] = {}
    for entity, state, n in conn.execute(stmt):
        found.setdefault(entity, {})[state] = int(n)
    return found


def oldest_pending(conn: Connection) -> dict[str, datetime]:
    """``{entity: when its oldest pending change was enqueued}``."""
    stmt = (
        select(queue.c.entity, func.min(queue.c.enqueued_at))
        .where(queue.c.state == "pending")
        .group_by(queue.c.entity)
    )
    return {str(entity): at for entity, at in conn.execute(stmt)}


def waiting(conn: Connection) -> dict[str, tuple[int, datetime]]:
    """``{entity: (how many, the soonest retry)}`` of the changes that wait to be tried
    again: pending after a failed attempt."""
    stmt = (
        select(queue.c.entity, func.count(), func.min(queue.c.available_at))
        .where(queue.c.state == "pending", queue.c.attempts > 0)
        .group_by(queue.c.entity)
    )
    return {entity: (int(n), at) for entity, n, at in conn.execute(stmt)}


def last_errors(
    conn: Connection, states: Collection[str]
) -> list[tuple[str, str, str | None, str, int]]:
    """``(entity, state, code, last_error, items)`` of the items in ``states`` that
    failed at least once, one row per distinct code and text (the code is ``None`` for
    items failed before the ledger kept codes)."""
    code, text = queue.c.last_error_code, queue.c.last_error
    stmt = (
        select(queue.c.entity, queue.c.state, code, text, func.count())
        .where(queue.c.state.in_(list(states)), text.is_not(None))
        .group_by(queue.c.entity, queue.c.state, code, text)
    )
    return [(e, s, c, error, int(n)) for e, s, c, error, n in conn.execute(stmt)]


def recent_exceptions(conn: Connection, limit: int) -> list[RecordException]:
    """The ``limit`` latest unresolved exception rows, newest first."""
    stmt = (
        select(exceptions)
        .where(exceptions.c.resolved_at.is_(None))
        .order_by(exceptions.c.id.desc())
        .limit(limit)
    )
    return [_exception(row) for row in conn.execute(stmt)]


def open_exceptions(conn: Connection) -> int:
    """How many exception rows are unresolved."""
    stmt = select(func.count()).select_from(exceptions).where(exceptions.c.resolved_at.is_(None))
    return int(conn.scalar(stmt) or 0)


def known_global_id(conn: Connection, entity: str, global_id: str) -> bool:
    """Whether ``global_id`` is one of ``entity``'s: linked, or with a golden record."""
    linked = select(xrefs.c.global_id).where(
        xrefs.c.entity == entity, xrefs.c.global_id == global_id
    )
    kept = select(golden.c.global_id).where(
        golden.c.entity == entity, golden.c.global_id == global_id
    )
    return conn.execute(linked.union_all(kept).limit(1)).first() is not None


def record_changes(
    conn: Connection,
    entity: str,
    global_id: str | None,
    natives: Mapping[str, str],
    limit: int,
) -> tuple[list[QueueItem], int]:
    """One record's queue items, oldest first (at most the ``limit`` latest), and how
    many there are: those carrying its global id, and those captured from its native
    id in a system (a change captured before the record had a global id carries none)."""
    mine = [and_(queue.c.origin == s, queue.c.native_id == n) for s, n in natives.items()]
    if global_id is not None:
        mine.append(queue.c.global_id == global_id)
    if not mine:
        return [], 0
    where = and_(queue.c.entity == entity, or_(*mine))
    total = int(conn.scalar(select(func.count()).select_from(queue).where(where)) or 0)
    stmt = select(queue).where(where).order_by(queue.c.id.desc()).limit(limit)
    items = [QueueItem(**row._mapping) for row in conn.execute(stmt)]
    return items[::-1], total


def record_exceptions(
    conn: Connection, entity: str, keys: Collection[str], limit: int, global_id: str | None = None
) -> list[RecordException]:
    """Exception rows of ``entity`` whose key is one of ``keys`` or that name the
    record's ``global_id``, oldest first (at most the ``limit`` latest), closed ones
    too."""
    if not keys and global_id is None:
        return []
    mine: list[ColumnElement[bool]] = [exceptions.c.key.in_(sorted(keys))]
    if global_id is not None:
        mine.append(exceptions.c.global_id == global_id)
    stmt = (
        select(exceptions)
        .where(exceptions.c.entity == entity, or_(*mine))
        .order_by(exceptions.c.id.desc())
        .limit(limit)
    )
    return [_exception(row) for row in conn.execute(stmt)][::-1]


def _exception(row: Row[Any]) -> RecordException:
    return RecordException(**row._mapping)


def unlinked_systems(
    conn: Connection, entity: str, key: str, systems: Collection[str]
) -> list[str]:
    """The systems among ``systems`` where ``key`` is the native id of a record of
    ``entity`` lockstep knows only by its changes or exception rows (never linked),
    in the order of ``systems``."""
    queued = select(queue.c.origin).where(
        queue.c.entity == entity, queue.c.native_id == key, queue.c.origin.in_(list(systems))
    )
    failed = select(exceptions.c.system).where(
        exceptions.c.entity == entity,
        exceptions.c.key == key,
        exceptions.c.global_id.is_(None),
        exceptions.c.system.in_(list(systems)),
    )
    found = {str(s) for (s,) in conn.execute(queued.union(failed))}
    return [s for s in systems if s in found]
