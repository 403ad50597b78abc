"""SQLite capture: a change table and three row triggers per table.

SQLite lets one writer in at a time, so ids are taken in commit order and reading in
``id`` order misses nothing. ``AUTOINCREMENT`` keeps ids from being reused after the
change table is pruned. Cursors are ``"<id>"``.

With watched columns, the update trigger fires only when the key or one of them
changed (``WHEN OLD.c IS NOT NEW.c OR ...``). SQLite refuses to drop a column a
trigger names, saying which trigger, and a rename rewrites the trigger, which the
check before a pass then reports as capture not as installed.

Installing needs the write lock, so it runs once (see ``sync.install``), not at
every pass: a pass then only reads, and an application transaction held open across
it does not get in its way.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lockstep.connectors.sql.capture.names import CaptureNames, bare, literal
from lockstep.connectors.sql.capture.page import Page

PENDING = """
    SELECT id, op, pk FROM {changes}
    WHERE table_name = :table AND id > :id
    ORDER BY id
    LIMIT :limit
"""


def install(names: CaptureNames) -> list[list[str]]:
    """The install, as transactions (one here)."""
    table = literal(names.table)
    columns = f"INSERT INTO {names.changes} (table_name, op, pk)"
    return [
        [
            f"""CREATE TABLE IF NOT EXISTS {names.changes} (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            table_name TEXT NOT NULL,
            op TEXT NOT NULL,
            pk TEXT NOT NULL,
            captured_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')))""",
            f"CREATE INDEX IF NOT EXISTS {names.changes_index} ON {names.changes} (table_name, id)",
            *remove(names),
            f"""CREATE TRIGGER {names.insert} AFTER INSERT ON {names.target} FOR EACH ROW BEGIN
            {columns} VALUES ({table}, 'I', CAST(NEW.{names.key} AS TEXT));
        END""",
            f"""CREATE TRIGGER {names.update} AFTER UPDATE ON {names.target} FOR EACH ROW
        {_when(names)}BEGIN
            {columns} SELECT {table}, 'D', CAST(OLD.{names.key} AS TEXT)
                WHERE OLD.{names.key} IS NOT NEW.{names.key};
            {columns} VALUES ({table}, 'U', CAST(NEW.{names.key} AS TEXT));
        END""",
            f"""CREATE TRIGGER {names.delete} AFTER DELETE ON {names.target} FOR EACH ROW BEGIN
            {columns} VALUES ({table}, 'D', CAST(OLD.{names.key} AS TEXT));
        END""",
        ]
    ]


def _when(names: CaptureNames) -> str:
    """The update trigger's condition: the key or a watched column changed."""
    if not names.watched:
        return ""
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in (names.key, *names.watched))
    return f"WHEN {changed} "


def remove(names: CaptureNames) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {trigger}"
        for trigger in (names.insert, names.update, names.delete)
    ]


def catalog(conn: Connection, names: CaptureNames) -> list[tuple[Any, ...]] | None:
    """lockstep's triggers on the table as ``sqlite_master`` holds them (name and
    text); ``None`` when there is none."""
    ours = [bare(t) for t in (names.insert, names.update, names.delete)]
    master = f"{names.prefix}sqlite_master"
    statement = sa.text(
        f"SELECT name, sql FROM {master} WHERE type = 'trigger' AND tbl_name = :table "
        "AND name IN :ours ORDER BY name"
    ).bindparams(sa.bindparam("ours", expanding=True))
    rows = [tuple(r) for r in conn.execute(statement, {"table": names.table, "ours": ours})]
    return rows or None


def pending(
    conn: Connection, names: CaptureNames, table: str, cursor: str | None, limit: int
) -> Page:
    """Up to ``limit`` change rows of ``table`` after ``cursor``, in id order."""
    after = int(cursor) if cursor else 0
    query = sa.text(PENDING.format(changes=names.changes))
    rows = [tuple(r) for r in conn.execute(query, {"table": table, "id": after, "limit": limit})]
    last = str(rows[-1][0]) if rows else cursor
    return Page([(int(i), str(op), str(pk)) for i, op, pk in rows], last, len(rows) == limit)
