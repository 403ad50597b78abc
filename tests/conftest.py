"""Suite-wide rules: service-backed tests skip when their service is absent, unless
``LOCKSTEP_REQUIRE_SERVICES=1`` (CI), where an absent service fails the test; and
fresh SQLite, PostgreSQL and MariaDB databases, one per test."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

SERVICES = {"postgres": 5432, "mariadb": 3306, "redis": 6379}


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    required = os.environ.get("LOCKSTEP_REQUIRE_SERVICES") == "1"
    for name, port in SERVICES.items():
        if item.get_closest_marker(name) is None or _reachable(port):
            continue
        message = f"{name} is not reachable on 127.0.0.1:{port}"
        if required:
            pytest.fail(message + " and LOCKSTEP_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)


# -- fresh databases, one per test ------------------------------------------------------

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/test"


def _fresh_name() -> str:
    return f"lockstep_t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new SQLite database file for this test."""
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test, dropped afterwards.

    Tests using it must carry ``@pytest.mark.postgres``."""
    yield from _fresh_database(
        POSTGRES_ADMIN,
        "postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        'CREATE DATABASE "{name}"',
        'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
    )


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A new, empty MariaDB database for this test, dropped afterwards.

    Tests using it must carry ``@pytest.mark.mariadb``."""
    yield from _fresh_database(
        MARIADB_ADMIN,
        "mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4",
        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        "DROP DATABASE IF EXISTS `{name}`",
    )


def _fresh_database(admin_url: str, url: str, create: str, drop: str) -> Iterator[str]:
    name = _fresh_name()
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(create.format(name=name))
        yield url.format(name=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(drop.format(name=name))
        admin.dispose()
