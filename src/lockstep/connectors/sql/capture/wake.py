"""Waiting for changes instead of polling for them.

On PostgreSQL the capture triggers ``NOTIFY`` once per statement; a ``Listener``
holds one connection of its own that ``LISTEN``s, so a worker sleeps until a change
arrives. A notification sent while nobody waits is kept by the connection and
wakes the next wait at once. The first wait starts listening: changes made before
it are found by reading, not by waiting (read once, then wait).

SQLite and MariaDB cannot notify; ``Poller`` looks at the change table's highest id
a few times a second instead and reports when it grew since the last look.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from lockstep.errors import Unreachable

POLL_SECONDS = 0.2


class Listener:
    """``LISTEN`` on ``channel`` through a connection detached from the pool."""

    def __init__(self, system: str, engine: Engine, channel: str) -> None:
        self._system = system
        self._engine = engine
        self._channel = channel
        self._fairy: PoolProxiedConnection | None = None

    def wait(self, timeout: float) -> bool:
        import psycopg  # PostgreSQL only: the driver of the `postgres` extra

        connection = self._connection()
        woken = False
        try:
            for _ in connection.notifies(timeout=max(timeout, 0.0), stop_after=1):
                woken = True
                break
            if woken:
                for _ in connection.notifies(timeout=0.0):
                    pass  # drain: one wake-up covers everything sent so far
        except psycopg.OperationalError as exc:
            self.close()  # the next wait listens on a new connection
            raise Unreachable(self._system, f"listening for changes: {exc}") from exc
        return woken

    def _connection(self) -> Any:
        if self._fairy is None:
            fairy = self._engine.raw_connection()
            connection = fairy.driver_connection
            fairy.detach()
            assert connection is not None
            connection.rollback()
            connection.autocommit = True
            quoted = self._engine.dialect.identifier_preparer.quote(self._channel)
            connection.execute(f"LISTEN {quoted}")
            self._fairy = fairy
        return self._fairy.dbapi_connection

    def close(self) -> None:
        if self._fairy is not None:
            fairy, self._fairy = self._fairy, None
            fairy.close()


class Poller:
    """Watches ``max(id)`` of the change table."""

    def __init__(self, engine: Engine, changes: str) -> None:
        self._engine = engine
        self._query = sa.text(f"SELECT MAX(id) FROM {changes}")
        self._seen: int | None = None

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            with self._engine.connect() as conn:
                top = conn.execute(self._query).scalar() or 0
            if self._seen is None:
                self._seen = top
            elif top > self._seen:
                self._seen = top
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(POLL_SECONDS, left))

    def close(self) -> None:
        self._seen = None
