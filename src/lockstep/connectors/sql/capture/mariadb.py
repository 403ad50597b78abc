"""MariaDB capture: a change table and three row triggers per table.

Each ``CREATE TRIGGER`` is sent as one statement (a ``BEGIN ... END`` body needs no
``DELIMITER``: that is a client-side notion). ``CREATE OR REPLACE`` makes installing
idempotent; MariaDB lets these sit beside the application's own triggers.

Changes are read in ``id`` order. Auto-increment ids are handed out at insert, not at
commit: a change from a transaction that commits *after* a higher-numbered change
was already read falls behind the cursor and is not returned. Only transactions
still open across a ``changes`` call are exposed to this; ``reconcile`` repairs what
it misses.
"""

from __future__ import annotations

from lockstep.connectors.sql.capture.names import CaptureNames, literal


def install(names: CaptureNames) -> list[str]:
    table = literal(names.table)
    row = f"INSERT INTO {names.changes} (table_name, op, pk, captured_at) VALUES ({table}"
    now = "UTC_TIMESTAMP(6)"
    return [
        f"""CREATE TABLE IF NOT EXISTS {names.changes} (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            table_name VARCHAR(255) NOT NULL,
            op CHAR(1) NOT NULL,
            pk VARCHAR(1024) NOT NULL,
            captured_at DATETIME(6) NOT NULL,
            KEY {names.changes_index} (table_name, id)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin""",
        f"CREATE OR REPLACE TRIGGER {names.prefix}{names.insert} AFTER INSERT ON {names.target} "
        f"FOR EACH ROW {row}, 'I', CAST(NEW.{names.key} AS CHAR), {now})",
        f"""CREATE OR REPLACE TRIGGER {names.prefix}{names.update} AFTER UPDATE ON {names.target}
        FOR EACH ROW BEGIN
            IF NOT (OLD.{names.key} <=> NEW.{names.key}) THEN
                {row}, 'D', CAST(OLD.{names.key} AS CHAR), {now});
            END IF;
            {row}, 'U', CAST(NEW.{names.key} AS CHAR), {now});
        END""",
        f"CREATE OR REPLACE TRIGGER {names.prefix}{names.delete} AFTER DELETE ON {names.target} "
        f"FOR EACH ROW {row}, 'D', CAST(OLD.{names.key} AS CHAR), {now})",
    ]


def remove(names: CaptureNames) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {names.prefix}{trigger}"
        for trigger in (names.insert, names.update, names.delete)
    ]
