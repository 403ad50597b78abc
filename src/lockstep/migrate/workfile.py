"""The run's work file: what planning one chunk needs to know about all the others.

plan, migrate and relink read each side once and plan chunk by chunk, so memory does
not grow with the data. A chunk's decisions still depend on records outside it: the
target record it is linked to or matches, whether a target record is linked to some
other source record (then it is no match), the source records elsewhere that look the
same as one of its own, the parents a plan has yet to create. Those are kept here, in
a private SQLite database (``sqlite3.connect("")``: SQLite's temporary directory,
``SQLITE_TMPDIR`` or ``TMPDIR`` else ``/var/tmp``, the file removed from the folder as
soon as it is open, so it goes with the process however that ends), and each chunk
fetches only its share.

=================================  ===================================================
``source(seq, key, body)``         the entity's source records, in the order read
``source_key(rule, key, seq, sk)`` their match keys (records that could be mapped)
``target(seq, key, ext, linked,    one target's records, its external-id value, and
body)``                            whether a source record is linked to it
``target_key(rule, key, seq)``     their match keys
``link(seq, gid, tkey)``           a source record's global id and target key (ledger)
``held(key, rule, reason)``        source records held as duplicates of each other
``planned(entity, target, key)``   plan mode: source records planned into a target
=================================  ===================================================

A record's ``body`` is its canonical values, references, problems and housekeeping
values, pickled (the file is the process's own, never read by anything else). Up to
``CACHE_KIB`` of the file stays in memory, the rest on disk.

SQLite rather than DuckDB: it is in the standard library, and for this work (pages of
2,000 rows written, 20,000 read by key at a time) it was as fast with half the memory
(1,000,000 rows: 7.1 s to write either way; chunks read in 4.2 s against 2.6 s; peak
135 MB against 256 MB), where DuckDB took 13 s to write 20,000 rows through
``executemany`` and needs pyarrow besides to write quickly.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lockstep.errors import LockstepError
from lockstep.mapping.record import Canonical
from lockstep.migrate.planner import SourceRecord, TargetRecord
from lockstep.runs.select import SideRecord

Keys = Callable[[Any], tuple[str | None, ...]]  # a record's values -> each rule's key
CACHE_KIB = 64 * 1024  # SQLite's page cache: enough to keep the indexes' upper pages
PRAGMAS = (  # a scratch file: no journal, no syncing, no other reader
    "journal_mode = OFF",
    "synchronous = OFF",
    "locking_mode = EXCLUSIVE",
    f"cache_size = -{CACHE_KIB}",
    "temp_store = FILE",
)


@dataclass(frozen=True)
class Sources:
    """Some source records, as the planner takes them, with their positions and their
    housekeeping values by key."""

    seqs: list[int]
    records: list[SourceRecord]
    house: dict[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Targets:
    """Some target records, as the planner takes them, with their housekeeping values
    by key, and the keys of those some source record of the run is linked to (then no
    rule matches them)."""

    records: list[TargetRecord]
    house: dict[str, Mapping[str, Any]]
    linked: frozenset[str]


@dataclass(frozen=True)
class Link:
    """What the ledger knows of one source record: its global id, and its record in
    the target (``None``: not linked there)."""

    gid: str
    target_key: str | None


class WorkFileError(LockstepError):
    """The work file could not be written (its folder is full, say): exit 3."""


def temporary_folder() -> str:
    """Where SQLite puts the work file: the first of ``SQLITE_TMPDIR``, ``TMPDIR``,
    ``/var/tmp``, ``/usr/tmp``, ``/tmp`` that is a folder lockstep can write to."""
    names = [os.environ.get("SQLITE_TMPDIR"), os.environ.get("TMPDIR")]
    for name in (*names, "/var/tmp", "/usr/tmp", "/tmp"):
        if name and os.path.isdir(name) and os.access(name, os.W_OK | os.X_OK):  # noqa: PTH112
            return name
    return "."


class WorkFile:
    """The work file of one run; ``close`` (or ``with``) removes it. Leaving the
    ``with`` block with an error of the file's own (``sqlite3.Error``: nothing else
    in lockstep raises it bare) raises ``WorkFileError`` instead."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=True)
        self._targets = 0  # how many records the target holds
        for pragma in PRAGMAS:
            self._db.execute(f"PRAGMA {pragma}")
        self._script(
            """
            CREATE TABLE planned (entity TEXT, target TEXT, key TEXT,
                                  PRIMARY KEY (entity, target, key)) WITHOUT ROWID;
            CREATE TEMP TABLE want_key (key TEXT);
            CREATE TEMP TABLE want_ext (ext TEXT);
            CREATE TEMP TABLE want_match (rule INTEGER, key TEXT);
            """
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> WorkFile:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, _: object) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):
            raise WorkFileError(
                f"the run's work file failed: {exc}. It is kept in {temporary_folder()} "
                "(SQLite's temporary folder); set SQLITE_TMPDIR to a folder with more room "
                "(a few hundred bytes per record read; see docs/cli.md, plan and migrate)"
            ) from exc

    # -- sources: one entity at a time -------------------------------------------------

    def put_sources(self, pages: Iterable[Sequence[SideRecord]], keys: Keys | None) -> int:
        """The entity's source records, replacing the last entity's, with the match keys
        of those that could be mapped (``keys``: none without match rules); how many."""
        self._script(
            """
            DROP TABLE IF EXISTS source;
            DROP TABLE IF EXISTS source_key;
            CREATE TABLE source (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, body BLOB);
            CREATE TABLE source_key (rule INTEGER, key TEXT, seq INTEGER, sk TEXT);
            """
        )
        seq = 0
        with self._transaction():
            for page in pages:
                rows = []
                keyed = []
                for r in page:
                    seq += 1
                    rows.append((seq, r.key, _body(r)))
                    record = r.record
                    if keys is not None and not record.problems:
                        for rule, key in enumerate(keys({**record.values, **record.refs})):
                            if key is not None:
                                keyed.append((rule, key, seq, r.key))
                self._db.executemany("INSERT INTO source VALUES (?, ?, ?)", rows)
                self._db.executemany("INSERT INTO source_key VALUES (?, ?, ?, ?)", keyed)
            self._db.execute("CREATE INDEX source_key_by_key ON source_key (rule, key, seq)")
        return seq

    def source_keys(self, first: int, last: int) -> list[tuple[int, str]]:
        """(seq, key) of the source records ``first`` to ``last``."""
        return self._db.execute(
            "SELECT seq, key FROM source WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, last)
        ).fetchall()

    def sources(self, first: int, last: int) -> Sources:
        """The source records ``first`` to ``last`` (positions from 1), in order."""
        rows = self._db.execute(
            "SELECT seq, key, body FROM source WHERE seq BETWEEN ? AND ? ORDER BY seq",
            (first, last),
        )
        seqs, records, house = [], [], {}
        for seq, key, body in rows:
            values, refs, problems, extras = pickle.loads(body)  # the process's own file
            seqs.append(seq)
            records.append(SourceRecord(key, Canonical(values, refs, problems)))
            house[key] = extras
        return Sources(seqs, records, house)

    # -- one target at a time ------------------------------------------------------------

    def put_targets(
        self,
        pages: Iterable[Sequence[SideRecord]],
        keys: Keys | None,
        ext_of: Callable[[SideRecord], str | None],
    ) -> int:
        """One target's records, replacing the last target's (and its links and held
        source records), with their match keys; how many."""
        self._script(
            """
            DROP TABLE IF EXISTS target;
            DROP TABLE IF EXISTS target_key;
            DROP TABLE IF EXISTS link;
            DROP TABLE IF EXISTS held;
            CREATE TABLE target (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, ext TEXT,
                                 linked INTEGER NOT NULL DEFAULT 0, body BLOB);
            CREATE TABLE target_key (rule INTEGER, key TEXT, seq INTEGER);
            CREATE TABLE link (seq INTEGER PRIMARY KEY, gid TEXT NOT NULL, tkey TEXT);
            CREATE TABLE held (key TEXT PRIMARY KEY, rule INTEGER, reason TEXT) WITHOUT ROWID;
            """
        )
        seq = 0
        with self._transaction():
            for page in pages:
                rows = []
                keyed = []
                for r in page:
                    seq += 1
                    rows.append((seq, r.key, ext_of(r), _body(r)))
                    if keys is not None:
                        values = {**r.record.values, **r.record.refs}
                        for rule, key in enumerate(keys(values)):
                            if key is not None:
                                keyed.append((rule, key, seq))
                self._db.executemany(
                    "INSERT INTO target (seq, key, ext, body) VALUES (?, ?, ?, ?)", rows
                )
                self._db.executemany("INSERT INTO target_key VALUES (?, ?, ?)", keyed)
            self._script(
                """
                CREATE INDEX target_by_key ON target (key);
                CREATE INDEX target_by_ext ON target (ext);
                CREATE INDEX target_key_by_key ON target_key (rule, key);
                """
            )
        self._targets = seq
        return seq

    @property
    def target_count(self) -> int:
        """How many records the target holds."""
        return self._targets

    def put_links(self, links: Iterable[tuple[int, str, str | None]]) -> None:
        """(seq, global id, target key or ``None``) of linked source records."""
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO link VALUES (?, ?, ?)", links)

    def mark_linked(self) -> None:
        """Flag the target records some source record is linked to."""
        with self._transaction():
            self._db.execute(
                "UPDATE target SET linked = 1"
                " WHERE key IN (SELECT tkey FROM link WHERE tkey IS NOT NULL)"
            )

    def links(self, first: int, last: int) -> dict[int, Link]:
        """The ledger's links of the source records ``first`` to ``last``, by seq."""
        rows = self._db.execute(
            "SELECT seq, gid, tkey FROM link WHERE seq BETWEEN ? AND ?", (first, last)
        )
        return {seq: Link(gid, tkey) for seq, gid, tkey in rows}

    def source_duplicates(
        self, reason: Callable[[int, int], str]
    ) -> Iterator[tuple[int, str, tuple[str, ...]]]:
        """Groups of source records not linked in the target that share a key under a
        rule, as (rule, key, source keys): by rule, then by the key's first appearance,
        each group's keys in order, as ``matching.source_duplicates`` gives them. Each
        record is held with ``reason(rule, len(keys))`` of its first rule's group.

        The groups stream from the file: read them all before asking anything else."""
        self._db.create_function("held_reason", 2, reason, deterministic=True)
        with self._transaction():
            self._script(
                """
                DROP TABLE IF EXISTS temp.shared;
                CREATE TEMP TABLE shared AS
                    SELECT k.rule, k.key, min(k.seq) AS first, count(DISTINCT k.sk) AS n
                    FROM source_key k LEFT JOIN link l ON l.seq = k.seq
                    WHERE l.tkey IS NULL
                    GROUP BY k.rule, k.key HAVING n > 1;
                INSERT INTO held (key, rule, reason)
                    SELECT k.sk, s.rule, held_reason(s.rule, s.n)
                    FROM shared s JOIN source_key k ON k.rule = s.rule AND k.key = s.key
                    LEFT JOIN link l ON l.seq = k.seq
                    WHERE l.tkey IS NULL
                    ON CONFLICT (key) DO UPDATE SET rule = excluded.rule,
                        reason = excluded.reason WHERE excluded.rule < held.rule;
                """
            )
        rows = self._db.execute(
            """
            SELECT s.rule, s.key, k.sk
            FROM shared s JOIN source_key k ON k.rule = s.rule AND k.key = s.key
            LEFT JOIN link l ON l.seq = k.seq
            WHERE l.tkey IS NULL
            ORDER BY s.rule, s.first, k.seq
            """
        )
        group: tuple[int, str] | None = None
        members: dict[str, None] = {}
        for rule, key, sk in rows:
            if (rule, key) != group:
                if group is not None:
                    yield (*group, tuple(members))
                group, members = (rule, key), {}
            members[sk] = None
        if group is not None:
            yield (*group, tuple(members))

    def held(self, first: int, last: int) -> dict[str, str]:
        """Source key -> why it is held, for the source records ``first`` to ``last``."""
        rows = self._db.execute(
            "SELECT h.key, h.reason FROM source s CROSS JOIN held h ON h.key = s.key"
            " WHERE s.seq BETWEEN ? AND ?",
            (first, last),
        )
        return dict(rows.fetchall())

    def targets(
        self,
        keys: Collection[str],
        ext: Collection[str] = (),
        match: Collection[tuple[int, str]] = (),
    ) -> Targets:
        """The target records with one of ``keys``, ``ext`` values or (if linked to no
        source record) ``match`` keys, in the target's order. (``CROSS JOIN`` keeps
        SQLite to the order written: the few keys wanted, then the index.)"""
        found: dict[int, tuple[str, str | None, int, bytes]] = {}
        with self._transaction():
            self._fill("want_key", ((k,) for k in keys))
            self._fill("want_ext", ((e,) for e in ext))
            self._fill("want_match", match)
            for query in (
                "SELECT t.seq, t.key, t.ext, t.linked, t.body"
                " FROM want_key w CROSS JOIN target t ON t.key = w.key",
                "SELECT t.seq, t.key, t.ext, t.linked, t.body"
                " FROM want_ext w CROSS JOIN target t ON t.ext = w.ext",
                "SELECT t.seq, t.key, t.ext, t.linked, t.body FROM want_match w"
                " CROSS JOIN target_key k ON k.rule = w.rule AND k.key = w.key"
                " CROSS JOIN target t ON t.seq = k.seq AND t.linked = 0",
            ):
                for seq, key, e, is_linked, body in self._db.execute(query):
                    found[seq] = (key, e, is_linked, body)
        records, house, linked = [], {}, set()
        for seq in sorted(found):
            key, e, is_linked, body = found[seq]
            values, refs, problems, extras = pickle.loads(body)  # the process's own file
            records.append(TargetRecord(key, Canonical(values, refs, problems), e))
            house[key] = extras
            if is_linked:
                linked.add(key)
        return Targets(records, house, frozenset(linked))

    # -- plan mode: what a plan creates, for the entities after it -----------------------

    def add_planned(self, entity: str, target: str, keys: Iterable[str]) -> None:
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO planned VALUES (?, ?, ?)",
                ((entity, target, k) for k in keys),
            )

    def planned(self, entity: str, target: str, keys: Collection[str]) -> set[str]:
        """Those of ``keys`` planned into ``target`` (created, linked or kept)."""
        with self._transaction():
            self._fill("want_key", ((k,) for k in keys))
            rows = self._db.execute(
                "SELECT p.key FROM want_key w CROSS JOIN planned p"
                " ON p.entity = ? AND p.target = ? AND p.key = w.key",
                (entity, target),
            ).fetchall()
        return {key for (key,) in rows}

    # -- helpers -----------------------------------------------------------------------

    def _script(self, statements: str) -> None:
        """Each of ``statements`` (``;``-separated) in turn: unlike ``executescript``,
        inside the transaction that may be open."""
        for statement in statements.split(";"):
            if statement.strip():
                self._db.execute(statement)

    def _fill(self, table: str, rows: Iterable[Sequence[Any]]) -> None:
        """The temporary table ``table`` holding only ``rows``."""
        self._db.execute(f"DELETE FROM {table}")
        rows = list(rows)
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            self._db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN")

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        elif self._db.in_transaction:  # the file is dropped with the failed run
            self._db.execute("ROLLBACK")


def _body(record: SideRecord) -> bytes:
    r = record.record
    return pickle.dumps((r.values, r.refs, r.problems, record.house), pickle.HIGHEST_PROTOCOL)
