"""The org's SQLite database: opening it, its tables, its durable counters.

One writer connection (autocommit mode, explicit ``BEGIN IMMEDIATE``) serves every
write; each open query gets its own read connection (``read_connection``) so that a
paged query keeps Salesforce's snapshot semantics while writes go on. With no data
directory the database lives in a temporary directory removed on close, so
``--memory`` keeps nothing and still gets WAL readers.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lockstep_emulator.schema.model import Schema
from lockstep_emulator.store.layout import column_type, create_table_sql, q, stored_fields

DB_FILE = "org.sqlite3"

_META = "CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_DELETED = (
    "CREATE TABLE IF NOT EXISTS _deleted (id TEXT PRIMARY KEY COLLATE NOCASE, "
    "object TEXT NOT NULL, deleted_date TEXT NOT NULL)"
)


class Database:
    """The org's database file, its writer connection and its id counters."""

    def __init__(self, data_dir: Path | None, schema: Schema) -> None:
        self._tmp: str | None = None
        if data_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="lockstep-emulator-")
            data_dir = Path(self._tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.path = data_dir / DB_FILE
        self.schema = schema
        self.lock = threading.RLock()
        self.conn = self._connect()
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={'OFF' if self._tmp else 'NORMAL'}")
        self.conn.execute(_META)
        self.conn.execute(_DELETED)
        self._ensure_tables()
        self._counters: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._depth = 0
        self.transactions = 0  # outermost transactions begun: listeners tell them apart by it
        self.after_commit: list[Callable[[], None]] = []  # run after each outermost COMMIT
        # Write what a listener buffered, so that it lands in the right savepoint: run
        # before a savepoint begins or is rolled back, and before COMMIT.
        self.flushers: list[Callable[[], None]] = []

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA temp_store=MEMORY")
        return conn

    def read_connection(self) -> sqlite3.Connection:
        """A new read-only connection for one open query."""
        conn = self._connect()
        conn.execute("PRAGMA query_only=1")
        return conn

    def _ensure_tables(self) -> None:
        """Create missing tables, and add columns a newer schema file declares."""
        for obj in self.schema:
            for stmt in create_table_sql(obj)[:1]:
                self.conn.execute(stmt)
            have = {r[1].lower() for r in self.conn.execute(f"PRAGMA table_info({q(obj.name)})")}
            for f in stored_fields(obj):
                if f.name.lower() not in have:
                    self.conn.execute(
                        f"ALTER TABLE {q(obj.name)} ADD COLUMN {q(f.name)} {column_type(f)}"
                    )
            for stmt in create_table_sql(obj)[1:]:
                self.conn.execute(stmt)

    # -- meta -------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM _meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO _meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def next_counter(self, name: str) -> int:
        """The next value of a durable counter (persisted when the transaction commits)."""
        if name not in self._counters:
            self._counters[name] = int(self.get_meta("counter:" + name) or "0")
        self._counters[name] += 1
        self._dirty.add(name)
        return self._counters[name]

    # -- transactions -----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. A nested call is a savepoint: its failure undoes only
        its own work and re-raises, leaving the outer transaction to decide."""
        with self.lock:
            if self._depth:
                name = f"sp{self._depth}"
                self._flush()
                self.conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield self.conn
                except BaseException:
                    self._flush()  # written, then rolled back with the rest
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                    raise
                else:
                    self.conn.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            self.transactions += 1
            try:
                yield self.conn
                self._flush()
                for name in self._dirty:
                    self.set_meta("counter:" + name, str(self._counters[name]))
                self._dirty.clear()
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                self._dirty.clear()
                raise
            finally:
                self._depth = 0
            for hook in self.after_commit:
                hook()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a read on the writer connection, under the write lock.

        A bulk worker writes on this connection from another thread; taking the lock
        means a read never sees the rows of a chunk that has not committed yet.
        """
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def row(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a read (or None), under the write lock."""
        with self.lock:
            return self.conn.execute(sql, params).fetchone()

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def _flush(self) -> None:
        for flush in self.flushers:
            flush()

    def last_modstamp(self) -> str | None:
        """The latest SystemModstamp in any table (the clock never goes below it)."""
        stamps = [
            self.conn.execute(f'SELECT MAX("SystemModstamp") FROM {q(obj.name)}').fetchone()[0]
            for obj in self.schema
        ]
        present = [s for s in stamps if s]
        return max(present) if present else None

    def close(self) -> None:
        """Checkpoint and close; remove the directory when it was temporary."""
        with self.lock:
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                self.conn.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
