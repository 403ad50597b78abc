"""Running a plan: ``totalSize`` first, then records page by page from one snapshot.

A record query holds a read transaction and an open SQLite cursor for its lifetime,
which is Salesforce's query-locator behaviour: later pages show the data as it was
when the query started. The transaction ends as soon as the last row is fetched, or
on ``close``. Child subqueries run once per page, for all of that page's parents.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from lockstep_emulator.soql.plans import AggregatePlan, ChildPlan, CountPlan, Plan, RecordPlan
from lockstep_emulator.soql.shape import Record, Row, shaper

AGGREGATE_ATTRIBUTES = {"type": "AggregateResult"}


class QueryCursor:
    """An open query. ``total_size`` is known at once; ``fetch`` pages through records."""

    total_size: int

    def __init__(self, conn: sqlite3.Connection, plan: Plan, api_version: str = "59.0") -> None:
        self._conn = conn
        self._cursor: sqlite3.Cursor | None = None
        self._began = False
        self._fetched = 0
        self._buffer: list[Record] = []
        url_base = f"/services/data/v{api_version}"
        if isinstance(plan, CountPlan):
            self.total_size = int(_run(conn, plan.sql, plan.params).fetchone()[0])
        elif isinstance(plan, AggregatePlan):
            self._buffer = _aggregate_rows(conn, plan)
            self.total_size = len(self._buffer)
        else:
            self._open(plan, url_base)

    def _open(self, plan: RecordPlan, url_base: str) -> None:
        self._shape = shaper(plan.shape, url_base)
        self._children = [(c, shaper(c.shape, url_base)) for c in plan.children]
        self._began = not self._conn.in_transaction
        if self._began:
            self._conn.execute("BEGIN")
        try:
            count = _run(self._conn, plan.count_sql, plan.count_params).fetchone()
            self.total_size = int(count[0])
            self._cursor = _run(self._conn, plan.sql, plan.params)
        except BaseException:
            self._finish()
            raise
        if self.total_size == 0:
            self._finish()

    @property
    def done(self) -> bool:
        """True once every record has been fetched."""
        return self._cursor is None and not self._buffer

    def fetch(self, n: int) -> list[Record]:
        """The next (up to) ``n`` records; ``[]`` once done."""
        if n <= 0:
            return []
        if self._cursor is None:
            page, self._buffer = self._buffer[:n], self._buffer[n:]
            return page
        rows = self._cursor.fetchmany(n)
        records = [self._shape(row) for row in rows]
        if self._children and rows:
            self._attach(rows, records)
        self._fetched += len(rows)
        if len(rows) < n or self._fetched >= self.total_size:
            self._finish()
        return records

    def close(self) -> None:
        """Release the cursor and the snapshot; safe to call more than once."""
        self._buffer = []
        self._finish()

    def _finish(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
        if self._began:
            self._began = False
            self._conn.commit()

    def _attach(self, rows: list[Row], records: list[Record]) -> None:
        parent_ids = json.dumps([row[0] for row in rows])
        for plan, build in self._children:
            found = _children_by_parent(self._conn, plan, parent_ids, build)
            if not found:
                continue
            for row, record in zip(rows, records, strict=True):
                kids = found.get(row[0].lower())
                if kids:
                    record[plan.key] = {"totalSize": len(kids), "done": True, "records": kids}


def _run(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
    """A cursor yielding plain tuples, whatever ``row_factory`` the connection has."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params)


def _children_by_parent(
    conn: sqlite3.Connection, plan: ChildPlan, parent_ids: str, build: Callable[[Row], Record]
) -> dict[str, list[Record]]:
    found: dict[str, list[Record]] = {}
    index = plan.parent_index
    for row in _run(conn, plan.sql, (parent_ids, *plan.params)):
        found.setdefault(row[index].lower(), []).append(build(row))
    return found


def _aggregate_rows(conn: sqlite3.Connection, plan: AggregatePlan) -> list[Record]:
    keys = plan.keys
    fixes = [(k, i, c) for i, (k, c) in enumerate(zip(keys, plan.converts, strict=True)) if c]
    out: list[Record] = []
    for row in _run(conn, plan.sql, plan.params):
        rec: dict[str, Any] = {"attributes": dict(AGGREGATE_ATTRIBUTES)}
        rec.update(zip(keys, row, strict=True))
        for key, index, convert in fixes:
            rec[key] = convert(row[index])
        out.append(rec)
    return out
