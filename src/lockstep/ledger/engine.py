"""Connecting to a ledger database and bringing its schema up to date.

SQLite gets the settings a shared state file needs: WAL (readers never wait for the
writer), a 30 s busy timeout, foreign keys, ``synchronous=NORMAL``. lockstep also takes
over SQLite's ``BEGIN`` from the driver, so that every transaction really is one (the
driver's legacy mode leaves SELECTs and DDL outside) and so that a transaction about to
write can ask for ``BEGIN IMMEDIATE``: taking the write lock up front means it waits
its turn instead of failing when it tries to upgrade a read lock.

Migrations run from the Alembic scripts shipped in ``migrations/``; no ``alembic.ini``
is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL

from lockstep.errors import ConfigError
from lockstep.ledger.tables import VERSION_TABLE

MIGRATIONS = Path(__file__).with_name("migrations")

#: Execution option naming the SQLite ``BEGIN`` mode (``DEFERRED`` or ``IMMEDIATE``).
SQLITE_BEGIN = "lockstep_sqlite_begin"

_BUSY_TIMEOUT_MS = 30_000
_MIGRATION_LOCK = 0x6C6F636B  # the PostgreSQL advisory lock held while migrating


def open_engine(url: str | URL) -> Engine:
    """An engine for the ledger at ``url``. ``postgresql://`` means psycopg 3; for a
    SQLite file, its directory is created."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        # psycopg prepares a statement it has run five times, and PostgreSQL may then
        # reuse one plan for any parameters: a bulk statement would keep the plan made
        # for an ``unnest`` of 100 rows, however many rows it carries.
        unprepared = {"prepare_threshold": None} if parsed.get_driver_name() == "psycopg" else {}
        try:
            return create_engine(parsed, pool_pre_ping=True, connect_args=unprepared)
        except ImportError as exc:
            extra = "postgres" if parsed.get_backend_name() == "postgresql" else "mysql"
            raise ConfigError(
                [f"ledger: {exc} (install the driver: pip install 'lockstep-sync[{extra}]')"]
            ) from None
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    if mode not in ("DEFERRED", "IMMEDIATE"):
        raise ValueError(f"{SQLITE_BEGIN} must be DEFERRED or IMMEDIATE, not {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")


def writer(engine: Engine) -> Engine:
    """``engine``, but its transactions take SQLite's write lock when they begin."""
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the ledger to ``revision``, in one transaction. Concurrent callers wait
    for each other (SQLite's write lock; an advisory lock on PostgreSQL)."""
    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the ledger is at; ``None`` for an empty database."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()
