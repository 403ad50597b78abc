"""One SQLAlchemy engine per SQL system, set up so every dialect behaves alike.

Sessions run in UTC (PostgreSQL ``TIME ZONE``, MariaDB ``time_zone``), MariaDB talks
utf8mb4, and SQLite runs in WAL mode with a busy timeout. A SQLite file is opened
read-write, never created: a mistyped path is the user's mistake to hear about, not
an empty database to run against (and leave behind). ``postgres://`` is taken as
``config.urls`` says. On SQLite, SQLAlchemy rather
than the ``sqlite3`` module emits ``BEGIN``: that is what makes SAVEPOINTs (and so
per-record errors) work, and lets a write transaction take the write lock up front
(``BEGIN IMMEDIATE``) instead of failing to upgrade a read lock later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine

from lockstep.config.urls import normalize_url
from lockstep.errors import ConfigError

Family = Literal["postgresql", "mariadb", "sqlite"]

WRITE_OPTION = "lockstep_write"  # execution option: this connection will write
SQLITE_BUSY_TIMEOUT_MS = 15_000
PAGE_TIMEOUT_SECONDS = 3600  # MariaDB: how long a streamed read may wait for its reader


@dataclass(frozen=True)
class Database:
    """An engine, the dialect family it speaks, and its URL fit to print."""

    engine: Engine
    family: Family
    shown_url: str


def open_database(system: str, url_text: str) -> Database:
    """The engine for ``url_text``; ``ConfigError`` when the URL cannot be used.
    Nothing connects until the engine is first used."""
    url = _parse(system, url_text)
    shown = url.render_as_string(hide_password=True)
    family = _family(system, url, shown)
    if family == "mariadb" and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    if family == "sqlite":
        url = _never_created(url)
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
    except ImportError as exc:
        raise ConfigError([f"systems.{system}.url: {shown}: {exc}{driver_hint(family)}"]) from None
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigError([f"systems.{system}.url: {shown}: {exc}"]) from None
    _SETUP[family](engine)
    return Database(engine, family, shown)


def sqlite_file(url_text: str) -> Path | None:
    """The file a SQLite URL names (as SQLite will look for it: relative to the current
    folder); ``None`` for another database, an in-memory one or a ``file:`` URI."""
    try:
        url = sa.make_url(normalize_url(url_text))
    except sa.exc.ArgumentError:
        return None
    return _sqlite_path(url)


def _sqlite_path(url: URL) -> Path | None:
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:") or url.query.get("uri") == "true":
        return None
    return Path(database).expanduser()


def _parse(system: str, url_text: str) -> URL:
    try:
        return sa.make_url(normalize_url(url_text))
    except sa.exc.ArgumentError:
        raise ConfigError([f"systems.{system}.url: not a SQLAlchemy database URL"]) from None


def _never_created(url: URL) -> URL:
    """``url`` opening its SQLite file read-write only (SQLite's ``mode=rw``): when
    there is no such file, connecting fails (``Unreachable``) instead of creating it.
    ``lockstep validate`` and the commands' checks say so first, at the URL's line."""
    path = _sqlite_path(url)
    if path is None:
        return url
    return url.set(database=f"file:{quote(str(path))}").update_query_dict(
        {"mode": "rw", "uri": "true"}
    )


def driver_hint(family: str) -> str:
    """How to install the driver a database family needs (the package's extras)."""
    extra = {"postgresql": "postgres", "mariadb": "mysql"}.get(family)
    return f" (install the driver: pip install 'lockstep-sync[{extra}]')" if extra else ""


def _family(system: str, url: URL, shown: str) -> Family:
    backend = url.get_backend_name()
    if backend == "postgresql":
        return "postgresql"
    if backend in ("mysql", "mariadb"):
        return "mariadb"
    if backend == "sqlite":
        return "sqlite"
    raise ConfigError(
        [f"systems.{system}.url: {shown}: lockstep speaks postgresql, mariadb and sqlite"]
    )


def _run(dbapi_connection: Any, *statements: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for statement in statements:
            cursor.execute(statement)
            if cursor.description is not None:
                cursor.fetchall()
    finally:
        cursor.close()


def _setup_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _utc(dbapi_connection: Any, _record: Any) -> None:
        _run(dbapi_connection, "SET TIME ZONE 'UTC'")
        dbapi_connection.commit()


def _setup_mariadb(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _utc(dbapi_connection: Any, _record: Any) -> None:
        _run(dbapi_connection, "SET time_zone = '+00:00'")


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN, below
        _run(
            dbapi_connection,
            f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA journal_mode = WAL",
        )

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


_SETUP = {
    "postgresql": _setup_postgresql,
    "mariadb": _setup_mariadb,
    "sqlite": _setup_sqlite,
}
