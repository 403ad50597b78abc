"""Golden records and sync state: what lockstep believes a record is, and what each
system was last known to hold of it (as a fingerprint), so that a change whose values
match is recognised as an echo of lockstep's own write. A change that could not be
carried leaves what its system agreed on as it was, and is remembered as *refused*:
the echo of the status written back for it is known too."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from lockstep.ledger import bulk
from lockstep.ledger.base import LedgerBase, among, analyze_after_bulk, chunks
from lockstep.ledger.bulk import driver_value
from lockstep.ledger.rows import Golden, SyncState
from lockstep.ledger.tables import golden, sync_state


class GoldenStore(LedgerBase):
    def golden(
        self, entity: str, global_id: str, *, conn: Connection | None = None
    ) -> Golden | None:
        """The golden record of ``global_id``, if there is one."""
        with self._read(conn) as c:
            row = c.execute(
                select(golden).where(golden.c.entity == entity, golden.c.global_id == global_id)
            ).one_or_none()
        return None if row is None else Golden(**row._mapping)

    def golden_many(
        self, entity: str, global_ids: Iterable[str], *, conn: Connection | None = None
    ) -> dict[str, Golden]:
        """``{global_id: Golden}`` for those of ``global_ids`` that have one."""
        found: dict[str, Golden] = {}
        with self._read(conn) as c:
            for chunk in chunks(global_ids):
                rows = c.execute(
                    select(golden).where(
                        golden.c.entity == entity, among(golden.c.global_id, chunk, c)
                    )
                )
                for row in rows:
                    found[row.global_id] = Golden(**row._mapping)
        return found

    def put_golden(
        self,
        entity: str,
        global_id: str,
        values: Mapping[str, Any],
        *,
        conn: Connection | None = None,
    ) -> int:
        """Store ``values`` as the golden record; returns its new version (1 for a new
        record). Concurrent writers each get their own version."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(golden).values(
            entity=entity,
            global_id=global_id,
            values=dict(values),
            version=1,
            updated_at=self.now(),
        )
        stmt = insert.on_conflict_do_update(
            index_elements=[golden.c.entity, golden.c.global_id],
            set_={
                "values": insert.excluded["values"],
                "version": golden.c.version + 1,
                "updated_at": insert.excluded.updated_at,
            },
        ).returning(golden.c.version)
        with self._write(conn) as c:
            return int(c.execute(stmt).scalar_one())

    def put_golden_many(
        self,
        entity: str,
        rows: Iterable[tuple[str, Mapping[str, Any]]],
        *,
        conn: Connection | None = None,
    ) -> dict[str, int]:
        """``put_golden`` for many ``(global_id, values)``; of rows for one global id the
        last counts. Returns ``{global_id: new version}``."""
        latest = {gid: dict(values) for gid, values in rows}
        if not latest:
            return {}
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(golden)
        stmt = insert.on_conflict_do_update(
            index_elements=[golden.c.entity, golden.c.global_id],
            set_={
                "values": insert.excluded["values"],
                "version": golden.c.version + 1,
                "updated_at": insert.excluded.updated_at,
            },
        ).returning(golden.c.global_id, golden.c.version, sort_by_parameter_order=True)
        now = self.now()
        versions: dict[str, int] = {}
        with self._write(conn) as c:
            for chunk in chunks(latest.items()):
                params = [
                    {
                        "entity": entity,
                        "global_id": gid,
                        "values": values,
                        "version": 1,
                        "updated_at": now,
                    }
                    for gid, values in chunk
                ]
                versions.update(
                    (row.global_id, int(row.version)) for row in c.execute(stmt, params)
                )
        return versions

    def synced(
        self, entity: str, global_id: str, system: str, *, conn: Connection | None = None
    ) -> SyncState | None:
        """What ``system`` last agreed on for ``global_id``, if anything."""
        with self._read(conn) as c:
            row = c.execute(
                select(sync_state).where(
                    sync_state.c.entity == entity,
                    sync_state.c.global_id == global_id,
                    sync_state.c.system == system,
                )
            ).one_or_none()
        return None if row is None else SyncState(**row._mapping)

    def synced_many(
        self,
        entity: str,
        global_ids: Iterable[str],
        system: str,
        *,
        conn: Connection | None = None,
    ) -> dict[str, SyncState]:
        """``{global_id: SyncState}`` for those of ``global_ids`` synced to ``system``."""
        found: dict[str, SyncState] = {}
        with self._read(conn) as c:
            for chunk in chunks(global_ids):
                rows = c.execute(
                    select(sync_state).where(
                        sync_state.c.entity == entity,
                        sync_state.c.system == system,
                        among(sync_state.c.global_id, chunk, c),
                    )
                )
                for row in rows:
                    found[row.global_id] = SyncState(**row._mapping)
        return found

    def fingerprints(
        self,
        entity: str,
        system: str,
        global_ids: Iterable[str],
        *,
        before: datetime,
        conn: Connection | None = None,
    ) -> dict[str, str]:
        """``{global_id: fingerprint}`` of what ``system`` was last known to hold, for
        those of ``global_ids`` marked before ``before`` (one light query: capture asks
        it for every page)."""
        found: dict[str, str] = {}
        with self._read(conn) as c:
            shared = {
                "entity": entity,
                "system": system,
                "before": driver_value(c, sync_state.c.synced_at, before),
            }
            for chunk in chunks(global_ids, bulk.ROWS):
                found.update(bulk.fetch(c, _FINGERPRINTS, chunk, ("text",), shared))
        return found

    def forget_synced(
        self,
        entity: str,
        system: str,
        global_ids: Iterable[str],
        *,
        conn: Connection | None = None,
    ) -> int:
        """Forget what ``system`` was last known to hold of ``global_ids`` (its next
        change of them is then never taken for an echo); how many were known."""
        gone = 0
        with self._write(conn) as c:
            for chunk in chunks(global_ids):
                gone += c.execute(
                    delete(sync_state).where(
                        sync_state.c.entity == entity,
                        sync_state.c.system == system,
                        among(sync_state.c.global_id, chunk, c),
                    )
                ).rowcount
        return gone

    def mark_synced(
        self,
        entity: str,
        global_id: str,
        system: str,
        fingerprint: str,
        version: int,
        *,
        conn: Connection | None = None,
    ) -> None:
        """Record that ``system`` now holds values with ``fingerprint``, from golden
        ``version``."""
        self.mark_synced_many(entity, system, [(global_id, fingerprint, version)], conn=conn)

    def mark_synced_many(
        self,
        entity: str,
        system: str,
        rows: Iterable[tuple[str, str, int]],
        *,
        conn: Connection | None = None,
    ) -> None:
        """``mark_synced`` for many ``(global_id, fingerprint, version)`` at once; of
        rows for the same global id, the last counts. An agreement ends a refusal."""
        rows = list(rows)
        if len(set(map(itemgetter(0), rows))) < len(rows):
            rows = list({row[0]: row for row in rows}.values())
        shared = {"entity": entity, "system": system}
        with self._write(conn) as c:
            now = driver_value(c, sync_state.c.synced_at, self.now())
            for chunk in chunks(rows, bulk.ROWS):
                bulk.execute(c, _MARK_SYNCED, chunk, _SYNCED, {**shared, "now": now})
            analyze_after_bulk(c, sync_state, len(rows))

    def mark_refused_many(
        self,
        entity: str,
        system: str,
        rows: Iterable[tuple[str, str]],
        *,
        conn: Connection | None = None,
    ) -> None:
        """Record that ``system`` offered values with the fingerprint of each
        ``(global_id, fingerprint)`` that could not be carried; what it agreed on stays
        (a record it never agreed on gets a sync state with no fingerprint)."""
        rows = list({row[0]: row for row in rows}.values())
        shared = {"entity": entity, "system": system}
        with self._write(conn) as c:
            now = driver_value(c, sync_state.c.synced_at, self.now())
            for chunk in chunks(rows, bulk.ROWS):
                bulk.execute(c, _MARK_REFUSED, chunk, _REFUSED, {**shared, "now": now})


_SYNCED = ("text", "text", "int")

_FINGERPRINTS = """\
WITH k (global_id) AS ({rows})
SELECT s.global_id, s.fingerprint
FROM k {join} ls_sync_state AS s
ON s.entity = {entity} AND s.system = {system} AND s.global_id = k.global_id
WHERE s.synced_at < {before}"""

#: ``WHERE true`` tells SQLite's parser that ``ON`` starts the upsert, not a join.
_MARK_SYNCED = """\
INSERT INTO ls_sync_state (entity, global_id, system, fingerprint, version, synced_at)
WITH r (global_id, fingerprint, version) AS ({rows})
SELECT {entity}, r.global_id, {system}, r.fingerprint, r.version, {now}
FROM r WHERE true
ON CONFLICT (entity, global_id, system) DO UPDATE SET
fingerprint = excluded.fingerprint, version = excluded.version, synced_at = excluded.synced_at,
refused_print = NULL"""

_REFUSED = ("text", "text")

_MARK_REFUSED = """\
INSERT INTO ls_sync_state (entity, global_id, system, fingerprint, version, synced_at,
  refused_print)
WITH r (global_id, refused_print) AS ({rows})
SELECT {entity}, r.global_id, {system}, NULL, 0, {now}, r.refused_print
FROM r WHERE true
ON CONFLICT (entity, global_id, system) DO UPDATE SET refused_print = excluded.refused_print"""
