"""Many rows in one statement, for the ledger's bulk methods.

Bound one row at a time, SQLAlchemy spends microseconds of Python on each row (its
per-row parameter processing, a type's bind processor per value); at a few hundred
thousand rows that outweighs the database's own work. So a bulk statement takes all
its rows at once, and the database unpacks them into a row source that the rest of
the statement reads like a table:

- SQLite: one JSON array of rows, read with ``json_each`` (SQLite's JSON functions are
  built in from 3.38, and in Python's own builds before that);
- PostgreSQL: one array literal per column, read with ``unnest``. The planner sees how
  many rows it holds, so it hashes many keys and probes an index for a few.

Both are made by a few passes of C over one string, never a Python step per value.
Values every row shares (entity, system, a timestamp) are bound once, already in the
form their column's type would have sent (``driver_value``).

A statement is written once for both databases, with ``{rows}`` for the row source,
``{join}`` for a join that reads the source first, and ``{name}`` for the parameter
``name``; ``execute`` spells it for the connection's dialect.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Column, Connection, CursorResult

#: Rows one bulk statement carries at most.
ROWS = 1_000_000


class _Dialect(Protocol):
    join: str

    def param(self, name: str) -> str: ...

    def rows(self, types: Sequence[str]) -> str: ...

    def pack(self, rows: Sequence[Any], width: int) -> dict[str, Any]: ...


class _SQLite:
    #: SQLite joins in the order written only after ``CROSS JOIN``; otherwise it may
    #: scan the table and search the source (which has no index) once per row.
    join = "CROSS JOIN"

    def param(self, name: str) -> str:
        return f":{name}"

    def rows(self, types: Sequence[str]) -> str:
        if len(types) == 1:
            return "SELECT value FROM json_each(:rows)"
        columns = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(types)))
        return f"SELECT {columns} FROM json_each(:rows)"

    def pack(self, rows: Sequence[Any], width: int) -> dict[str, Any]:
        return {"rows": json.dumps(rows, check_circular=False, separators=(",", ":"))}


class _PostgreSQL:
    join = "JOIN"

    def param(self, name: str) -> str:
        return f"%({name})b"  # binary: a str goes as text, not as a literal of unknown type

    def rows(self, types: Sequence[str]) -> str:
        arrays = ", ".join(f"%(rows{i})s::{type_}[]" for i, type_ in enumerate(types))
        return f"SELECT * FROM unnest({arrays})"

    def pack(self, rows: Sequence[Any], width: int) -> dict[str, Any]:
        if width == 1:
            return {"rows0": _array(rows)}
        return {f"rows{i}": _array([row[i] for row in rows]) for i in range(width)}


def _array(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of ``values`` as text (psycopg would adapt a list
    one element at a time, in Python)."""
    if not values:
        return "{}"
    if None in values:
        raise ValueError("a bulk row holds None")
    joined = "\0".join(map(str, values))
    if joined.count("\0") != len(values) - 1:
        raise ValueError("PostgreSQL text cannot hold NUL characters")
    escaped = joined.replace("\\", "\\\\").replace('"', '\\"')
    return '{"' + escaped.replace("\0", '","') + '"}'


_DIALECTS: dict[str, _Dialect] = {"sqlite": _SQLite(), "postgresql": _PostgreSQL()}


class _Spelling(dict[str, str]):
    """``str.format_map`` names for a template: parameters are spelled on demand."""

    def __init__(self, dialect: _Dialect, types: Sequence[str]) -> None:
        super().__init__(join=dialect.join, rows=dialect.rows(types))
        self._dialect = dialect

    def __missing__(self, name: str) -> str:
        return self._dialect.param(name)


@cache
def _spelled(dialect: str, template: str, types: tuple[str, ...]) -> str:
    return template.format_map(_Spelling(_DIALECTS[dialect], types))


def execute(
    conn: Connection,
    template: str,
    rows: Sequence[Any],
    types: tuple[str, ...],
    params: Mapping[str, Any],
) -> CursorResult[Any]:
    """Run ``template`` (see the module docstring) with ``rows`` as its row source:
    tuples of values of the SQL ``types`` (bare values for one column), at most
    ``ROWS`` of them. ``params`` binds the other names."""
    dialect = _DIALECTS[conn.dialect.name]
    sql = _spelled(conn.dialect.name, template, types)
    return conn.exec_driver_sql(sql, {**params, **dialect.pack(rows, len(types))})


def fetch(
    conn: Connection,
    template: str,
    rows: Sequence[Any],
    types: tuple[str, ...],
    params: Mapping[str, Any],
) -> list[tuple[Any, ...]]:
    """``execute``, and every result row as the driver's own tuple: a ``Row`` object
    per row would cost a third of a large lookup."""
    result = execute(conn, template, rows, types, params)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def driver_value(conn: Connection, column: Column[Any], value: Any) -> Any:
    """``value`` as a statement compiled for ``column`` would hand it to the driver
    (for a ``UtcDateTime`` on SQLite, naive-UTC text), computed once for many rows."""
    type_ = column.type.dialect_impl(conn.dialect)
    process = type_.bind_processor(conn.dialect)
    return value if process is None else process(value)
