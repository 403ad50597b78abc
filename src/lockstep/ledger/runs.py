"""Runs of lockstep's commands, and the records each one could not process.

A run starts as running and ends done, failed or interrupted. A run still marked
running when no process is working on it was interrupted (the process died); only the
caller can know that, so ``interrupted_runs`` lists both kinds and the caller finishes
them as interrupted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.engine import Row

from lockstep.ledger.base import LedgerBase, among, chunks
from lockstep.ledger.ids import new_run_id
from lockstep.ledger.rows import ExceptionEntry, RecordException, Run, RunStatus
from lockstep.ledger.tables import exceptions, runs


class RunStore(LedgerBase):
    def start_run(
        self,
        mode: str,
        entities: Iterable[str],
        config_hash: str | None = None,
        *,
        conn: Connection | None = None,
    ) -> Run:
        """Record that a run of ``mode`` over ``entities`` started now."""
        now = self.now()
        run = Run(
            run_id=new_run_id(now),
            mode=mode,
            status="running",
            started_at=now,
            finished_at=None,
            entities=tuple(entities),
            summary=None,
            config_hash=config_hash,
        )
        row = {**run.__dict__, "entities": list(run.entities)}
        with self._write(conn) as c:
            c.execute(runs.insert(), row)
        return run

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        summary: Mapping[str, Any] | None = None,
        *,
        conn: Connection | None = None,
    ) -> Run:
        """End a run with ``status`` and its ``summary``; the run as stored."""
        with self._write(conn) as c:
            row = c.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(
                    status=status,
                    finished_at=self.now(),
                    summary=None if summary is None else dict(summary),
                )
                .returning(*runs.c)
            ).one_or_none()
        if row is None:
            raise KeyError(f"no run {run_id!r}")
        return _run(row)

    def run(self, run_id: str, *, conn: Connection | None = None) -> Run | None:
        """The run ``run_id``, if it exists."""
        with self._read(conn) as c:
            row = c.execute(select(runs).where(runs.c.run_id == run_id)).one_or_none()
        return None if row is None else _run(row)

    def last_run(
        self,
        mode: str,
        *,
        entity: str | None = None,
        status: RunStatus | None = "done",
        conn: Connection | None = None,
    ) -> Run | None:
        """The latest run of ``mode`` with ``status`` (any status when ``None``) that
        covered ``entity``, if given."""
        stmt = (
            select(runs)
            .where(runs.c.mode == mode)
            .order_by(runs.c.started_at.desc(), runs.c.run_id.desc())
        )
        if status is not None:
            stmt = stmt.where(runs.c.status == status)
        with self._read(conn) as c:
            for row in c.execute(stmt):
                run = _run(row)
                if entity is None or entity in run.entities:
                    return run
        return None

    def interrupted_runs(self, *, conn: Connection | None = None) -> list[Run]:
        """Runs marked interrupted, or still marked running, oldest first."""
        stmt = (
            select(runs)
            .where(runs.c.status.in_(["running", "interrupted"]))
            .order_by(runs.c.started_at, runs.c.run_id)
        )
        with self._read(conn) as c:
            return [_run(row) for row in c.execute(stmt)]

    def record_exceptions(
        self,
        run_id: str | None,
        rows: Iterable[ExceptionEntry],
        *,
        closed_as: str | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Store the records that failed in run ``run_id``; how many. With
        ``closed_as`` they are stored closed, by that run, for that reason: a row kept
        for information, that waits for no one."""
        now = self.now()
        closed = (
            {}
            if closed_as is None
            else {"resolved_at": now, "resolved_by": run_id, "resolution": closed_as}
        )
        values = [{**row.__dict__, "run_id": run_id, "created_at": now, **closed} for row in rows]
        with self._write(conn) as c:
            for chunk in chunks(values, 5_000):
                c.execute(exceptions.insert(), chunk)
        return len(values)

    def exceptions(
        self,
        run_id: str | None = None,
        entity: str | None = None,
        unresolved_only: bool = True,
        *,
        conn: Connection | None = None,
    ) -> list[RecordException]:
        """Stored exceptions, oldest first, narrowed by run and entity."""
        stmt = select(exceptions).order_by(exceptions.c.id)
        if run_id is not None:
            stmt = stmt.where(exceptions.c.run_id == run_id)
        if entity is not None:
            stmt = stmt.where(exceptions.c.entity == entity)
        if unresolved_only:
            stmt = stmt.where(exceptions.c.resolved_at.is_(None))
        with self._read(conn) as c:
            return [RecordException(**row._mapping) for row in c.execute(stmt)]

    def resolve_exceptions(
        self, run_id_or_ids: str | Collection[int], *, conn: Connection | None = None
    ) -> int:
        """Mark exceptions resolved: all of one run (a ``str``), or those ``ids``; how
        many were still open."""
        open_ = exceptions.c.resolved_at.is_(None)
        now = self.now()
        with self._write(conn) as c:
            if isinstance(run_id_or_ids, str):
                stmt = update(exceptions).where(exceptions.c.run_id == run_id_or_ids, open_)
                return c.execute(stmt.values(resolved_at=now)).rowcount
            resolved = 0
            for chunk in chunks(run_id_or_ids):
                stmt = update(exceptions).where(among(exceptions.c.id, chunk, c), open_)
                resolved += c.execute(stmt.values(resolved_at=now)).rowcount
            return resolved


def _run(row: Row[Any]) -> Run:
    return Run(**{**row._mapping, "entities": tuple(row.entities)})
