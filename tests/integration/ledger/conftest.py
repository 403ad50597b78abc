"""Every ledger test runs twice: on a SQLite file, and on PostgreSQL in a schema of
its own (created for the test, dropped after it; ``search_path`` points the ledger at
it), so tests never see each other's rows.

``clock`` is the ledger's clock, moved by hand; ``make_ledger`` opens further ledgers
on the same database (a second process, in effect).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from lockstep.ledger import Ledger
from lockstep.ledger.base import utcnow

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Clock:
    """A clock that stands still until told to move."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 24, 1, 2, 3, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'state' / 'ledger.db'}"
        return
    schema = f"ls_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def dialect(ledger_url: str) -> str:
    return "sqlite" if ledger_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_ledger(ledger_url: str) -> Iterator[Callable[..., Ledger]]:
    opened: list[Ledger] = []

    def make(clock: Callable[[], datetime] = utcnow) -> Ledger:
        ledger = Ledger.open(ledger_url, clock=clock)
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger], clock: Clock) -> Ledger:
    return make_ledger(clock=clock)
