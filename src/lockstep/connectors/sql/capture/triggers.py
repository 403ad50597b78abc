"""Trigger capture: install and remove the triggers, read the change table.

Triggers installed by lockstep write ``(table_name, op, pk)`` for every inserted
(``I``), updated (``U``) and deleted (``D``) row into one change table; an update
that changes the key also writes a ``D`` for the old key. ``read`` returns the change
rows after a cursor, oldest first. An ``I``/``U`` carries the row as it is when read
(one ``IN`` query per batch); when the row is gone already it still comes out as an
``upsert``, with ``values=None``: that is what is known, and the ``D`` that removed it
follows. Each dialect's module says how it orders change rows and why.

Cursors are opaque: ``"<id>"`` on SQLite and MariaDB, ``"<tx>:<id>"`` on PostgreSQL.
A change's ``version`` is its change-table id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lockstep.connectors.sql.capture import mariadb, postgres, sqlite
from lockstep.connectors.sql.capture.names import CaptureNames
from lockstep.connectors.sql.capture.rows import rows_by_key
from lockstep.connectors.sql.describe import BoundTable
from lockstep.connectors.sql.engine import Family
from lockstep.core.records import Change, ChangeBatch

_DIALECTS: dict[Family, ModuleType] = {
    "postgresql": postgres,
    "mariadb": mariadb,
    "sqlite": sqlite,
}

PENDING = """
    SELECT id, op, pk FROM {changes}
    WHERE table_name = :table AND id > :id
    ORDER BY id
    LIMIT :limit
"""


def install(conn: Connection, family: Family, names: CaptureNames) -> None:
    for statement in _DIALECTS[family].install(names):
        conn.exec_driver_sql(statement)


def remove(conn: Connection, family: Family, names: CaptureNames) -> None:
    for statement in _DIALECTS[family].remove(names):
        conn.exec_driver_sql(statement)


@dataclass(frozen=True)
class Position:
    """Where a reader is in the change table: after change ``id`` (of transaction
    ``tx``, on PostgreSQL)."""

    id: int = 0
    tx: int = 0

    @classmethod
    def parse(cls, cursor: str | None) -> Position:
        if not cursor:
            return cls()
        tx, _, id_ = cursor.rpartition(":")
        return cls(int(id_), int(tx or 0))

    def render(self, family: Family) -> str:
        return f"{self.tx}:{self.id}" if family == "postgresql" else str(self.id)


def read(
    conn: Connection,
    family: Family,
    bound: BoundTable,
    names: CaptureNames,
    columns: Sequence[sa.Column[Any]],
    cursor: str | None,
    limit: int,
    batch_size: int,
    where: str | None = None,
) -> ChangeBatch:
    """Up to ``limit`` changes of ``bound``'s table after ``cursor``; with ``where``, a
    row that exists but does not pass it is left out (the cursor still moves past)."""
    position = Position.parse(cursor)
    params: dict[str, Any] = {"table": names.table, "id": position.id, "limit": limit}
    if family == "postgresql":
        query, params["tx"] = postgres.PENDING, str(position.tx)
    else:
        query = PENDING
    pending = conn.execute(sa.text(query.format(changes=names.changes)), params).all()
    if not pending:
        return ChangeBatch((), cursor, more=False)
    keys = {}
    for row in pending:
        if row.op != "D":
            try:
                keys[row.pk] = bound.parse_key(row.pk)
            except ValueError:
                continue
    current = rows_by_key(conn, bound, columns, keys.values(), batch_size, where)
    outside: dict[Any, Any] = {}
    if where:
        missing = [key for key in keys.values() if key not in current]
        outside = rows_by_key(conn, bound, [bound.key], missing, batch_size)
    changes = []
    for row in pending:
        version = str(row.id)
        if row.op == "D":
            changes.append(Change(bound.name, row.pk, "delete", None, version))
        else:
            if keys.get(row.pk) in outside:
                continue
            values = current.get(keys.get(row.pk))
            changes.append(Change(bound.name, row.pk, "upsert", values, version))
    last = pending[-1]
    tx = int(last[3]) if family == "postgresql" else 0
    return ChangeBatch(
        tuple(changes), Position(last.id, tx).render(family), more=len(pending) == limit
    )
