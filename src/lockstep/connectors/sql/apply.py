"""Write a list of operations in one transaction, so one bad row fails alone.

Operations are grouped by what they do and which columns they set (one statement
can carry only like rows), groups run in order of first appearance, and each group
is cut into batches of ``batch_size``. A batch is tried whole inside a SAVEPOINT;
when the database refuses it, the SAVEPOINT is rolled back and the batch is written
again one row at a time, each in its own SAVEPOINT, which pins the error on its row.
Errors that are not about a row (a lost connection, a deadlock) abort the whole
call, and nothing is committed. The transaction commits once, at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from lockstep.connectors.sql.classify import REJECTED, REQUIRED, call_failure, classify
from lockstep.connectors.sql.describe import BoundTable
from lockstep.connectors.sql.engine import WRITE_OPTION, Family
from lockstep.connectors.sql.upsert import upsert_rows
from lockstep.connectors.sql.writes import (
    Item,
    RedoByRow,
    delete_rows,
    insert_rows,
    not_found,
    update_rows,
)
from lockstep.core.ops import Delete, Op, OpResult, RecordError

Writer = Callable[[Connection, Sequence[Item]], list[OpResult]]


def apply_ops(
    engine: Engine, family: Family, bound: BoundTable, ops: Sequence[Op], batch_size: int
) -> list[OpResult]:
    """Perform ``ops`` on ``bound``'s table; one result per op, in input order."""
    results: dict[int, OpResult] = {}
    groups: dict[tuple[Any, ...], list[Item]] = {}
    for index, op in enumerate(ops):
        prepared = _prepare(bound, index, op)
        if isinstance(prepared, OpResult):
            results[index] = prepared
        else:
            groups.setdefault(_group(bound, prepared), []).append(prepared)
    if groups:
        with engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                for group, items in groups.items():
                    writer = _writer(bound, family, group)
                    for batch in _batches(items, batch_size):
                        outcomes = _attempt(conn, bound.system, writer, batch)
                        results.update(zip((item.index for item in batch), outcomes, strict=True))
    return [results[index] for index in range(len(ops))]


def _prepare(bound: BoundTable, index: int, op: Op) -> Item | OpResult:
    """The op as an ``Item``, or its result already when it cannot succeed."""
    if isinstance(op, Delete):
        return _with_key(bound, Item(index, op))
    values = dict(zip(bound.column_names(tuple(op.values)), op.values.values(), strict=True))
    if op.action == "update":
        values.pop(bound.key.name, None)  # the key is not updateable
        return _with_key(bound, Item(index, op, values))
    if op.action == "upsert":
        assert op.match_on is not None
        match = bound.unique(op.match_on).name
        if values.get(match) is None:
            return OpResult.failed(REQUIRED, f"an upsert on {match} needs a value for it")
    return Item(index, op, values)


def _with_key(bound: BoundTable, item: Item) -> Item | OpResult:
    assert item.native_id is not None
    try:
        key = bound.parse_key(item.native_id)
    except ValueError:
        return not_found(item)
    return Item(item.index, item.op, item.values, key)


def _group(bound: BoundTable, item: Item) -> tuple[Any, ...]:
    match = getattr(item.op, "match_on", None)
    if match is not None:
        match = bound.column(match).name
    return (item.op.action, match, tuple(sorted(item.values)))


def _writer(bound: BoundTable, family: Family, group: tuple[Any, ...]) -> Writer:
    action, match = group[0], group[1]
    if action == "upsert":
        column = bound.table.c[match]
        return lambda conn, items: upsert_rows(conn, bound, family, column, items)
    write = _WRITERS[action]
    return lambda conn, items: write(conn, bound, items)


_WRITERS = {"insert": insert_rows, "update": update_rows, "delete": delete_rows}


def _batches(items: list[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _attempt(
    conn: Connection, system: str, writer: Writer, batch: Sequence[Item]
) -> list[OpResult]:
    """The batch in one SAVEPOINT; when refused, row by row."""
    try:
        with conn.begin_nested():
            return writer(conn, batch)
    except RedoByRow:
        pass
    except sa.exc.StatementError as exc:
        refused = _refusal(system, exc)
        if len(batch) == 1:
            return [_failed(batch[0], refused)]
    results: list[OpResult] = []
    for item in batch:
        try:
            with conn.begin_nested():
                results.extend(writer(conn, [item]))
        except sa.exc.StatementError as exc:
            results.append(_failed(item, _refusal(system, exc)))
        except RedoByRow:
            unreported = RecordError(REJECTED, "the database did not report the row")
            results.append(_failed(item, unreported))
    return results


def _refusal(system: str, exc: sa.exc.StatementError) -> RecordError:
    """The record error ``exc`` means; raises when it is about the whole call."""
    found = classify(exc)
    if found.scope != "record":
        raise call_failure(system, exc, "writing") from exc
    return RecordError(found.code, found.message)


def _failed(item: Item, error: RecordError) -> OpResult:
    return OpResult(ok=False, native_id=item.native_id, error=error)
