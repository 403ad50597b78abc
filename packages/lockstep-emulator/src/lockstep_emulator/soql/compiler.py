"""``ast.Query`` → a ``Plan``: SQL over the store's tables, never row-by-row Python.

The query's kind decides the plan: ``SELECT COUNT()`` counts, GROUP BY or an aggregate
function gives ``AggregateResult`` rows, anything else gives records. A record plan
also carries the ``COUNT(*)`` that becomes ``totalSize`` (joining only the parents
its WHERE needs) and one plan per child subquery.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lockstep_emulator.schema.model import ObjectDef, Schema
from lockstep_emulator.soql import ast, messages
from lockstep_emulator.soql.aggregates import aggregate_plan, is_aggregate
from lockstep_emulator.soql.clauses import UNLIMITED, check_offset, limit_sql, order_term
from lockstep_emulator.soql.conditions import Conditions
from lockstep_emulator.soql.plans import ChildPlan, CountPlan, Plan, RecordPlan
from lockstep_emulator.soql.records import FIELDS_LIMIT, SelectList, needs_limit
from lockstep_emulator.soql.scope import Context, Scope
from lockstep_emulator.store.layout import q


def compile_query(
    query: ast.Query,
    schema: Schema,
    *,
    now: datetime,
    include_deleted: bool = False,
    source: str = "",
) -> Plan:
    """The plan for ``query``; raises ``SalesforceError`` for anything Salesforce rejects."""
    ctx = Context(schema, now, include_deleted, source)
    scope = Scope(ctx, ctx.sobject(query.sobject), query.alias)
    exprs = [i.expr for i in query.select if isinstance(i, ast.SelectExpr)]
    counts = [e for e in exprs if isinstance(e, ast.Call) and e.upper == "COUNT" and not e.args]
    if counts:
        if len(query.select) > 1:
            raise ctx.error(
                "MALFORMED_QUERY",
                "COUNT() must be the only element in the SELECT list",
                counts[0].pos,
            )
        return _count_plan(ctx, scope, query)
    if query.group_by or query.having is not None or any(is_aggregate(e) for e in exprs):
        return aggregate_plan(ctx, scope, query)
    return _record_plan(ctx, scope, query)


def _filters(ctx: Context, scope: Scope, query: ast.Query) -> tuple[list[str], list[Any]]:
    """The WHERE terms (soft-delete filter included) and their parameters."""
    filters = [f for f in [scope.deleted_filter()] if f]
    params: list[Any] = []
    if query.where is not None:
        sql, params = Conditions(ctx, scope, scope.operand).compile(query.where)
        filters.append(sql)
    return filters, params


def _where(filters: list[str]) -> str:
    return f" WHERE {' AND '.join(filters)}" if filters else ""


def _count_plan(ctx: Context, scope: Scope, query: ast.Query) -> CountPlan:
    filters, params = _filters(ctx, scope, query)
    where = _where(filters)
    limit, limit_params = limit_sql(ctx, query)
    if query.group_by:
        groups = [scope.column(_grouped_field(ctx, e)).sql for e in query.group_by]
        inner = f"SELECT 1 FROM {scope.from_sql()}{where} GROUP BY {', '.join(groups)}{limit}"
        return CountPlan(f"SELECT COUNT(*) FROM ({inner})", (*params, *limit_params))
    if limit:
        inner = f"SELECT 1 FROM {scope.from_sql()}{where}{limit}"
        return CountPlan(f"SELECT COUNT(*) FROM ({inner})", (*params, *limit_params))
    return CountPlan(f"SELECT COUNT(*) FROM {scope.from_sql()}{where}", tuple(params))


def _grouped_field(ctx: Context, expr: ast.Expr) -> ast.Field:
    if isinstance(expr, ast.Call):
        raise ctx.error("MALFORMED_QUERY", f"GROUP BY {expr.name}() is not supported", expr.pos)
    return expr


def _record_plan(ctx: Context, scope: Scope, query: ast.Query) -> RecordPlan:
    fields_call = needs_limit(query.select)
    if fields_call is not None and (query.limit is None or query.limit > FIELDS_LIMIT):
        raise ctx.error(
            "MALFORMED_QUERY",
            f"The SOQL FIELDS function must have a LIMIT of at most {FIELDS_LIMIT}",
            fields_call.pos,
        )
    filters, params = _filters(ctx, scope, query)
    where = _where(filters)
    where_joins = scope.join_count
    select = SelectList(ctx, scope)
    children: list[ChildPlan] = []
    for item in query.select:
        if isinstance(item, ast.SelectExpr):
            select.add(item)
        elif isinstance(item, ast.SelectSubquery):
            child = _child_plan(ctx, scope, item.query)
            select.add_children(child.key, item.query.sobject.pos)
            children.append(child)
        else:
            raise _typeof(ctx, item)
    order = _order_by(_order_terms(ctx, scope, query.order_by))
    limit, limit_params = limit_sql(ctx, query)
    columns: list[str] = []
    shape = select.layout(columns)
    sql = f"SELECT {', '.join(columns)} FROM {scope.from_sql()}{where}{order}{limit}"
    if limit:
        inner = f"SELECT 1 FROM {scope.from_sql(where_joins)}{where}{limit}"
        count_sql = f"SELECT COUNT(*) FROM ({inner})"
    else:
        count_sql = f"SELECT COUNT(*) FROM {scope.from_sql(where_joins)}{where}"
    all_params = (*params, *limit_params)
    return RecordPlan(sql, all_params, count_sql, all_params, shape, tuple(children))


def _order_terms(ctx: Context, scope: Scope, items: tuple[ast.OrderItem, ...]) -> list[str]:
    terms = []
    for item in items:
        if is_aggregate(item.expr):
            raise ctx.error(
                "MALFORMED_QUERY",
                "Ordering by an aggregate needs a GROUP BY or aggregate query",
                item.expr.pos,
            )
        terms.append(order_term(scope.operand(item.expr).sql, item))
    return terms


def _order_by(terms: list[str]) -> str:
    return f" ORDER BY {', '.join(terms)}" if terms else ""


def _typeof(ctx: Context, item: ast.SelectItem) -> Exception:
    pos = item.pos if isinstance(item, ast.SelectTypeof) else ast.NOWHERE
    return ctx.error("MALFORMED_QUERY", "TYPEOF is not supported by the emulator", pos)


def _child_object(ctx: Context, parent: Scope, sub: ast.Query) -> tuple[ObjectDef, str, str]:
    """The child object, canonical relationship name and reference field ``sub`` names."""
    path = parent.strip_prefix(sub.sobject.path)
    rel = parent.obj.child_relationship(path[0]) if len(path) == 1 else None
    child = ctx.schema.get(rel.child_object) if rel is not None else None
    if rel is None or child is None:
        message = messages.bad_relationship(sub.sobject.path[-1], "FROM part of query call")
        raise ctx.error("INVALID_TYPE", message, sub.sobject.pos)
    return child, rel.relationship_name, rel.field


def _child_plan(ctx: Context, parent: Scope, sub: ast.Query) -> ChildPlan:
    """One SQL statement fetching this subquery's rows for a whole page of parents.

    With LIMIT or OFFSET, rows are numbered per parent (``ROW_NUMBER() OVER
    (PARTITION BY parent)``) so the limit applies to each parent, as in Salesforce.
    """
    obj, key, fk_field = _child_object(ctx, parent, sub)
    if sub.group_by or sub.having is not None:
        raise ctx.error(
            "MALFORMED_QUERY", "Child subqueries do not support GROUP BY", sub.sobject.pos
        )
    scope = Scope(ctx, obj, sub.alias)
    fk = f"{scope.alias}.{q(fk_field)}"
    filters, params = _filters(ctx, scope, sub)
    where = _where([f"{fk} IN (SELECT value FROM json_each(?))", *filters])
    select = SelectList(ctx, scope)
    for item in sub.select:
        if not isinstance(item, ast.SelectExpr) or is_aggregate(item.expr):
            raise ctx.error(
                "MALFORMED_QUERY",
                "A child subquery may select only fields",
                sub.sobject.pos,
            )
        select.add(item)
    columns: list[str] = []
    shape = select.layout(columns)
    parent_index = len(columns)
    columns.append(fk)
    terms = _order_terms(ctx, scope, sub.order_by)
    from_where = f"{scope.from_sql()}{where}"
    if sub.limit is None and sub.offset is None:
        sql = f"SELECT {', '.join(columns)} FROM {from_where}{_order_by(terms)}"
        return ChildPlan(key, sql, tuple(params), shape, parent_index)
    check_offset(ctx, sub)
    window_order = ", ".join(terms or [f"{scope.alias}.rowid"])
    window = f"ROW_NUMBER() OVER (PARTITION BY {fk} ORDER BY {window_order})"
    inner = f"SELECT {', '.join(columns)}, {window} AS _rn FROM {from_where}"
    first = sub.offset or 0
    last = first + min(sub.limit, UNLIMITED) if sub.limit is not None else -1
    sql = f"SELECT * FROM ({inner}) WHERE _rn > ? AND (? < 0 OR _rn <= ?) ORDER BY _rn"
    return ChildPlan(key, sql, (*params, first, last, last), shape, parent_index)
