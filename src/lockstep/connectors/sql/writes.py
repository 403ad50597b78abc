"""The writers: one statement (or a few) for a batch of like operations.

Each writer takes a batch of ``Item`` values that share an action and a set of
columns, and returns one ``OpResult`` per item, in order. It may raise a database
error, or ``RedoByRow`` when it cannot tell the items' outcomes apart; ``apply`` then
rolls the batch back and calls it again one item at a time, where every writer is
exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lockstep.connectors.sql.describe import BoundTable
from lockstep.core.ops import Op, OpResult

NOT_FOUND = "NOT_FOUND"
KEY_PARAM = "lockstep_key_"


@dataclass(frozen=True)
class Item:
    """One operation, ready to write: its position in the caller's list, the values
    by column name, and the key value (updates and deletes)."""

    index: int
    op: Op
    values: dict[str, Any] = field(default_factory=dict)
    key: Any = None

    @property
    def native_id(self) -> str | None:
        return getattr(self.op, "native_id", None)


class RedoByRow(Exception):
    """This batch's outcomes cannot be told apart: write it again row by row."""


def not_found(item: Item) -> OpResult:
    return OpResult.failed(NOT_FOUND, f"no row with key {item.native_id}", native_id=item.native_id)


def insert_rows(conn: Connection, bound: BoundTable, items: Sequence[Item]) -> list[OpResult]:
    """INSERT ... RETURNING the key, in input order (SQLAlchemy's ``insertmanyvalues``)."""
    statement = sa.insert(bound.table).returning(bound.key, sort_by_parameter_order=True)
    if not items[0].values:  # nothing but defaults: one row per statement
        keys = [conn.execute(statement).scalar_one() for _ in items]
    else:
        keys = list(conn.execute(statement, [item.values for item in items]).scalars())
    if len(keys) != len(items):
        raise RedoByRow
    return [OpResult(ok=True, native_id=str(key), created=True) for key in keys]


def existing_keys(
    conn: Connection, bound: BoundTable, keys: Sequence[Any], *, lock: bool
) -> set[Any]:
    """Which of ``keys`` are rows now; with ``lock``, they stay so until commit."""
    statement = sa.select(bound.key).where(bound.key.in_(set(keys)))
    if lock:
        statement = statement.with_for_update()
    return set(conn.execute(statement).scalars())


def update_rows(conn: Connection, bound: BoundTable, items: Sequence[Item]) -> list[OpResult]:
    """UPDATE by key (executemany); a key that is not there is ``NOT_FOUND``."""
    found = existing_keys(conn, bound, [item.key for item in items], lock=True)
    present = [item for item in items if item.key in found]
    if present and present[0].values:
        statement = sa.update(bound.table).where(bound.key == sa.bindparam(KEY_PARAM))
        conn.execute(statement, [{**item.values, KEY_PARAM: item.key} for item in present])
    return [
        OpResult(ok=True, native_id=item.native_id) if item.key in found else not_found(item)
        for item in items
    ]


def delete_rows(conn: Connection, bound: BoundTable, items: Sequence[Item]) -> list[OpResult]:
    """DELETE by key; a key that is not there (or was deleted earlier in the same
    batch) is ``NOT_FOUND``."""
    keys = {item.key for item in items}
    condition = bound.key.in_(keys)
    if conn.dialect.delete_returning:
        statement = sa.delete(bound.table).where(condition).returning(bound.key)
        deleted = set(conn.execute(statement).scalars())
    else:
        deleted = existing_keys(conn, bound, list(keys), lock=True)
        conn.execute(sa.delete(bound.table).where(condition))
    results: list[OpResult] = []
    for item in items:
        if item.key in deleted:
            deleted.discard(item.key)
            results.append(OpResult(ok=True, native_id=item.native_id))
        else:
            results.append(not_found(item))
    return results
