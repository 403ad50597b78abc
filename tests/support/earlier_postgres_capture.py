"""What lockstep 24d5aaa and before installed on PostgreSQL, and how it read: kept to test
that an existing user's triggers and cursor carry over (a verbatim copy of that
``connectors/sql/capture/postgres.py``).

PostgreSQL capture: a change table and three statement-level triggers per table.

The triggers see the rows a statement touched through *transition tables*
(``REFERENCING NEW TABLE``) and write all their change rows with one ``INSERT ...
SELECT``, in the order the statement touched them, then ``NOTIFY`` once. Bulk writes
of the application slow down less than with a PL/pgSQL call per row (inserting,
updating and deleting 200,000 rows took 3.1 s against 5.0 s here), and one
notification per statement is what the waiting worker needs. An update that changes keys writes a
``D`` for every old key no longer present, then a ``U`` for every row.

Each change row also records the writing transaction (``tx``, its top-level xid).
Change rows are read in ``(tx, id)`` order and only from transactions older than the
reader's snapshot ``xmin``, so none is ever behind the cursor when it commits: with
plain ``id`` order, a transaction that took id 10 and committed after one that took
id 11 was read would be skipped for good. The price: while any transaction that has
written (in any database of the cluster) stays open, changes committed after it
began wait for it to end.
"""

from __future__ import annotations

from lockstep.connectors.sql.capture.names import CaptureNames, literal

NEW, OLD = "lockstep_new", "lockstep_old"


def install(names: CaptureNames) -> list[str]:
    into = f"INSERT INTO {names.changes} (table_name, op, pk) SELECT {literal(names.table)}"
    key = names.key
    return [
        f"""CREATE TABLE IF NOT EXISTS {names.changes} (
            id bigserial PRIMARY KEY,
            table_name text NOT NULL,
            op char(1) NOT NULL,
            pk text NOT NULL,
            captured_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            tx xid8 NOT NULL DEFAULT pg_current_xact_id())""",
        f"CREATE INDEX IF NOT EXISTS {names.changes_index} ON {names.changes} (table_name, tx, id)",
        f"""CREATE OR REPLACE FUNCTION {names.function}() RETURNS trigger
        LANGUAGE plpgsql AS $lockstep$
        DECLARE
            written bigint;
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {into}, 'I', n.{key}::text FROM {NEW} n;
            ELSIF TG_OP = 'UPDATE' THEN
                {into}, 'D', o.{key}::text FROM {OLD} o
                    WHERE NOT EXISTS (SELECT FROM {NEW} n WHERE n.{key} = o.{key});
                {into}, 'U', n.{key}::text FROM {NEW} n;
            ELSE
                {into}, 'D', o.{key}::text FROM {OLD} o;
            END IF;
            GET DIAGNOSTICS written = ROW_COUNT;
            IF written > 0 THEN
                PERFORM pg_notify({literal(names.channel)}, TG_TABLE_NAME);
            END IF;
            RETURN NULL;
        END
        $lockstep$""",
        *_drop_triggers(names),
        _trigger(names, names.insert, "INSERT", f"NEW TABLE AS {NEW}"),
        _trigger(names, names.update, "UPDATE", f"OLD TABLE AS {OLD} NEW TABLE AS {NEW}"),
        _trigger(names, names.delete, "DELETE", f"OLD TABLE AS {OLD}"),
    ]


def remove(names: CaptureNames) -> list[str]:
    return [*_drop_triggers(names), f"DROP FUNCTION IF EXISTS {names.function}()"]


def _drop_triggers(names: CaptureNames) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {trigger} ON {names.target}"
        for trigger in (names.insert, names.update, names.delete)
    ]


def _trigger(names: CaptureNames, trigger: str, event: str, transition: str) -> str:
    return (
        f"CREATE TRIGGER {trigger} AFTER {event} ON {names.target} "
        f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {names.function}()"
    )


PENDING = """
    SELECT id, op, pk, tx::text FROM {changes}
    WHERE table_name = :table
      AND (tx, id) > (CAST(:tx AS xid8), :id)
      AND tx < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY tx, id
    LIMIT :limit
"""
