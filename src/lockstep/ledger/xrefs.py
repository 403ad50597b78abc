"""Cross references: which native record in each system is which global id.

Within an entity a global id has at most one native id per system, and a native id
belongs to one global id; an attempt to break either rule raises ``XrefConflict``
and writes nothing.

``link_many`` leaves that check to the table's unique constraints: it inserts the pairs
not linked yet in one statement, inside a savepoint, and only when a constraint
refuses them does it roll back and look for the pair to blame. ``link_new`` does the
same but reports the refused pairs instead of raising, so that one record that cannot
be linked does not stop the others.

A record deleted in its owner keeps its links as a *tombstone* (``deleted_at``): the
lookups that writes and reads use (``global_ids``, ``native_ids``, ``xrefs``) no longer
see it, but ``links`` does, so a late change of the record is known as a change of a
deleted record, not taken for a new one. Each link also remembers the last queue item
applied from its system (``seq``): a change queued before it is older than what the
golden record holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from lockstep.errors import LockstepError
from lockstep.ledger import bulk
from lockstep.ledger.base import LedgerBase, among, analyze_after_bulk, chunks
from lockstep.ledger.bulk import driver_value
from lockstep.ledger.ids import new_global_id
from lockstep.ledger.tables import xrefs

_PARKED = "\u2400"  # prefixes native ids mid-rewrite, so ids may swap places


class XrefConflict(LockstepError):
    """A link would give a native id two global ids, or a global id two native ids in
    one system."""


@dataclass(frozen=True)
class Link:
    """A native id's link, tombstones included: its global id, the last queue item
    applied from its system (0: none), and whether the owner deleted the record."""

    global_id: str
    seq: int
    deleted: bool


class XrefStore(LedgerBase):
    def new_global_id(self) -> str:
        """A new, time-ordered 26-character global id."""
        return new_global_id()

    def link(
        self,
        entity: str,
        global_id: str,
        system: str,
        native_id: str,
        *,
        conn: Connection | None = None,
    ) -> None:
        """Record that ``native_id`` in ``system`` is ``global_id``. Linking again is a
        no-op; a global id's link in ``system`` moves to the new native id (the record
        was re-created there)."""
        with self._write(conn) as c:
            owner = self.global_id(entity, system, native_id, conn=c)
            if owner is not None and owner != global_id:
                raise XrefConflict(
                    f"{entity} {system}:{native_id} is already linked to {owner}, not {global_id}"
                )
            if owner == global_id:
                return
            now = self.now()
            moved = c.execute(
                update(xrefs)
                .where(_global_key(entity, global_id, system))
                .values(native_id=native_id, updated_at=now)
            )
            if moved.rowcount == 0:
                c.execute(
                    xrefs.insert(),
                    _row(entity, global_id, system, native_id, now),
                )

    def link_many(
        self,
        entity: str,
        system: str,
        pairs: Iterable[tuple[str, str]],
        *,
        conn: Connection | None = None,
    ) -> int:
        """Link many ``(global_id, native_id)`` pairs in one transaction; pairs already
        linked are skipped, and a conflicting pair fails the whole call with
        ``XrefConflict``. A native id whose record was deleted (a tombstone) may be
        linked again, to another global id: the id was reused for a new record.
        Returns how many links were added."""
        rows = _distinct(entity, system, pairs)
        shared = {"entity": entity, "system": system}
        added = 0
        with self._write(conn) as c:
            now = driver_value(c, xrefs.c.created_at, self.now())
            try:
                with c.begin_nested():
                    for chunk in chunks(rows, bulk.ROWS):
                        inserted = bulk.execute(c, _INSERT, chunk, _PAIR, {**shared, "now": now})
                        added += inserted.rowcount
            except IntegrityError:
                natives = [native for _, native in rows]
                if bulk.execute(c, _UNBURY, natives, _KEY, shared).rowcount > 0:
                    return self.link_many(entity, system, rows, conn=c)
                conflict = _find_conflict(c, entity, system, rows)
                if conflict is None:
                    raise
                raise conflict from None
            analyze_after_bulk(c, xrefs, added)
        return added

    def link_new(
        self,
        entity: str,
        system: str,
        pairs: Iterable[tuple[str, str]],
        *,
        conn: Connection | None = None,
    ) -> dict[str, str]:
        """``link_many``, but a pair that the links refuse (its native id linked to
        another global id, or its global id to another native id) is left out and
        reported: ``{native_id: why}``. The others are linked."""
        rows = list(pairs)
        refused: dict[str, str] = {}
        with self._write(conn) as c:
            while True:
                try:
                    self.link_many(entity, system, rows, conn=c)
                    return refused
                except XrefConflict:
                    clashes = _conflicts(c, entity, system, rows)
                    if not clashes:
                        raise
                    refused.update(clashes)
                    rows = [pair for pair in rows if pair[1] not in refused]

    def links(
        self,
        entity: str,
        system: str,
        native_ids: Iterable[str],
        *,
        conn: Connection | None = None,
    ) -> dict[str, Link]:
        """``{native_id: Link}`` for those of ``native_ids`` linked, tombstones too."""
        found: dict[str, Link] = {}
        shared = {"entity": entity, "system": system}
        with self._read(conn) as c:
            for chunk in chunks(native_ids, bulk.ROWS):
                for native, gid, seq, deleted in bulk.fetch(c, _LINKS, chunk, _KEY, shared):
                    found[native] = Link(gid, int(seq or 0), deleted is not None)
        return found

    def dead_global_ids(
        self, entity: str, global_ids: Iterable[str], *, conn: Connection | None = None
    ) -> set[str]:
        """Those of ``global_ids`` whose record was deleted in its owner."""
        shared = {"entity": entity}
        dead: set[str] = set()
        with self._read(conn) as c:
            for chunk in chunks(global_ids, bulk.ROWS):
                dead.update(str(r[0]) for r in bulk.fetch(c, _DEAD, chunk, _KEY, shared))
        return dead

    def tombstone(
        self, entity: str, global_ids: Iterable[str], *, conn: Connection | None = None
    ) -> int:
        """Mark the links of ``global_ids`` deleted (the owner deleted the records);
        how many links."""
        marked = 0
        with self._write(conn) as c:
            for chunk in chunks(global_ids):
                marked += c.execute(
                    update(xrefs)
                    .where(
                        xrefs.c.entity == entity,
                        among(xrefs.c.global_id, chunk, c),
                        xrefs.c.deleted_at.is_(None),
                    )
                    .values(deleted_at=self.now(), updated_at=self.now())
                ).rowcount
        return marked

    def mark_applied(
        self,
        entity: str,
        system: str,
        seqs: Iterable[tuple[str, int]],
        *,
        conn: Connection | None = None,
    ) -> None:
        """Remember, per ``(native_id, queue item id)``, the last change of the record
        applied from ``system`` (a lower one is left as it is)."""
        latest: dict[str, int] = {}
        for native, seq in seqs:
            latest[native] = max(seq, latest.get(native, 0))
        rows = list(latest.items())
        if not rows:
            return
        shared = {"entity": entity, "system": system}
        with self._write(conn) as c:
            for chunk in chunks(rows, bulk.ROWS):
                bulk.execute(c, _APPLIED, chunk, ("text", "bigint"), shared)

    def global_id(
        self, entity: str, system: str, native_id: str, *, conn: Connection | None = None
    ) -> str | None:
        """The global id of ``native_id`` in ``system``, if linked."""
        with self._read(conn) as c:
            return c.scalar(
                select(xrefs.c.global_id).where(
                    _native_key(entity, system, native_id), xrefs.c.deleted_at.is_(None)
                )
            )

    def native_id(
        self, entity: str, global_id: str, system: str, *, conn: Connection | None = None
    ) -> str | None:
        """The native id of ``global_id`` in ``system``, if linked."""
        with self._read(conn) as c:
            return c.scalar(
                select(xrefs.c.native_id).where(
                    _global_key(entity, global_id, system), xrefs.c.deleted_at.is_(None)
                )
            )

    def global_ids(
        self,
        entity: str,
        system: str,
        native_ids: Iterable[str],
        *,
        conn: Connection | None = None,
    ) -> dict[str, str]:
        """``{native_id: global_id}`` for those of ``native_ids`` that are linked."""
        return self._lookup(_GLOBAL_IDS, entity, system, native_ids, conn)

    def native_ids(
        self,
        entity: str,
        global_ids: Iterable[str],
        system: str,
        *,
        conn: Connection | None = None,
    ) -> dict[str, str]:
        """``{global_id: native_id}`` for those of ``global_ids`` linked in ``system``."""
        return self._lookup(_NATIVE_IDS, entity, system, global_ids, conn)

    def _lookup(
        self,
        template: str,
        entity: str,
        system: str,
        keys: Iterable[str],
        conn: Connection | None,
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        shared = {"entity": entity, "system": system}
        with self._read(conn) as c:
            for chunk in chunks(keys, bulk.ROWS):
                found.update(bulk.fetch(c, template, chunk, _KEY, shared))
        return found

    def xrefs(
        self, entity: str, global_id: str, *, conn: Connection | None = None
    ) -> dict[str, str]:
        """``{system: native_id}`` for every system ``global_id`` is linked in."""
        with self._read(conn) as c:
            rows = c.execute(
                select(xrefs.c.system, xrefs.c.native_id)
                .where(
                    xrefs.c.entity == entity,
                    xrefs.c.global_id == global_id,
                    xrefs.c.deleted_at.is_(None),
                )
                .order_by(xrefs.c.system)
            )
            return dict(rows.all())

    def unlink(
        self, entity: str, global_id: str, system: str, *, conn: Connection | None = None
    ) -> bool:
        """Forget ``global_id``'s link in ``system``; whether there was one."""
        with self._write(conn) as c:
            gone = c.execute(delete(xrefs).where(_global_key(entity, global_id, system)))
            return gone.rowcount > 0

    def unlink_system(
        self, system: str, *, entity: str | None = None, conn: Connection | None = None
    ) -> int:
        """Forget every link in ``system`` (of one entity, if given), as a cleanup for
        a full resync does; how many."""
        stmt = delete(xrefs).where(xrefs.c.system == system)
        if entity is not None:
            stmt = stmt.where(xrefs.c.entity == entity)
        with self._write(conn) as c:
            return c.execute(stmt).rowcount

    def rewrite_native_ids(
        self,
        system: str,
        mapping: Mapping[str, str],
        *,
        entity: str | None = None,
        conn: Connection | None = None,
    ) -> int:
        """Replace native ids in ``system`` (``{old: new}``), as after a sandbox refresh
        gave every record a new id. Ids may swap places. Returns how many links moved."""
        scope = [xrefs.c.system == system]
        if entity is not None:
            scope.append(xrefs.c.entity == entity)
        parked = and_(*scope, xrefs.c.native_id.startswith(_PARKED, autoescape=True))
        park = (
            update(xrefs)
            .where(*scope, xrefs.c.native_id == bindparam("_old"))
            .values(native_id=bindparam("_parked"), updated_at=self.now())
        )
        with self._write(conn) as c:
            for chunk in chunks(mapping.items(), 5_000):
                c.execute(park, [{"_old": old, "_parked": _PARKED + new} for old, new in chunk])
            moved = int(c.scalar(select(func.count()).select_from(xrefs).where(parked)) or 0)
            c.execute(
                update(xrefs)
                .where(parked)
                .values(native_id=func.substr(xrefs.c.native_id, len(_PARKED) + 1))
            )
        return moved

    def count_xrefs(
        self,
        entity: str | None = None,
        system: str | None = None,
        *,
        conn: Connection | None = None,
    ) -> int:
        """How many links there are, of one entity and/or system if given."""
        stmt = select(func.count()).select_from(xrefs).where(xrefs.c.deleted_at.is_(None))
        if entity is not None:
            stmt = stmt.where(xrefs.c.entity == entity)
        if system is not None:
            stmt = stmt.where(xrefs.c.system == system)
        with self._read(conn) as c:
            return int(c.scalar(stmt) or 0)


_PAIR = ("text", "text")
_KEY = ("text",)

#: The pairs not linked yet. One whose native id or global id is linked otherwise
#: breaks a unique constraint, and ``_CONFLICT`` then says which.
_INSERT = """\
INSERT INTO ls_xrefs (entity, global_id, system, native_id, created_at, updated_at)
WITH p (global_id, native_id) AS ({rows})
SELECT {entity}, p.global_id, {system}, p.native_id, {now}, {now}
FROM p
WHERE NOT EXISTS (
    SELECT 1 FROM ls_xrefs AS x
    WHERE x.entity = {entity} AND x.system = {system}
    AND x.native_id = p.native_id AND x.global_id = p.global_id
)"""

#: The tombstones in the way of pairs: native ids of deleted records, reused.
#: (Not ``WITH ... DELETE``: Python's sqlite3 gives no rowcount for it.)
_UNBURY = """\
DELETE FROM ls_xrefs
WHERE entity = {entity} AND system = {system} AND deleted_at IS NOT NULL
AND native_id IN ({rows})"""

#: A pair whose native id has another global id, or whose global id another native
#: id: ``(global_id, native_id, linked global_id, linked native_id)``.
_CONFLICT = """\
WITH p (global_id, native_id) AS ({rows})
SELECT p.global_id, p.native_id, x.global_id, x.native_id
FROM p {join} ls_xrefs AS x
ON x.entity = {entity} AND x.system = {system} AND x.native_id = p.native_id
WHERE x.global_id <> p.global_id
UNION ALL
SELECT p.global_id, p.native_id, x.global_id, x.native_id
FROM p {join} ls_xrefs AS x
ON x.entity = {entity} AND x.system = {system} AND x.global_id = p.global_id
WHERE x.native_id <> p.native_id
LIMIT 1"""

_GLOBAL_IDS = """\
WITH k (native_id) AS ({rows})
SELECT x.native_id, x.global_id
FROM k {join} ls_xrefs AS x
ON x.entity = {entity} AND x.system = {system} AND x.native_id = k.native_id
WHERE x.deleted_at IS NULL"""

_NATIVE_IDS = """\
WITH k (global_id) AS ({rows})
SELECT x.global_id, x.native_id
FROM k {join} ls_xrefs AS x
ON x.entity = {entity} AND x.system = {system} AND x.global_id = k.global_id
WHERE x.deleted_at IS NULL"""

_LINKS = """\
WITH k (native_id) AS ({rows})
SELECT x.native_id, x.global_id, x.seq, x.deleted_at
FROM k {join} ls_xrefs AS x
ON x.entity = {entity} AND x.system = {system} AND x.native_id = k.native_id"""

_DEAD = """\
WITH k (global_id) AS ({rows})
SELECT DISTINCT x.global_id
FROM k {join} ls_xrefs AS x
ON x.entity = {entity} AND x.global_id = k.global_id
WHERE x.deleted_at IS NOT NULL"""

#: An upsert of rows that exist, so the links are found from the rows (by the native
#: id's unique index), not the rows from the links.
_APPLIED = """\
INSERT INTO ls_xrefs (entity, global_id, system, native_id, created_at, updated_at, seq,
  deleted_at)
WITH r (native_id, seq) AS ({rows})
SELECT x.entity, x.global_id, x.system, x.native_id, x.created_at, x.updated_at, r.seq,
  x.deleted_at
FROM r {join} ls_xrefs AS x
ON x.entity = {entity} AND x.system = {system} AND x.native_id = r.native_id
WHERE x.seq IS NULL OR x.seq < r.seq
ON CONFLICT (entity, global_id, system) DO UPDATE SET seq = excluded.seq"""


def _distinct(entity: str, system: str, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pairs`` without repeats; ``XrefConflict`` if two give one id two partners."""
    rows = list(pairs)
    if len(rows) == len(set(map(itemgetter(0), rows))) == len(set(map(itemgetter(1), rows))):
        return rows
    by_native: dict[str, str] = {}
    by_global: dict[str, str] = {}
    for global_id, native_id in rows:
        if by_native.setdefault(native_id, global_id) != global_id:
            raise XrefConflict(f"{entity} {system}:{native_id} given two global ids")
        if by_global.setdefault(global_id, native_id) != native_id:
            raise XrefConflict(f"{entity} {global_id} given two native ids in {system}")
    return [(g, n) for n, g in by_native.items()]


def _find_conflict(
    conn: Connection, entity: str, system: str, rows: list[tuple[str, str]]
) -> XrefConflict | None:
    """The error for a pair of ``rows`` that the links in the ledger refuse, if any."""
    shared = {"entity": entity, "system": system}
    for chunk in chunks(rows, bulk.ROWS):
        clashes = bulk.fetch(conn, _CONFLICT, chunk, _PAIR, shared)
        if not clashes:
            continue
        global_id, native_id, owner, linked = clashes[0]
        if owner != global_id:
            return XrefConflict(f"{entity} {system}:{native_id} is already linked to {owner}")
        return XrefConflict(f"{entity} {global_id} is already linked to {system}:{linked}")
    return None


def _conflicts(
    conn: Connection, entity: str, system: str, rows: list[tuple[str, str]]
) -> dict[str, str]:
    """``{native_id: why}`` for every pair of ``rows`` that the links refuse, or that
    gives an id two partners within ``rows``."""
    refused: dict[str, str] = {}
    by_global: dict[str, str] = {}
    by_native: dict[str, str] = {}
    for global_id, native_id in rows:
        if by_global.setdefault(global_id, native_id) != native_id:
            refused[native_id] = f"{entity} {global_id} given two native ids in {system}"
        if by_native.setdefault(native_id, global_id) != global_id:
            refused[native_id] = f"{entity} {system}:{native_id} given two global ids"
    shared = {"entity": entity, "system": system}
    for chunk in chunks(rows, bulk.ROWS):
        for global_id, native_id, owner, linked in bulk.fetch(
            conn, _CONFLICT.removesuffix("\nLIMIT 1"), chunk, _PAIR, shared
        ):
            if owner != global_id:
                why = f"{entity} {system}:{native_id} is already linked to {owner}"
            else:
                why = f"{entity} {global_id} is already linked to {system}:{linked}"
            refused.setdefault(native_id, why)
    return refused


def _native_key(entity: str, system: str, native_id: str) -> Any:
    return and_(xrefs.c.entity == entity, xrefs.c.system == system, xrefs.c.native_id == native_id)


def _global_key(entity: str, global_id: str, system: str) -> Any:
    return and_(xrefs.c.entity == entity, xrefs.c.global_id == global_id, xrefs.c.system == system)


def _row(entity: str, global_id: str, system: str, native_id: str, now: Any) -> dict[str, Any]:
    return {
        "entity": entity,
        "global_id": global_id,
        "system": system,
        "native_id": native_id,
        "created_at": now,
        "updated_at": now,
    }
