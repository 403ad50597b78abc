"""How objects are laid out in SQLite, and how values cross between JSON and SQL.

The contract every part of the emulator shares:

- one table per object, named exactly as the object's API name (always quoted);
- one column per stored field, named exactly as the field's API name;
- text, id and reference columns are ``COLLATE NOCASE`` (SOQL compares strings
  case-insensitively, and 18-character ids are case-insensitively unique);
- booleans are INTEGER 0/1; int is INTEGER; double, currency and percent are REAL;
- date is TEXT ``YYYY-MM-DD``; datetime is TEXT ``YYYY-MM-DDTHH:MM:SS.sss+0000`` (UTC),
  so that text order is time order;
- multipicklist is TEXT with values joined by ``;``;
- roll-up summary fields are not stored: ``rollup_sql`` computes them in the query.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from lockstep_emulator.schema.model import FieldDef, FieldType, ObjectDef

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.{ms:03d}+0000"


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@functools.lru_cache(maxsize=1024)
def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """``INSERT INTO "table" ("a", "b") VALUES (?, ?)``, built once per column set."""
    return (
        f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )


def stored_fields(obj: ObjectDef) -> list[FieldDef]:
    """Fields that have a column (everything but roll-ups)."""
    return [f for f in obj.fields.values() if f.rollup is None]


def column_type(f: FieldDef) -> str:
    if f.type is FieldType.BOOLEAN:
        return "INTEGER NOT NULL DEFAULT 0"
    if f.type is FieldType.INT:
        return "INTEGER"
    if f.type in (FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT):
        return "REAL"
    if f.type in (FieldType.DATE, FieldType.DATETIME):
        return "TEXT"
    if f.case_sensitive:
        return "TEXT"
    return "TEXT COLLATE NOCASE"


def create_table_sql(obj: ObjectDef) -> list[str]:
    """DDL for one object's table and its indexes."""
    cols = []
    for f in stored_fields(obj):
        decl = f"{q(f.name)} {column_type(f)}"
        if f.name == "Id":
            decl += " PRIMARY KEY"
        cols.append(decl)
    table = q(obj.name)
    stmts = [f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})"]
    stmts.append(
        f"CREATE INDEX IF NOT EXISTS {q('ix_' + obj.name + '_modstamp')} "
        f"ON {table} ({q('SystemModstamp')})"
    )
    for f in stored_fields(obj):
        if f.type is FieldType.REFERENCE or f.name_field:
            stmts.append(
                f"CREATE INDEX IF NOT EXISTS {q('ix_' + obj.name + '_' + f.name)} "
                f"ON {table} ({q(f.name)})"
            )
        if f.unique or f.external_id:
            # Uniqueness holds among live records; the recycle bin does not block reuse.
            kind = "UNIQUE INDEX" if f.unique else "INDEX"
            where = ' WHERE "IsDeleted" = 0' if f.unique else ""
            stmts.append(
                f"CREATE {kind} IF NOT EXISTS {q('ux_' + obj.name + '_' + f.name)} "
                f"ON {table} ({q(f.name)}){where}"
            )
    return stmts


def rollup_sql(obj: ObjectDef, f: FieldDef, parent_alias: str) -> str:
    """A correlated subquery computing roll-up ``f`` for the row aliased ``parent_alias``."""
    assert f.rollup is not None
    r = f.rollup
    child = q(r.child_object)
    cond = f'c.{q(r.via)} = {parent_alias}."Id" AND c."IsDeleted" = 0'
    if r.function.upper() == "COUNT":
        return f"(SELECT COUNT(*) FROM {child} c WHERE {cond})"
    expr = f"{r.function.upper()}(c.{q(r.child_field or 'Id')})"
    if r.function.upper() == "SUM":
        expr = f"COALESCE({expr}, 0)"
    return f"(SELECT {expr} FROM {child} c WHERE {cond})"


def format_datetime(value: datetime) -> str:
    """Salesforce's wire form: ``2013-05-20T20:49:32.000+0000`` in UTC."""
    value = value.astimezone(UTC)
    return value.strftime(DATETIME_FORMAT).format(ms=value.microsecond // 1000)


def parse_datetime(text: str) -> datetime:
    """Parse an ISO-8601 datetime as clients send it; naive values are UTC."""
    t = text.strip().replace(" ", "T")
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    if len(t) >= 5 and t[-5] in "+-" and t[-3] != ":" and "T" in t:
        t = t[:-2] + ":" + t[-2:]
    parsed = datetime.fromisoformat(t)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def to_json(f: FieldDef, value: Any) -> Any:
    """A stored value as it appears in a JSON response."""
    if value is None:
        return None
    if f.type is FieldType.BOOLEAN:
        return bool(value)
    if f.type in (FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT):
        return float(value)
    if f.type is FieldType.INT:
        return int(value)
    return value
