"""Trigger capture: install and remove the triggers, read the change table.

Triggers installed by lockstep write ``(table_name, op, pk)`` for every inserted
(``I``), updated (``U``) and deleted (``D``) row into one change table; an update
that changes the key also writes a ``D`` for the old key. ``read`` returns the change
rows after a cursor, oldest first. An ``I``/``U`` carries the row as it is when read
(one ``IN`` query per batch); when the row is gone already it still comes out as an
``upsert``, with ``values=None``: that is what is known, and the ``D`` that removed it
follows. Each dialect's module says how it orders change rows and why.

Cursors are opaque; each dialect's module says what its cursors hold. A change's
``version`` is its change-table id.

Installing is DDL on the application's table, so it is done once (``install``:
at the first pass, or to repair), never at every pass; ``catalog`` is the cheap,
read-only look at the triggers as the database holds them that every pass makes
instead, and ``signature`` says what an install would run, so a lockstep whose
triggers changed installs its new ones once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lockstep.connectors.sql.capture import mariadb, postgres, sqlite
from lockstep.connectors.sql.capture.names import CaptureNames
from lockstep.connectors.sql.capture.page import Page
from lockstep.connectors.sql.capture.rows import rows_by_key
from lockstep.connectors.sql.describe import BoundTable
from lockstep.connectors.sql.engine import Family
from lockstep.core.records import Change, ChangeBatch

_DIALECTS: dict[Family, ModuleType] = {
    "postgresql": postgres,
    "mariadb": mariadb,
    "sqlite": sqlite,
}


def install_steps(family: Family, names: CaptureNames) -> list[list[str]]:
    """The install's statements, one list per transaction."""
    steps: list[list[str]] = _DIALECTS[family].install(names)
    return steps


def signature(family: Family, names: CaptureNames) -> str:
    """A digest of what installing would run: it changes when lockstep's triggers do."""
    text = "\n;\n".join(s for step in install_steps(family, names) for s in step)
    return hashlib.sha256(text.encode()).hexdigest()


def catalog(conn: Connection, family: Family, names: CaptureNames) -> str | None:
    """A digest of lockstep's triggers on the table as the database's catalog holds
    them (read only, no lock); ``None`` when none of them is there."""
    rows = _DIALECTS[family].catalog(conn, names)
    if rows is None:
        return None
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


def remove(conn: Connection, family: Family, names: CaptureNames) -> None:
    for statement in _DIALECTS[family].remove(names):
        conn.exec_driver_sql(statement)


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
    page: Page = _DIALECTS[family].pending(conn, names, names.table, cursor, limit)
    if not page.rows:
        return ChangeBatch((), page.cursor, more=False)
    pending = page.rows
    keys = {}
    for _, op, pk in pending:
        if op != "D":
            try:
                keys[pk] = bound.parse_key(pk)
            except ValueError:
                continue
    current = rows_by_key(conn, bound, columns, keys.values(), batch_size, where)
    outside: dict[Any, Any] = {}
    if where:
        missing = [key for key in keys.values() if key not in current]
        outside = rows_by_key(conn, bound, [bound.key], missing, batch_size)
    changes = []
    for id_, op, pk in pending:
        version = str(id_)
        if op == "D":
            changes.append(Change(bound.name, pk, "delete", None, version))
        else:
            if keys.get(pk) in outside:
                continue
            values = current.get(keys.get(pk))
            changes.append(Change(bound.name, pk, "upsert", values, version))
    return ChangeBatch(tuple(changes), page.cursor, more=page.more)
