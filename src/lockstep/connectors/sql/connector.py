"""``SqlConnector``: a SQL database behind the ``Connector`` seam.

It holds one engine and the tables it has reflected; the work is done by the
modules beside it. Every database error that fails a whole call leaves here as a
``lockstep.errors`` exception (see ``classify``); per-record refusals come back in
``OpResult`` values.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from lockstep.config.systems import SqlSystem
from lockstep.connectors.base import CallCounter, CaptureCheck, CaptureSpec
from lockstep.connectors.sql import snapshot as snapshots
from lockstep.connectors.sql.apply import apply_ops
from lockstep.connectors.sql.capture import triggers, watermark
from lockstep.connectors.sql.capture.names import CaptureNames, capture_names
from lockstep.connectors.sql.capture.page import Truncated
from lockstep.connectors.sql.capture.wake import Listener, Poller
from lockstep.connectors.sql.classify import CONFLICT, call_failure, classify
from lockstep.connectors.sql.describe import BoundTable, reflect
from lockstep.connectors.sql.engine import WRITE_OPTION, open_database
from lockstep.core.ops import Op, OpResult
from lockstep.core.records import ChangeBatch, Row
from lockstep.core.shapes import ObjectShape
from lockstep.errors import CaptureBroken, ConfigError, Terminal

CALLS = "sql"  # the CallCounter family: statements sent
INSTALL_ATTEMPTS = 5  # an install that waits too long for a lock gives way and tries again


class SqlConnector:
    """The SQL database configured as system ``name``."""

    def __init__(self, name: str, config: SqlSystem) -> None:
        self.name = name
        self.config = config
        self.calls = CallCounter()
        self._db = open_database(name, config.url.get_secret_value())
        self.family = self._db.family
        self._tables: dict[str, BoundTable] = {}
        self._waker: Listener | Poller | None = None
        event.listen(self._db.engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.calls.count(CALLS)

    @contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sa.exc.StatementError as exc:
            raise call_failure(self.name, exc, f"{doing} ({self._db.shown_url})") from exc

    # -- the seam ---------------------------------------------------------------

    def check(self) -> None:
        with self._failures("connecting"), self._db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").all()

    def describe(self, obj: str) -> ObjectShape:
        self._tables.pop(obj, None)
        return self._bound(obj).shape

    def snapshot(
        self, obj: str, fields: Sequence[str], *, where: str | None = None, page_size: int = 2000
    ) -> Iterator[Sequence[Row]]:
        bound = self._bound(obj)
        columns = bound.selection(fields)
        return self._stream(bound, columns, where, page_size)

    def _stream(
        self, bound: BoundTable, columns: list[sa.Column[Any]], where: str | None, size: int
    ) -> Iterator[Sequence[Row]]:
        with self._failures(f"reading {bound.name}"):
            yield from snapshots.stream(self._db.engine, self.family, bound, columns, where, size)

    def changes(
        self,
        obj: str,
        fields: Sequence[str],
        cursor: str | None,
        capture: CaptureSpec,
        *,
        limit: int = 10_000,
        where: str | None = None,
    ) -> ChangeBatch:
        if capture.mode not in ("triggers", "watermark"):
            raise self._unsupported(capture)
        bound = self._bound(obj)
        columns = bound.selection(fields)
        try:
            with (
                self._failures(f"reading changes of {bound.name}"),
                self._db.engine.connect() as conn,
            ):
                if capture.mode == "triggers" and self.family == "mariadb":
                    conn = conn.execution_options(isolation_level="READ COMMITTED")
                if capture.mode == "triggers":
                    names = self._names(bound)
                    batch = self.config.batch_size
                    return triggers.read(
                        conn, self.family, bound, names, columns, cursor, limit, batch, where
                    )
                column = bound.column(self._watermark_column(capture))
                return watermark.read(
                    conn, bound, column, columns, cursor, capture.lookback_seconds, limit, where
                )
        except Truncated as truncated:
            raise CaptureBroken(
                self.name,
                f"{obj} was truncated at {truncated.at}: the deletes of its rows were not "
                "captured one by one, so other systems may still hold them",
                resume=truncated.resume,
            ) from None
        except ValueError as exc:
            raise Terminal(self.name, f"{obj}: cursor {cursor!r} is not one of ours") from exc

    def inspect_capture(self, obj: str, capture: CaptureSpec) -> CaptureCheck | None:
        """What trigger capture of ``obj`` needs and what the catalog shows (read
        only, no lock); ``None`` for a mode that installs nothing (watermark: its
        column is checked here)."""
        bound = self._bound(obj)
        if capture.mode == "watermark":
            bound.column(self._watermark_column(capture))
            return None
        if capture.mode == "none":
            return None
        if capture.mode != "triggers":
            raise self._unsupported(capture)
        names = self._names(bound, capture.watched)
        with self._failures(f"checking capture on {bound.name}"), self._db.engine.connect() as conn:
            found = triggers.catalog(conn, self.family, names)
        return CaptureCheck(triggers.signature(self.family, names), found)

    def install_capture(self, obj: str, capture: CaptureSpec) -> None:
        if self.inspect_capture(obj, capture) is None:
            return
        bound = self._bound(obj)
        steps = triggers.install_steps(self.family, self._names(bound, capture.watched))
        with self._failures(f"installing capture on {bound.name}"):
            for attempt in range(INSTALL_ATTEMPTS):
                try:
                    writer = self._db.engine.execution_options(**{WRITE_OPTION: True})
                    for statements in steps:
                        with writer.begin() as conn:
                            for statement in statements:
                                conn.exec_driver_sql(statement)
                    return
                except sa.exc.DBAPIError as exc:
                    if attempt + 1 == INSTALL_ATTEMPTS or classify(exc).code != CONFLICT:
                        raise
                    time.sleep(random.uniform(0.1, 0.5 * 2**attempt))

    def remove_capture(self, obj: str) -> None:
        bound = self._bound(obj)
        with self._failures(f"removing capture from {bound.name}"), self._db.engine.begin() as conn:
            triggers.remove(conn, self.family, self._names(bound))

    def apply(self, obj: str, ops: Sequence[Op]) -> list[OpResult]:
        bound = self._bound(obj)
        with self._failures(f"writing {bound.name}"):
            return apply_ops(self._db.engine, self.family, bound, ops, self.config.batch_size)

    def wait_for_changes(self, timeout: float) -> bool:
        """Block until a captured change may be waiting, or ``timeout`` seconds pass;
        ``True`` when woken by a change. PostgreSQL ``LISTEN``s for the triggers'
        ``NOTIFY``; SQLite and MariaDB poll the change table (see ``capture.wake``)."""
        with self._failures("waiting for changes"):
            if self._waker is None:
                self._waker = (
                    Listener(self.name, self._db.engine, self.config.change_table)
                    if self.family == "postgresql"
                    else Poller(self._db.engine, self._names_of("", "").changes)
                )
            return self._waker.wait(timeout)

    def close(self) -> None:
        if self._waker is not None:
            self._waker.close()
            self._waker = None
        self._db.engine.dispose()

    # -- helpers ----------------------------------------------------------------

    def _bound(self, obj: str) -> BoundTable:
        bound = self._tables.get(obj)
        if bound is None:
            with self._failures(f"describing {obj}"), self._db.engine.connect() as conn:
                bound = reflect(conn, self.name, self.family, obj, self.config.db_schema)
            self._tables[obj] = bound
        return bound

    def _names(self, bound: BoundTable, watched: Sequence[str] = ()) -> CaptureNames:
        """The names of ``bound``'s capture; with ``watched``, the columns whose change
        makes an update a change (as the table spells them)."""
        columns = [bound.column(name).name for name in watched]
        return self._names_of(bound.name, bound.key.name, columns)

    def _names_of(self, table: str, key: str, watched: Sequence[str] = ()) -> CaptureNames:
        return capture_names(
            self._db.engine.dialect,
            self.config.db_schema,
            table,
            key,
            self.config.change_table,
            watched,
        )

    def _watermark_column(self, capture: CaptureSpec) -> str:
        if capture.column is None:
            raise ConfigError([f"systems.{self.name}: watermark capture needs a column"])
        return capture.column

    def _unsupported(self, capture: CaptureSpec) -> ConfigError:
        return ConfigError(
            [
                f"systems.{self.name}: SQL tables capture by triggers or watermark, "
                f"not {capture.mode!r}"
            ]
        )
