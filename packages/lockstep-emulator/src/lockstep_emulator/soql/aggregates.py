"""GROUP BY queries and aggregate functions → ``AggregateResult`` rows.

Salesforce names an output column by its alias, else a grouped field by its own name
(``Account.Name`` comes back as ``Name``) and an aggregate ``expr0``, ``expr1``, ...
counting only unaliased aggregates. Every selected field must be grouped or
aggregated; HAVING and ORDER BY may use aggregates or grouped fields.
"""

from __future__ import annotations

from typing import Any

from lockstep_emulator.schema.model import FieldType
from lockstep_emulator.soql import ast, shape
from lockstep_emulator.soql.clauses import limit_sql, order_term
from lockstep_emulator.soql.conditions import Conditions
from lockstep_emulator.soql.plans import AggregatePlan
from lockstep_emulator.soql.scope import Column, Context, Operand, Scope

FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"})


def is_aggregate(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.Call) and expr.upper in FUNCTIONS and bool(expr.args)


class _Grouping:
    """Resolves names in an aggregate query: grouped fields and aggregate calls."""

    def __init__(self, ctx: Context, scope: Scope, group_by: tuple[ast.Expr, ...]) -> None:
        self.ctx = ctx
        self.scope = scope
        self.groups: dict[tuple[str, ...], Column] = {}
        for expr in group_by:
            if not isinstance(expr, ast.Field):
                raise ctx.error(
                    "MALFORMED_QUERY", f"GROUP BY {expr.name}() is not supported", expr.pos
                )
            col = scope.column(expr)
            self.groups.setdefault(col.key, col)

    def grouped(self, ref: ast.Field, what: str = "Field") -> Column:
        col = self.scope.column(ref)
        if col.key not in self.groups:
            raise self.ctx.error(
                "MALFORMED_QUERY", f"{what} must be grouped or aggregated: {ref.dotted}", ref.pos
            )
        return col

    def aggregate(self, call: ast.Call) -> tuple[Operand, shape.Convert | None]:
        """SQL for an aggregate call, its result type, and how to make it JSON."""
        name = call.upper
        arg = call.args[0] if len(call.args) == 1 else None
        if name not in FUNCTIONS or not isinstance(arg, ast.Field):
            raise self.ctx.error(
                "MALFORMED_QUERY", f"Function {call.name}() is not supported here", call.pos
            )
        col = self.scope.column(arg)
        f = col.field
        label = f"{call.name}({arg.dotted})"
        if name in ("COUNT", "COUNT_DISTINCT"):
            distinct = "DISTINCT " if name == "COUNT_DISTINCT" else ""
            return Operand(f"COUNT({distinct}{col.sql})", FieldType.INT, label, call.pos), None
        if name in ("SUM", "AVG") and not f.is_number:
            raise self.ctx.error(
                "MALFORMED_QUERY",
                f"field {arg.dotted} does not support aggregate operator {name}",
                arg.pos,
            )
        if name == "AVG":
            return Operand(f"AVG({col.sql})", FieldType.DOUBLE, label, call.pos), shape.to_float
        convert = (
            shape.to_float
            if f.is_number and f.type is not FieldType.INT
            else shape.converter(f, nullable=True)
        )
        return Operand(f"{name}({col.sql})", f.type, label, call.pos), convert

    def operand(self, expr: ast.Expr) -> Operand:
        """A HAVING operand."""
        if isinstance(expr, ast.Call):
            return self.aggregate(expr)[0]
        col = self.grouped(expr)
        return Operand(col.sql, col.field.type, expr.dotted, expr.pos)

    def order_sql(self, expr: ast.Expr) -> str:
        if isinstance(expr, ast.Call):
            return self.aggregate(expr)[0].sql
        return self.grouped(expr, "Ordered field").sql


def aggregate_plan(ctx: Context, scope: Scope, query: ast.Query) -> AggregatePlan:
    grouping = _Grouping(ctx, scope, query.group_by)
    keys: list[str] = []
    sqls: list[str] = []
    converts: list[shape.Convert | None] = []
    unnamed = 0
    for item in query.select:
        if not isinstance(item, ast.SelectExpr):
            raise ctx.error(
                "MALFORMED_QUERY",
                "Aggregate queries do not support subqueries or TYPEOF",
                query.sobject.pos,
            )
        if isinstance(item.expr, ast.Call):
            operand, convert = grouping.aggregate(item.expr)
            key = item.alias
            if key is None:
                key, unnamed = f"expr{unnamed}", unnamed + 1
            sqls.append(operand.sql)
            converts.append(convert)
        else:
            col = grouping.grouped(item.expr)
            key = item.alias or col.field.name
            sqls.append(col.sql)
            converts.append(shape.converter(col.field, nullable=True))
        keys.append(key)

    params: list[Any] = []
    filters = [f for f in [scope.deleted_filter()] if f]
    if query.where is not None:
        sql, ps = Conditions(ctx, scope, scope.operand).compile(query.where)
        filters.append(sql)
        params += ps
    having = ""
    if query.having is not None:
        sql, ps = Conditions(ctx, scope, grouping.operand).compile(query.having)
        having = f" HAVING {sql}"
        params += ps
    order = [order_term(grouping.order_sql(o.expr), o) for o in query.order_by]

    text = f"SELECT {', '.join(sqls)} FROM {scope.from_sql()}"
    text += f" WHERE {' AND '.join(filters)}" if filters else ""
    if grouping.groups:
        text += " GROUP BY " + ", ".join(c.sql for c in grouping.groups.values())
    text += having
    text += f" ORDER BY {', '.join(order)}" if order else ""
    limit, limit_params = limit_sql(ctx, query)
    return AggregatePlan(text + limit, (*params, *limit_params), tuple(keys), tuple(converts))
