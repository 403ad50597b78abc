"""PostgreSQL: a batch of upserts through ``COPY`` into a staging table, then one
``INSERT ... SELECT ... ON CONFLICT``.

A batch sent as one multi-row ``INSERT ... VALUES`` spends most of its time in the
client: building a statement with a placeholder per value, and psycopg parsing that
text again to send it (20,000 rows of seven columns took 2.2 s, 0.9 s of it splitting
the query). ``COPY`` streams the rows without any of that; the server then merges
them in one statement. The staging table is a temporary one shaped like the target's
written columns (``CREATE TEMP TABLE ... AS SELECT ... WITH NO DATA``, so every
column keeps its type and text input is parsed as the column's), dropped when the
transaction ends, emptied before each batch. Values go through each column's bind
processing first (a naive-UTC timestamp column converts aware values, a JSON column
serialises), as they would in a statement.

The merge returns ``(key, matched column, created)`` rows like the plain statement
(``upsert``), in no promised order: the caller matches them to items by value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lockstep.connectors.sql.describe import BoundTable
from lockstep.connectors.sql.writes import Item

ORDER = "lockstep_ord"
MIN_ROWS = 100  # below this the plain statement is as quick


def copy_upsert(
    conn: Connection, bound: BoundTable, match: sa.Column[Any], items: Sequence[Item]
) -> list[Any]:
    """Upsert ``items`` (one column set, distinct ``match`` values); the merged rows."""
    names = list(items[0].values)
    columns = [bound.table.c[name] for name in names]
    quote = conn.dialect.identifier_preparer.quote
    target = conn.dialect.identifier_preparer.format_table(bound.table)
    listed = ", ".join(quote(name) for name in names)
    stage = quote(_stage_name(target, names))
    processors = _processors(conn, columns)
    changing = [name for name in names if name != bound.key.name] or [match.name]
    updates = ", ".join(f"{quote(n)} = EXCLUDED.{quote(n)}" for n in changing)
    raw: Any = conn.connection.dbapi_connection  # psycopg's: its cursor has ``copy``
    with raw.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "
            f"SELECT 0::int AS {ORDER}, {listed} FROM {target} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        with cursor.copy(f"COPY {stage} ({ORDER}, {listed}) FROM STDIN") as copy:
            for position, item in enumerate(items):
                values = item.values
                copy.write_row(
                    (
                        position,
                        *(
                            value if (process := processors[n]) is None else process(value)
                            for n, value in ((n, values[n]) for n in names)
                        ),
                    )
                )
        cursor.execute(
            f"INSERT INTO {target} ({listed}) SELECT {listed} FROM {stage} ORDER BY {ORDER} "
            f"ON CONFLICT ({quote(match.name)}) DO UPDATE SET {updates} "
            f"RETURNING {quote(bound.key.name)}, {quote(match.name)}, (xmax = 0)"
        )
        return list(cursor.fetchall())


def _stage_name(target: str, names: Sequence[str]) -> str:
    digest = hashlib.sha1("\0".join([target, *names]).encode()).hexdigest()[:16]
    return f"lockstep_stage_{digest}"


def _processors(
    conn: Connection, columns: Sequence[sa.Column[Any]]
) -> dict[str, Callable[[Any], Any] | None]:
    dialect = conn.dialect
    return {column.name: column.type.bind_processor(dialect) for column in columns}
