"""What every part of the ledger shares: the engine, the clock, and how a method joins
a caller's transaction or runs its own.

Each part (xrefs, golden, queue, runs, telemetry, cursors) is a mixin over
``LedgerBase``; ``Ledger`` combines them. A method given ``conn=`` runs on it, inside
whatever transaction the caller holds; without one it opens a transaction of its own:
a *write* one (SQLite ``BEGIN IMMEDIATE``) when it changes rows, a deferred one when it
only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from lockstep.ledger.engine import writer

Clock = Callable[[], datetime]
T = TypeVar("T")

#: How many keys one ``IN (...)`` lookup carries.
CHUNK = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def among(column: ColumnElement[T], keys: Sequence[T], conn: Connection) -> ColumnElement[bool]:
    """``column IN keys``. On PostgreSQL the keys travel as one array parameter: with
    one parameter per key the planner can neither hash the list nor probe an index
    with it, and a 500-key lookup scans the whole table."""
    if conn.dialect.name == "postgresql":
        array = bindparam(None, list(keys), type_=postgresql.ARRAY(column.type))
        return column == any_(array)
    return column.in_(keys)


#: Rows added at once after which PostgreSQL re-reads a table's statistics.
BULK = 10_000


def analyze_after_bulk(conn: Connection, table: Table, added: int) -> None:
    """Refresh PostgreSQL's statistics after a bulk insert. Until autovacuum gets to
    a freshly filled table, the planner takes it for nearly empty and answers a keyed
    lookup by filtering every row against the whole key list."""
    if added >= BULK and conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.format_table(table)}")


class LedgerBase:
    """The engine and clock; see the module docstring for ``_write`` / ``_read``."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction: pass the connection as ``conn=`` to ledger methods and
        they commit together, or not at all if the block raises."""
        with self._writer.begin() as conn:
            yield conn

    @contextmanager
    def _write(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
            return
        with self._writer.begin() as own:
            yield own

    @contextmanager
    def _read(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
            return
        with self.engine.connect() as own:
            yield own


def upsert(
    conn: Connection,
    table: Table,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert ``rows``, or where a row with the same ``keys`` exists, overwrite the
    ``update`` columns (``INSERT ... ON CONFLICT DO UPDATE``, SQLite and PostgreSQL)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={name: stmt.excluded[name] for name in update}
    )
    conn.execute(stmt, rows if isinstance(rows, Mapping) else list(rows))
