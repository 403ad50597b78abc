"""Read a whole table (or the part a filter picks), page by page, without holding it.

Rows stream through a server-side cursor (a psycopg named cursor on PostgreSQL, an
unbuffered ``SSCursor`` on MariaDB; SQLite reads lazily anyway), in key order so two
snapshots can be merged side by side. Values come out canonical because the reflected
table's types convert them (``lockstep.connectors.sql.types``); a page is built with
one ``dict(zip(...))`` per row and nothing else per value, with the garbage collector
paused meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lockstep.connectors.sql.describe import BoundTable
from lockstep.connectors.sql.engine import PAGE_TIMEOUT_SECONDS, Family
from lockstep.core.records import Row


def where_clause(where: str) -> sa.TextClause:
    """A raw SQL condition from the config, taken literally: a ``:word`` in it is not a
    bind parameter (and ``%`` is escaped for the driver by SQLAlchemy)."""
    return sa.text(where.replace(":", "\\:"))


def stream(
    engine: Engine,
    family: Family,
    bound: BoundTable,
    columns: Sequence[sa.Column[Any]],
    where: str | None,
    page_size: int,
) -> Iterator[list[Row]]:
    """Pages of at most ``page_size`` rows of ``columns``, keyed by column name."""
    statement = sa.select(*columns).order_by(bound.key)
    if where:
        statement = statement.where(where_clause(where))
    names = [column.name for column in columns]
    with engine.connect() as conn:
        if family == "mariadb":
            conn.exec_driver_sql(f"SET SESSION net_write_timeout = {PAGE_TIMEOUT_SECONDS}")
        result = conn.execution_options(stream_results=True, yield_per=page_size).execute(statement)
        for page in result.partitions():
            with _collector_paused():
                rows: list[Row] = [dict(zip(names, row, strict=False)) for row in page]
            yield rows


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while a page is built: its thousands of new dicts would
    set off collections (a quarter of the time of a large read), and dicts of plain
    values cannot form the cycles a collection looks for."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
