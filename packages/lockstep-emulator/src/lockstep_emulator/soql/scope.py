"""Name resolution: which table and column a SOQL name means, and the joins it needs.

A ``Scope`` is one ``FROM``: its object, the alias the query gave it, and a LEFT JOIN
for every parent relationship a path walks through (``Account.Owner.Name`` joins
Account, then User). Joins are shared, so a relationship used in SELECT, WHERE and
ORDER BY is joined once. Aliases come from the compile-wide ``Context`` so that
semi-join subqueries nested in the same SQL statement never collide.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.schema.model import FieldDef, FieldType, ObjectDef, Schema
from lockstep_emulator.soql import ast, messages
from lockstep_emulator.store.layout import q, rollup_sql

MAX_PARENT_DEPTH = 5


@dataclass
class Context:
    """What every part of one compilation shares: the schema, the clock, the query text."""

    schema: Schema
    now: datetime
    include_deleted: bool = False
    source: str = ""
    _aliases: Iterator[int] = field(default_factory=itertools.count)

    def alias(self) -> str:
        return f"t{next(self._aliases)}"

    def error(self, code: str, message: str, pos: ast.Pos = ast.NOWHERE) -> SalesforceError:
        where = pos if self.source else ast.NOWHERE
        return messages.query_error(code, message, source=self.source, pos=where)

    def sobject(self, name: ast.Field) -> ObjectDef:
        """The object a top-level FROM names."""
        obj = self.schema.get(name.dotted) if len(name.path) == 1 else None
        if obj is None or not obj.queryable:
            raise self.error("INVALID_TYPE", messages.unsupported_object(name.dotted), name.pos)
        return obj


@dataclass(frozen=True)
class Column:
    """A resolved field: its SQL, its definition, and the relationships walked to reach
    it (``parents[i]`` is the object relationship ``i`` leads to)."""

    sql: str
    field: FieldDef
    owner: ObjectDef
    relationships: tuple[str, ...] = ()
    parents: tuple[ObjectDef, ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        """Identity for "is this the same field": case-insensitive path."""
        return tuple(r.lower() for r in (*self.relationships, self.field.name))


@dataclass(frozen=True)
class Operand:
    """Anything a condition can compare: a column, an aggregate, a wrapped field."""

    sql: str
    type: FieldType
    name: str
    pos: ast.Pos = ast.NOWHERE


@dataclass(frozen=True)
class _Join:
    alias: str
    obj: ObjectDef
    sql: str


class Scope:
    """One FROM: resolves dotted paths to columns and records the joins they need."""

    def __init__(self, ctx: Context, obj: ObjectDef, query_alias: str | None = None) -> None:
        self.ctx = ctx
        self.obj = obj
        self.query_alias = query_alias
        self.alias = ctx.alias()
        self._joins: dict[tuple[str, ...], _Join] = {}

    @property
    def join_count(self) -> int:
        return len(self._joins)

    def from_sql(self, joins: int | None = None) -> str:
        """``"Account" t0 LEFT JOIN ...``, with the first ``joins`` joins (default all)."""
        parts = [f"{q(self.obj.name)} {self.alias}"]
        parts.extend(j.sql for j in list(self._joins.values())[:joins])
        return " ".join(parts)

    def deleted_filter(self) -> str | None:
        if self.ctx.include_deleted:
            return None
        return f'{self.alias}."IsDeleted" = 0'

    def strip_prefix(self, path: tuple[str, ...]) -> tuple[str, ...]:
        """Drop a leading query alias or object name: ``a.Name``, ``Account.Name``."""
        if len(path) < 2:
            return path
        head = path[0].lower()
        if self.query_alias and head == self.query_alias.lower():
            return path[1:]
        if self.obj.relationship(path[0]) is None and head == self.obj.name.lower():
            return path[1:]
        return path

    def column(self, ref: ast.Field) -> Column:
        """The column ``ref`` names, joining parents as needed."""
        path = self.strip_prefix(ref.path)
        if len(path) - 1 > MAX_PARENT_DEPTH:
            raise self.ctx.error(
                "MALFORMED_QUERY",
                f"SOQL statements cannot query more than {MAX_PARENT_DEPTH} levels of "
                f"parent relationships: {ref.dotted}",
                ref.pos,
            )
        obj, alias, rels, parents = self.obj, self.alias, [], []
        for name in path[:-1]:
            rel = obj.relationship(name)
            target = self._target(rel)
            if rel is None or target is None:
                raise self.ctx.error("INVALID_FIELD", messages.bad_relationship(name), ref.pos)
            rels.append(rel.relationship_name or name)
            alias = self._join(tuple(r.lower() for r in rels), alias, rel, target)
            obj = target
            parents.append(target)
        f = obj.field(path[-1])
        if f is None:
            message = messages.no_such_column(path[-1], obj.name)
            raise self.ctx.error("INVALID_FIELD", message, ref.pos)
        sql = rollup_sql(obj, f, alias) if f.rollup is not None else f"{alias}.{q(f.name)}"
        return Column(sql, f, obj, tuple(rels), tuple(parents))

    def operand(self, expr: ast.Expr) -> Operand:
        """A WHERE or ORDER BY operand: a field, or ``toLabel``/``convertCurrency`` of one
        (labels and amounts are stored as shown, so both are the field itself)."""
        if isinstance(expr, ast.Call):
            if expr.upper in ("TOLABEL", "CONVERTCURRENCY") and _single_field(expr):
                return self.operand(expr.args[0])  # type: ignore[arg-type]
            raise self.ctx.error(
                "MALFORMED_QUERY",
                f"Function {expr.name}() is not supported here",
                expr.pos,
            )
        col = self.column(expr)
        return Operand(col.sql, col.field.type, expr.dotted, expr.pos)

    def _target(self, rel: FieldDef | None) -> ObjectDef | None:
        if rel is None:
            return None
        for name in rel.reference_to:
            target = self.ctx.schema.get(name)
            if target is not None:
                return target
        return None

    def _join(
        self, key: tuple[str, ...], parent_alias: str, rel: FieldDef, target: ObjectDef
    ) -> str:
        join = self._joins.get(key)
        if join is None:
            alias = self.ctx.alias()
            sql = (
                f'LEFT JOIN {q(target.name)} {alias} ON {alias}."Id" = {parent_alias}.{q(rel.name)}'
            )
            join = self._joins[key] = _Join(alias, target, sql)
        return join.alias

    def parent_alias(self, relationships: tuple[str, ...]) -> str:
        """The SQL alias of the object reached through ``relationships`` (already joined)."""
        if not relationships:
            return self.alias
        return self._joins[tuple(r.lower() for r in relationships)].alias


def _single_field(call: ast.Call) -> bool:
    return len(call.args) == 1 and isinstance(call.args[0], ast.Field)
