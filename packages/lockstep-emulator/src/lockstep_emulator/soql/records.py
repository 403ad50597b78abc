"""The SELECT list of a record query: fields grouped by relationship, laid out as SQL columns.

Salesforce nests parent fields under their relationship (``"Account": {"Name": ...}``)
at the place the relationship was first named, and keeps SELECT order within each
record. ``SelectList`` collects fields into that tree; ``layout`` then gives every
object one block of consecutive columns, in the order ``shape`` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lockstep_emulator.schema.model import FieldDef, ObjectDef
from lockstep_emulator.soql import ast, shape
from lockstep_emulator.soql.scope import Column, Context, Scope

FIELDS_LIMIT = 200


@dataclass
class _Node:
    obj: ObjectDef
    id_sql: str
    entries: list[tuple[str, Column | _Node | None]] = field(default_factory=list)
    parents: dict[str, _Node] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    expanded: set[str] = field(default_factory=set)


class SelectList:
    """Fields of one record query, in output order, grouped under their relationships."""

    def __init__(self, ctx: Context, scope: Scope) -> None:
        self.ctx = ctx
        self.scope = scope
        self.root = _Node(scope.obj, f'{scope.alias}."Id"')

    def add(self, item: ast.SelectExpr) -> None:
        """A plain field, ``FIELDS(...)``, or ``toLabel``/``convertCurrency`` of a field."""
        expr = item.expr
        if item.alias is not None:
            raise self.ctx.error("MALFORMED_QUERY", f"unexpected token: '{item.alias}'", expr.pos)
        if isinstance(expr, ast.Call) and expr.upper == "FIELDS":
            for f in fields_function(self.ctx, self.scope.obj, expr):
                self.add_field(ast.Field((f.name,), pos=expr.pos), quiet=True)
            return
        if isinstance(expr, ast.Call):
            inner = expr.args[0] if len(expr.args) == 1 else None
            if expr.upper in ("TOLABEL", "CONVERTCURRENCY") and isinstance(inner, ast.Field):
                self.add_field(inner)
                return
            raise self.ctx.error(
                "MALFORMED_QUERY", f"Function {expr.name}() is not supported here", expr.pos
            )
        self.add_field(expr)

    def add_field(self, ref: ast.Field, *, quiet: bool = False) -> None:
        """One field; ``quiet`` (from ``FIELDS()``) makes a repeat harmless, as does
        repeating a field ``FIELDS()`` already added."""
        col = self.scope.column(ref)
        node = self.root
        for depth, rel in enumerate(col.relationships, start=1):
            child = node.parents.get(rel.lower())
            if child is None:
                alias = self.scope.parent_alias(col.relationships[:depth])
                child = _Node(col.parents[depth - 1], f'{alias}."Id"')
                node.parents[rel.lower()] = child
                node.entries.append((rel, child))
            node = child
        key = col.field.name
        if key.lower() in node.seen:
            if quiet or key.lower() in node.expanded:
                return
            message = f"duplicate field selected: {ref.dotted}"
            raise self.ctx.error("MALFORMED_QUERY", message, ref.pos)
        node.seen.add(key.lower())
        if quiet:
            node.expanded.add(key.lower())
        node.entries.append((key, col))

    def add_children(self, key: str, pos: ast.Pos) -> None:
        """A slot for a child subquery's records, filled in page by page."""
        if key.lower() in self.root.seen:
            raise self.ctx.error("MALFORMED_QUERY", f"duplicate field selected: {key}", pos)
        self.root.seen.add(key.lower())
        self.root.entries.append((key, None))

    def layout(self, columns: list[str]) -> shape.Shape:
        """Append this list's SQL columns to ``columns``; the shape that reads them back."""
        return _layout(self.root, columns)


def _layout(node: _Node, columns: list[str]) -> shape.Shape:
    start = len(columns)
    columns.append(node.id_sql)
    keys: list[str] = []
    converts: list[tuple[str, int, shape.Convert]] = []
    nested: list[tuple[str, _Node]] = []
    for key, what in node.entries:
        keys.append(key)
        if isinstance(what, Column):
            convert = shape.converter(what.field)
            if convert is not None:
                converts.append((key, len(columns), convert))
            columns.append(what.sql)
        elif isinstance(what, _Node):
            nested.append((key, what))
            columns.append(what.id_sql)
        else:
            columns.append("NULL")
    parents = tuple((key, _layout(child, columns)) for key, child in nested)
    return shape.Shape(node.obj.name, start, tuple(keys), tuple(converts), parents)


def fields_function(ctx: Context, obj: ObjectDef, call: ast.Call) -> list[FieldDef]:
    """The fields ``FIELDS(ALL|STANDARD|CUSTOM)`` stands for, in schema order."""
    arg = call.args[0] if len(call.args) == 1 else None
    kind = arg.dotted.upper() if isinstance(arg, ast.Field) else ""
    if kind not in ("ALL", "STANDARD", "CUSTOM"):
        raise ctx.error(
            "MALFORMED_QUERY", "FIELDS() takes one of ALL, STANDARD or CUSTOM", call.pos
        )
    return [
        f
        for f in obj.fields.values()
        if kind == "ALL" or (f.custom if kind == "CUSTOM" else not f.custom)
    ]


def needs_limit(select: tuple[ast.SelectItem, ...]) -> ast.Call | None:
    """The ``FIELDS(ALL)`` or ``FIELDS(CUSTOM)`` that obliges a LIMIT of at most 200."""
    for item in select:
        if isinstance(item, ast.SelectExpr) and isinstance(item.expr, ast.Call):
            call = item.expr
            args = [a.dotted.upper() for a in call.args if isinstance(a, ast.Field)]
            if call.upper == "FIELDS" and args and args[0] in ("ALL", "CUSTOM"):
                return call
    return None
