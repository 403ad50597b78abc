"""A record's failures, and how they end: re-driven, superseded, or set aside.

A change that failed for good waits, ``failed`` (or ``dead``, out of attempts), with
an exception row, for a person. Three things end that wait:

- the record *syncs* later (a later change of it is carried, from any system): its
  earlier failed changes are superseded (queue items ``done``: resending one would
  write over what the later change brought) and its exceptions close, in the
  transaction that records the later change's outcome (``settle``);
- a person *re-drives* it (``sync --retry-failed``, ``lockstep retry``): each failed
  change goes back to the queue, due now, unless a later change of its record was
  carried already (``redrive``: it is superseded, done, not resent);
- a person *sets it aside* (``lockstep ignore``): ``settle`` without a bound, every
  failed change of the record done and every exception closed.

A record is named by a ``Record``: its global id, and its native id in each system
(a change captured before the record was linked carries no global id, and an
exception row written before the ledger kept global ids names only a key).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from lockstep.ledger.base import LedgerBase, among, chunks
from lockstep.ledger.rows import ExceptionEntry
from lockstep.ledger.tables import exceptions, queue, xrefs

FAILED = ("failed", "dead")
FAILED_AGAIN = "failed again: the run that closed it has the newer row"


@dataclass(frozen=True)
class Record:
    """One record of an entity: ``global_id`` (``None``: never linked) and its native
    ids, ``(system, native id)``. ``upto``: only what failed at or before that queue
    item counts (``None``: everything)."""

    global_id: str | None
    natives: tuple[tuple[str, str], ...]
    upto: int | None = None

    @property
    def keys(self) -> frozenset[str]:
        """What an exception row of the record may name as its key."""
        found = {native for _, native in self.natives}
        if self.global_id:
            found.add(self.global_id)
        return frozenset(found)


@dataclass(frozen=True)
class Redriven:
    """What a re-drive did: changes sent again (due now), and changes superseded by a
    later change of their record (done, not sent)."""

    resent: tuple[int, ...] = ()
    superseded: tuple[int, ...] = ()


class FailureStore(LedgerBase):
    def settle(
        self,
        entity: str,
        records: Sequence[Record],
        *,
        run_id: str | None,
        resolution: str,
        conn: Connection | None = None,
    ) -> tuple[int, int]:
        """End the failures of ``records``: their failed and dead queue items (up to
        each record's ``upto``) ``done``, their open exceptions closed by ``run_id``
        for ``resolution``. An exception row ``run_id`` itself wrote is left open
        unless it names the failed queue item (a failure of this run, of a change
        older than the one carried). Returns (items, exceptions)."""
        if not records:
            return 0, 0
        with self._write(conn) as c:
            items = self._settle_items(c, entity, records)
            closed = self._close(c, entity, records, run_id, resolution)
        return items, closed

    def redrive(
        self,
        entity: str,
        *,
        record: Record | None = None,
        run_id: str | None = None,
        conn: Connection | None = None,
    ) -> Redriven:
        """Send ``entity``'s failed and dead changes (of one ``record``, if given)
        again: pending, due now, attempts reset; those a later change of their record
        superseded (a later change carried, from any system: the record's links keep
        the last one applied from each) are done instead, and their record's earlier
        exceptions closed by ``run_id``."""
        now = self.now()
        with self._write(conn) as c:
            failed = self._failed(c, entity, [record] if record else None)
            if not failed:
                return Redriven()
            gids = _record_ids(c, entity, failed)
            latest = _latest_applied(c, entity, {g for g in gids.values() if g})
            superseded = [i for i, g in gids.items() if g and latest.get(g, 0) >= i]
            resent = [i for i in failed if i not in set(superseded)]
            for chunk in chunks(resent):
                c.execute(
                    update(queue)
                    .where(among(queue.c.id, chunk, c), queue.c.state.in_(FAILED))
                    .values(
                        state="pending",
                        attempts=0,
                        available_at=now,
                        claimed_by=None,
                        updated_at=now,
                    )
                )
            self._done(c, superseded)
            natives: dict[str, set[tuple[str, str]]] = {}
            for i in superseded:
                natives.setdefault(gids[i] or "", set()).add(failed[i][:2])
            records = [Record(g, tuple(sorted(n)), latest[g]) for g, n in natives.items()]
            self._close(c, entity, records, run_id, "superseded: a later change was carried")
        return Redriven(tuple(resent), tuple(superseded))

    def failed_again(
        self,
        entity: str,
        entries: Iterable[ExceptionEntry],
        *,
        run_id: str | None,
        conn: Connection | None = None,
    ) -> int:
        """Close the open exceptions of the queue items ``entries`` name (a change
        re-driven that failed again), lest one change pile up a row per attempt: the
        new rows take their place. How many."""
        seqs = sorted({e.seq for e in entries if e.seq is not None})
        closed = 0
        with self._write(conn) as c:
            for chunk in chunks(seqs):
                closed += c.execute(
                    update(exceptions)
                    .where(
                        exceptions.c.entity == entity,
                        exceptions.c.resolved_at.is_(None),
                        among(exceptions.c.seq, chunk, c),
                    )
                    .values(resolved_at=self.now(), resolved_by=run_id, resolution=FAILED_AGAIN)
                ).rowcount
        return closed

    def record_failures(
        self, entity: str, record: Record, *, conn: Connection | None = None
    ) -> tuple[list[int], int]:
        """The ids of ``record``'s failed and dead changes, and how many of its
        exceptions are open."""
        with self._read(conn) as c:
            failed = sorted(self._failed(c, entity, [record]))
            rows = self._open_exceptions(c, entity, [record])
        return failed, len(rows)

    # -- the queue ----------------------------------------------------------------------

    def _failed(
        self, c: Connection, entity: str, records: Sequence[Record] | None
    ) -> dict[int, tuple[str, str, str | None]]:
        """``{id: (origin, native id, global id)}`` of the failed and dead items of
        ``entity`` (of ``records``, up to each one's ``upto``, when given)."""
        base = select(queue.c.id, queue.c.origin, queue.c.native_id, queue.c.global_id).where(
            queue.c.entity == entity, queue.c.state.in_(FAILED)
        )
        if records is None:
            return {int(r[0]): (r[1], r[2], r[3]) for r in c.execute(base.order_by(queue.c.id))}
        if c.execute(base.limit(1)).first() is None:
            return {}
        bound: dict[str, int | None] = {}
        by_native: dict[tuple[str, str], int | None] = {}
        for r in records:
            if r.global_id:
                bound[r.global_id] = r.upto
            for pair in r.natives:
                by_native[pair] = r.upto
        found: dict[int, tuple[str, str, str | None]] = {}
        rows: list[Any] = []
        for chunk in chunks(bound):
            rows += c.execute(base.where(among(queue.c.global_id, chunk, c))).all()
        for system in {s for s, _ in by_native}:
            natives = [n for s, n in by_native if s == system]
            for chunk in chunks(natives):
                stmt = base.where(queue.c.origin == system, among(queue.c.native_id, chunk, c))
                rows += c.execute(stmt).all()
        for id_, origin, native, gid in rows:
            upto = by_native.get((origin, native), bound.get(gid or ""))
            if (origin, native) not in by_native and gid not in bound:
                continue
            if upto is None or int(id_) <= upto:
                found[int(id_)] = (origin, native, gid)
        return found

    def _settle_items(self, c: Connection, entity: str, records: Sequence[Record]) -> int:
        ids = list(self._failed(c, entity, records))
        return self._done(c, ids)

    def _done(self, c: Connection, ids: Collection[int]) -> int:
        done = 0
        for chunk in chunks(ids):
            done += c.execute(
                update(queue)
                .where(among(queue.c.id, chunk, c), queue.c.state.in_(FAILED))
                .values(state="done", claimed_by=None, updated_at=self.now())
            ).rowcount
        return done

    # -- the exceptions -----------------------------------------------------------------

    def _open_exceptions(
        self, c: Connection, entity: str, records: Sequence[Record]
    ) -> list[tuple[int, str | None, int | None]]:
        """``(id, run id, failed item)`` of the open exception rows of ``records``: those
        with one of their global ids, and those without a global id naming one of their
        keys."""
        open_ = and_(exceptions.c.entity == entity, exceptions.c.resolved_at.is_(None))
        cols = (exceptions.c.id, exceptions.c.run_id, exceptions.c.seq)
        if c.execute(select(exceptions.c.id).where(open_).limit(1)).first() is None:
            return []
        gids = sorted({r.global_id for r in records if r.global_id})
        keys = sorted({k for r in records for k in r.keys})
        rows: list[tuple[int, str | None, int | None]] = []
        seen: set[int] = set()
        upto_by_gid = {r.global_id: r.upto for r in records if r.global_id}
        upto_by_key = {k: r.upto for r in records for k in r.keys}
        for chunk in chunks(gids):
            stmt = select(*cols, exceptions.c.global_id).where(
                open_, among(exceptions.c.global_id, chunk, c)
            )
            for id_, run, seq, gid in c.execute(stmt):
                if _within(seq, run, upto_by_gid.get(gid)):
                    rows.append((int(id_), run, seq))
                    seen.add(int(id_))
        for chunk in chunks(keys):
            stmt = select(*cols, exceptions.c.key).where(
                open_, exceptions.c.global_id.is_(None), among(exceptions.c.key, chunk, c)
            )
            for id_, run, seq, key in c.execute(stmt):
                if int(id_) not in seen and _within(seq, run, upto_by_key.get(key)):
                    rows.append((int(id_), run, seq))
        return rows

    def _close(
        self,
        c: Connection,
        entity: str,
        records: Sequence[Record],
        run_id: str | None,
        resolution: str,
    ) -> int:
        bounded = any(r.upto is not None for r in records)
        ids = [
            id_
            for id_, run, seq in self._open_exceptions(c, entity, records)
            # a row this run wrote closes only by the item it names (see ``settle``)
            if not (bounded and run_id is not None and run == run_id and seq is None)
        ]
        now = self.now()
        closed = 0
        for chunk in chunks(ids):
            closed += c.execute(
                update(exceptions)
                .where(among(exceptions.c.id, chunk, c), exceptions.c.resolved_at.is_(None))
                .values(resolved_at=now, resolved_by=run_id, resolution=resolution)
            ).rowcount
        return closed


def _within(seq: int | None, run: str | None, upto: int | None) -> bool:
    """Whether an exception row (of queue item ``seq``) is one a change up to ``upto``
    ends: any row when unbounded, else a row of an earlier change, or one that names no
    change (a run's own such rows are left by ``_close``)."""
    return upto is None or seq is None or int(seq) <= upto


def _record_ids(
    c: Connection, entity: str, failed: dict[int, tuple[str, str, str | None]]
) -> dict[int, str | None]:
    """Each failed item's record (global id): its origin's link, tombstones too, else
    the global id it was stamped with."""
    found: dict[int, str | None] = {}
    for system in {origin for origin, _, _ in failed.values()}:
        natives = sorted({n for o, n, _ in failed.values() if o == system})
        linked: dict[str, str] = {}
        for chunk in chunks(natives):
            stmt = select(xrefs.c.native_id, xrefs.c.global_id).where(
                xrefs.c.entity == entity,
                xrefs.c.system == system,
                among(xrefs.c.native_id, chunk, c),
            )
            linked.update({str(n): str(g) for n, g in c.execute(stmt)})
        for id_, (origin, native, gid) in failed.items():
            if origin == system:
                found[id_] = linked.get(native, gid)
    return found


def _latest_applied(c: Connection, entity: str, gids: Iterable[str]) -> dict[str, int]:
    """Per global id, the last queue item applied of the record, from any system."""
    latest: dict[str, int] = {}
    for chunk in chunks(sorted(gids)):
        stmt = (
            select(xrefs.c.global_id, func.max(xrefs.c.seq))
            .where(xrefs.c.entity == entity, among(xrefs.c.global_id, chunk, c))
            .group_by(xrefs.c.global_id)
        )
        latest.update({str(g): int(s) for g, s in c.execute(stmt) if s is not None})
    return latest
