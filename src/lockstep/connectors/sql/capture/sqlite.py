"""SQLite capture: a change table and three row triggers per table.

SQLite lets one writer in at a time, so ids are taken in commit order and reading in
``id`` order misses nothing. ``AUTOINCREMENT`` keeps ids from being reused after the
change table is pruned.
"""

from __future__ import annotations

from lockstep.connectors.sql.capture.names import CaptureNames, literal


def install(names: CaptureNames) -> list[str]:
    table = literal(names.table)
    columns = f"INSERT INTO {names.changes} (table_name, op, pk)"
    return [
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
        f"""CREATE TRIGGER {names.update} AFTER UPDATE ON {names.target} FOR EACH ROW BEGIN
            {columns} SELECT {table}, 'D', CAST(OLD.{names.key} AS TEXT)
                WHERE OLD.{names.key} IS NOT NEW.{names.key};
            {columns} VALUES ({table}, 'U', CAST(NEW.{names.key} AS TEXT));
        END""",
        f"""CREATE TRIGGER {names.delete} AFTER DELETE ON {names.target} FOR EACH ROW BEGIN
            {columns} VALUES ({table}, 'D', CAST(OLD.{names.key} AS TEXT));
        END""",
    ]


def remove(names: CaptureNames) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {trigger}"
        for trigger in (names.insert, names.update, names.delete)
    ]
