"""Watermark capture: no triggers, only a column the application keeps current (such
as ``updated_at``); the fallback where lockstep may not install triggers.

Rows are read in ``(column, key)`` order after the cursor, which holds both, so rows
sharing a timestamp are neither skipped nor repeated across pages. Two limits follow
from reading rows instead of a log:

- Deletes cannot be seen; ``reconcile`` finds them.
- A transaction that stamps a row and commits later than a reader passed that stamp
  would be missed. ``lookback_seconds`` guards against it: rows stamped within that
  many seconds of the database's clock are left for a later call, by which time
  transactions that stamped them should have committed. Set it above the longest
  write transaction of the application.

Rows whose column is NULL are never returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lockstep.connectors.sql.describe import BoundTable
from lockstep.connectors.sql.types import UtcDateTime
from lockstep.core.records import Change, ChangeBatch


def read(
    conn: Connection,
    bound: BoundTable,
    column: sa.Column[Any],
    columns: Sequence[sa.Column[Any]],
    cursor: str | None,
    lookback_seconds: float,
    limit: int,
    where: str | None = None,
) -> ChangeBatch:
    """Up to ``limit`` rows stamped after ``cursor`` (and passing ``where``), as
    ``upsert`` changes."""
    selected = list(columns) if column in columns else [*columns, column]
    names = [c.name for c in columns]
    statement = (
        sa.select(*selected).where(column.is_not(None)).order_by(column, bound.key).limit(limit)
    )
    if where:
        statement = statement.where(sa.text(f"({where})"))
    if cursor:
        mark, key = decode(cursor, bound)
        statement = statement.where(sa.or_(column > mark, sa.and_(column == mark, bound.key > key)))
    if lookback_seconds > 0:
        now = conn.execute(sa.select(sa.type_coerce(sa.func.now(), UtcDateTime()))).scalar_one()
        statement = statement.where(column <= now - timedelta(seconds=lookback_seconds))
    rows = conn.execute(statement).all()
    if not rows:
        return ChangeBatch((), cursor, more=False)
    key_at, mark_at = selected.index(bound.key), selected.index(column)
    changes = []
    for row in rows:
        values = dict(zip(names, row, strict=False))
        version = encode_value(row[mark_at])
        changes.append(Change(bound.name, str(row[key_at]), "upsert", values, version))
    last = rows[-1]
    return ChangeBatch(tuple(changes), encode(last[mark_at], last[key_at]), more=len(rows) == limit)


def encode(mark: Any, key: Any) -> str:
    """The cursor after the row stamped ``mark`` with key ``key``."""
    return json.dumps([_tag(mark), encode_value(mark), str(key)])


def decode(cursor: str, bound: BoundTable) -> tuple[Any, Any]:
    """``(mark, key)`` from a cursor ``encode`` made; ``ValueError`` otherwise."""
    try:
        tag, text, key = json.loads(cursor)
        return _DECODE[tag](text), bound.parse_key(key)
    except (TypeError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a watermark cursor: {cursor!r}") from exc


def encode_value(mark: Any) -> str:
    if isinstance(mark, date | datetime):
        return mark.isoformat()
    return str(mark)


def _tag(mark: Any) -> str:
    for kind, tag in ((datetime, "datetime"), (date, "date"), (int, "int"), (Decimal, "decimal")):
        if isinstance(mark, kind):
            return tag
    return "str"


_DECODE: dict[str, Callable[[str], Any]] = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "int": int,
    "decimal": Decimal,
    "str": str,
}
