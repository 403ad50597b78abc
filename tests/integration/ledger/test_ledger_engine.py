from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import StatementError

from lockstep.ledger import Ledger, current_revision, open_engine, upgrade
from lockstep.ledger.tables import metadata

HEAD = "0006_exceptions_close"


def test_sqlite_gets_its_directory_and_settings(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "ledger.db"
    engine = open_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
    finally:
        engine.dispose()
    assert path.exists()
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 30_000,
        "foreign_keys": 1,
        "synchronous": 1,  # NORMAL
    }


def test_a_plain_postgresql_url_means_psycopg_3() -> None:
    engine = open_engine("postgresql://lockstep@db.invalid/ledger")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_revisions(ledger_url: str) -> None:
    engine = open_engine(ledger_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine, "0001_initial")
        assert current_revision(engine) == "0001_initial"
        upgrade(engine)
        assert current_revision(engine) == HEAD
        upgrade(engine)  # already there: nothing to do
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == {*metadata.tables, "ls_alembic_version"}


def test_processes_opening_a_new_ledger_at_once_all_succeed(
    make_ledger: Callable[..., Ledger],
) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        ledgers = list(pool.map(lambda _: make_ledger(), range(4)))
    assert all(current_revision(ledger.engine) == HEAD for ledger in ledgers)


def test_naive_datetimes_are_refused(ledger: Ledger) -> None:
    with pytest.raises(StatementError, match="timezone-aware"):
        ledger.claim(1, "w", now=datetime(2026, 1, 1))
