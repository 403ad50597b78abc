"""Upsert by a unique column, in each dialect's own statement, telling inserts from
updates.

- PostgreSQL: ``INSERT ... ON CONFLICT (col) DO UPDATE ... RETURNING key, col,
  (xmax = 0)``; ``xmax`` is zero exactly on a row this statement inserted. A batch of
  ``stage.MIN_ROWS`` or more goes through ``COPY`` into a staging table and one
  ``INSERT ... SELECT`` of the same form (``stage``).
- SQLite: ``INSERT ... ON CONFLICT (col) DO UPDATE ... RETURNING key, col``.
- MariaDB: ``INSERT ... ON DUPLICATE KEY UPDATE ... RETURNING key, col``. MariaDB
  resolves a conflict on *any* unique key this way, so a row whose values collide on
  another unique column updates that row, not the one matched: bind such tables by
  their key or a single unique column.

SQLite and MariaDB cannot say which rows were inserted, so the rows already matching
are looked up first, in the same transaction (SQLite holds the write lock; MariaDB
locks the matched keys, gaps included). ``RETURNING`` of a batch comes back in no
promised order, so rows are matched to items by the value of the matched column, as
text: the value given may be ``"42"`` where the column returns ``42`` (an external id
holding another system's key, which lockstep carries as text); matched as given, no
row of such a batch was found and every batch was redone row by row, three
statements a row. When the match is ambiguous (the same value twice, or a value the
database normalised, ``1.5`` into ``1.50``) the batch is redone row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from lockstep.connectors.sql import stage
from lockstep.connectors.sql.describe import BoundTable
from lockstep.connectors.sql.engine import Family
from lockstep.connectors.sql.writes import Item, RedoByRow
from lockstep.core.ops import OpResult


def upsert_rows(
    conn: Connection,
    bound: BoundTable,
    family: Family,
    match: sa.Column[Any],
    items: Sequence[Item],
) -> list[OpResult]:
    """Upsert ``items`` matching on ``match``; one result per item, in order."""
    given = [item.values[match.name] for item in items]
    wanted = [_text(value) for value in given]
    batch = len(items) > 1
    if batch and len(set(wanted)) != len(wanted):
        raise RedoByRow  # one statement cannot touch a row twice
    existed: set[str] | None = None
    if family != "postgresql":
        existed = {_text(v) for v in _matching(conn, match, given, lock=family == "mariadb")}
        if batch and not existed <= set(wanted):
            raise RedoByRow
    returned: Sequence[Any]
    if family == "postgresql" and len(items) >= stage.MIN_ROWS:
        returned = stage.copy_upsert(conn, bound, match, items)
    else:
        rows = conn.execute(_statement(bound, family, match, items[0]), [i.values for i in items])
        returned = rows.all()
    if not batch:
        outcomes = returned[:1]
    else:
        by_value = {_text(row[1]): row for row in returned}
        outcomes = [by_value[value] for value in wanted if value in by_value]
    if len(outcomes) != len(items):
        raise RedoByRow
    results = []
    for value, row in zip(wanted, outcomes, strict=True):
        if existed is None:
            created = bool(row[2])
        else:
            created = value not in existed if batch else not existed
        results.append(OpResult(ok=True, native_id=str(row[0]), created=created))
    return results


def _text(value: Any) -> str:
    return str(value)


def _matching(
    conn: Connection, match: sa.Column[Any], values: list[Any], *, lock: bool
) -> set[Any]:
    statement = sa.select(match).where(match.in_(set(values)))
    if lock:
        statement = statement.with_for_update()
    return set(conn.execute(statement).scalars())


def _statement(bound: BoundTable, family: Family, match: sa.Column[Any], sample: Item) -> sa.Insert:
    table = bound.table
    changing = [name for name in sample.values if name != bound.key.name] or [match.name]
    returning: list[sa.ColumnElement[Any]] = [bound.key, match]
    if family == "postgresql":
        pg = postgresql.insert(table)
        created = sa.literal_column("xmax = 0", sa.Boolean).label("lockstep_created")
        return pg.on_conflict_do_update(
            index_elements=[match], set_={name: pg.excluded[name] for name in changing}
        ).returning(*returning, created)
    if family == "sqlite":
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(
            index_elements=[match], set_={name: lite.excluded[name] for name in changing}
        ).returning(*returning)
    maria = mysql.insert(table)
    return maria.on_duplicate_key_update(
        {name: maria.inserted[name] for name in changing}
    ).returning(*returning)
