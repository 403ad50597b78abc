"""Current rows by key, for changes that carry the record as it is now."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from lockstep.connectors.sql.describe import BoundTable
from lockstep.core.records import Row


def rows_by_key(
    conn: Connection,
    bound: BoundTable,
    columns: Sequence[sa.Column[Any]],
    keys: Iterable[Any],
    batch_size: int,
    where: str | None = None,
) -> dict[Any, Row]:
    """The rows among ``keys`` that exist (and pass ``where``, SQL), by key value; one
    ``IN`` query per batch."""
    names = [column.name for column in columns]
    key_at = next(i for i, column in enumerate(columns) if column is bound.key)
    found: dict[Any, Row] = {}
    remaining = iter(dict.fromkeys(keys))
    while batch := list(islice(remaining, batch_size)):
        statement = sa.select(*columns).where(_among(conn, bound.key, batch))
        if where:
            statement = statement.where(sa.text(f"({where})"))
        for row in conn.execute(statement):
            found[row[key_at]] = dict(zip(names, row, strict=True))
    return found


def _among(conn: Connection, key: sa.Column[Any], values: list[Any]) -> sa.ColumnElement[bool]:
    """``key IN (...)``; on PostgreSQL ``key = ANY(array)``, one parameter however
    many values (a thousand placeholders cost more to send and plan than the read)."""
    if conn.dialect.name == "postgresql":
        array = sa.bindparam("keys", values, type_=postgresql.ARRAY(key.type))
        return key == sa.any_(array)
    return key.in_(values)
