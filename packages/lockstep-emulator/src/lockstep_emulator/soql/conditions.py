"""WHERE and HAVING → SQL with bound parameters.

Salesforce semantics the SQL has to spell out:

- ``!=`` and ``NOT IN`` match rows whose field is null (null is a value in SOQL), and
  ``NOT`` is the complement of its condition; SQL's three-valued logic would drop them.
- Relative dates are ranges: ``=`` inside, ``>`` after the end, ``<`` before the start.
- Literals must fit the field's type (a quoted value for a number field is an error),
  and ids are checked and widened to their 18-character form.
- Long AND/OR chains are nested as balanced trees, because SQLite caps expression
  depth at 1000 and machine-built queries (``Id = 'a' OR Id = 'b' OR ...``) get long.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date
from typing import Any

from lockstep_emulator import ids
from lockstep_emulator.schema.model import NUMBER_TYPES, TEXT_TYPES, FieldType
from lockstep_emulator.soql import ast, dates
from lockstep_emulator.soql.clauses import limit_sql
from lockstep_emulator.soql.literals import like_pattern
from lockstep_emulator.soql.scope import Context, Operand, Scope
from lockstep_emulator.store.layout import format_datetime

Sql = tuple[str, list[Any]]
OperandOf = Callable[[ast.Expr], Operand]

_TYPE_WORDS = {
    FieldType.INT: "integer",
    FieldType.DOUBLE: "double",
    FieldType.CURRENCY: "currency",
    FieldType.PERCENT: "percent",
    FieldType.BOOLEAN: "boolean",
    FieldType.DATE: "date",
    FieldType.DATETIME: "dateTime",
}
_ID_TYPES = frozenset({FieldType.ID, FieldType.REFERENCE})
_INT64 = 2**63
MAX_DEPTH = 100


def balanced(op: str, parts: list[str]) -> str:
    """``a op b op c ...`` with parentheses nesting it as a balanced tree."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) <= 8:
        return "(" + f" {op} ".join(parts) + ")"
    mid = len(parts) // 2
    return f"({balanced(op, parts[:mid])} {op} {balanced(op, parts[mid:])})"


class Conditions:
    """Compiles conditions for one scope; ``operand_of`` decides what a name may mean
    (fields in WHERE; grouped fields and aggregates in HAVING)."""

    def __init__(self, ctx: Context, scope: Scope, operand_of: OperandOf) -> None:
        self.ctx = ctx
        self.scope = scope
        self.operand_of = operand_of
        now = ctx.now
        self.today = (now.astimezone(UTC) if now.tzinfo is not None else now).date()

    def compile(self, cond: ast.Condition, depth: int = 0) -> Sql:
        if depth > MAX_DEPTH:
            raise self.ctx.error(
                "MALFORMED_QUERY", f"Conditions are nested more than {MAX_DEPTH} levels deep"
            )
        match cond:
            case ast.And(items=items) | ast.Or(items=items):
                compiled = [self.compile(i, depth + 1) for i in items]
                op = "AND" if isinstance(cond, ast.And) else "OR"
                return balanced(op, [s for s, _ in compiled]), [p for _, ps in compiled for p in ps]
            case ast.Not(item=item):
                sql, params = self.compile(item, depth + 1)
                return f"NOT coalesce({sql}, 0)", params
            case ast.Compare():
                return self._compare(cond)
            case ast.InList():
                return self._in_list(cond)
            case ast.InQuery():
                return self._semi_join(cond)
            case ast.Like():
                return self._like(cond)
            case ast.Includes():
                return self._includes(cond)
        raise TypeError(cond)

    # Comparisons --------------------------------------------------------------------

    def _compare(self, cond: ast.Compare) -> Sql:
        o = self.operand_of(cond.left)
        value, op = cond.right, cond.op
        if isinstance(value, ast.Null):
            if op not in ("=", "!="):
                raise self.ctx.error(
                    "MALFORMED_QUERY", f"Operator '{op}' cannot be used with null", value.pos
                )
            return f"{o.sql} IS {'NOT ' if op == '!=' else ''}NULL", []
        if isinstance(value, ast.RelativeDate):
            return self._range(o, op, self._day_range(o, value))
        if o.type is FieldType.MULTIPICKLIST:
            return self._picklist_set(o, op, value)
        bound = self.value(o, value)
        if op == "!=":
            return f"{o.sql} IS NOT ?", [bound]
        return f"{o.sql} {op} ?", [bound]

    def _in_list(self, cond: ast.InList) -> Sql:
        o = self.operand_of(cond.left)
        has_null = any(isinstance(v, ast.Null) for v in cond.values)
        ranges = [v for v in cond.values if isinstance(v, ast.RelativeDate)]
        scalars = [v for v in cond.values if not isinstance(v, ast.Null | ast.RelativeDate)]
        plain = [self.value(o, v) for v in scalars]
        parts: list[str] = []
        params: list[Any] = []
        if plain:
            parts.append(f"{o.sql} IN ({', '.join('?' * len(plain))})")
            params.extend(plain)
        for r in ranges:
            sql, ps = self._range(o, "=", self._day_range(o, r))
            parts.append(sql)
            params.extend(ps)
        if has_null:
            parts.append(f"{o.sql} IS NULL")
        matched = balanced("OR", parts)
        if cond.negated:
            return f"NOT coalesce({matched}, 0)", params
        return matched, params

    def _like(self, cond: ast.Like) -> Sql:
        o = self.operand_of(cond.left)
        if not isinstance(cond.pattern, ast.String):
            raise self._type_error(o, cond.pattern)
        if o.type not in TEXT_TYPES:
            raise self.ctx.error(
                "INVALID_FIELD", f"invalid operator on field '{o.name}': LIKE", o.pos
            )
        pattern = like_pattern(cond.pattern.raw or cond.pattern.value)
        return f"{o.sql} LIKE ? ESCAPE '\\'", [pattern]

    def _includes(self, cond: ast.Includes) -> Sql:
        o = self.operand_of(cond.left)
        if o.type is not FieldType.MULTIPICKLIST:
            raise self.ctx.error(
                "INVALID_FIELD",
                "includes or excludes operator only valid on multipicklist field",
                o.pos,
            )
        alternatives = [self._has_all(o, self._picklist_values(o, v)) for v in cond.values]
        sql = balanced("OR", [s for s, _ in alternatives])
        params = [p for _, ps in alternatives for p in ps]
        if cond.negated:
            return f"NOT coalesce({sql}, 0)", params
        return sql, params

    def _picklist_set(self, o: Operand, op: str, value: ast.Literal) -> Sql:
        """``=`` on a multi-select picklist: the same set of values, in any order."""
        if op not in ("=", "!="):
            raise self.ctx.error(
                "INVALID_FIELD", f"invalid operator on multipicklist field '{o.name}': {op}", o.pos
            )
        values = sorted(set(self._picklist_values(o, value)))
        has, params = self._has_all(o, values)
        count = f"(length({o.sql}) - length(replace({o.sql}, ';', '')) + 1) = ?"
        sql = f"({has} AND {count})"
        params = [*params, len(values)]
        return (f"NOT coalesce({sql}, 0)", params) if op == "!=" else (sql, params)

    def _picklist_values(self, o: Operand, value: ast.Literal) -> list[str]:
        if not isinstance(value, ast.String):
            raise self._type_error(o, value)
        return [v.strip() for v in value.value.split(";") if v.strip()]

    def _has_all(self, o: Operand, values: list[str]) -> Sql:
        terms = [f"instr(';' || lower({o.sql}) || ';', ?) > 0" for _ in values] or ["0"]
        return balanced("AND", terms), [f";{v.lower()};" for v in values]

    # Dates --------------------------------------------------------------------------

    def _day_range(self, o: Operand, value: ast.RelativeDate) -> dates.DayRange:
        if o.type not in (FieldType.DATE, FieldType.DATETIME):
            raise self._type_error(o, value)
        try:
            return dates.day_range(value.name, value.n, self.today)
        except (KeyError, ValueError) as exc:
            raise self.ctx.error("MALFORMED_QUERY", str(exc), value.pos) from exc

    def _range(self, o: Operand, op: str, days: dates.DayRange) -> Sql:
        start, end = self._day_bound(o, days.start), self._day_bound(o, days.end)
        match op:
            case "=":
                return f"({o.sql} >= ? AND {o.sql} < ?)", [start, end]
            case "!=":
                return f"NOT coalesce({o.sql} >= ? AND {o.sql} < ?, 0)", [start, end]
            case ">":
                return f"{o.sql} >= ?", [end]
            case ">=":
                return f"{o.sql} >= ?", [start]
            case "<":
                return f"{o.sql} < ?", [start]
        return f"{o.sql} < ?", [end]

    @staticmethod
    def _day_bound(o: Operand, day: date) -> str:
        if o.type is FieldType.DATETIME:
            return f"{day.isoformat()}T00:00:00.000+0000"
        return day.isoformat()

    # Literals -----------------------------------------------------------------------

    def value(self, o: Operand, lit: ast.Literal) -> Any:
        """The stored form of ``lit`` compared with ``o``; a type mismatch is an error."""
        t = o.type
        match lit:
            case ast.String(value=text) if t in _ID_TYPES:
                return self._id(text, lit.pos)
            case ast.String(value=text) if t in TEXT_TYPES:
                return text
            case ast.Number(value=number) if t in NUMBER_TYPES:
                return float(number) if abs(number) >= _INT64 else number
            case ast.Boolean(value=flag) if t is FieldType.BOOLEAN:
                return int(flag)
            case ast.DateValue(value=day) if t is FieldType.DATE:
                return day.isoformat()
            case ast.DateTimeValue(value=instant) if t is FieldType.DATETIME:
                return format_datetime(instant)
        raise self._type_error(o, lit)

    def _id(self, text: str, pos: ast.Pos) -> str:
        if text == "":
            return text
        try:
            return ids.to18(text)
        except ValueError:
            raise self.ctx.error(
                "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {text}", pos
            ) from None

    def _type_error(self, o: Operand, lit: ast.Literal) -> Exception:
        if o.type in TEXT_TYPES:
            what = "must be of type string and should be enclosed in quotes"
        else:
            word = _TYPE_WORDS.get(o.type, o.type.value)
            what = f"must be of type {word} and should not be enclosed in quotes"
        return self.ctx.error(
            "INVALID_FIELD", f"value of filter criterion for field '{o.name}' {what}", lit.pos
        )

    # Semi-joins ---------------------------------------------------------------------

    def _semi_join(self, cond: ast.InQuery) -> Sql:
        left = self.operand_of(cond.left)
        inner = cond.query
        if left.type not in _ID_TYPES:
            raise self.ctx.error(
                "INVALID_FIELD",
                f"The left operand of a semi join or anti join must be an id or reference "
                f"field: {left.name}",
                left.pos,
            )
        item = inner.select[0]
        if (
            len(inner.select) != 1
            or not isinstance(item, ast.SelectExpr)
            or not isinstance(item.expr, ast.Field)
            or inner.group_by
            or inner.having is not None
        ):
            raise self.ctx.error(
                "MALFORMED_QUERY",
                "A semi join or anti join subquery must select exactly one id or reference "
                "field, without GROUP BY or HAVING",
                inner.sobject.pos,
            )
        scope = Scope(self.ctx, self.ctx.sobject(inner.sobject), inner.alias)
        col = scope.column(item.expr)
        if col.field.type not in _ID_TYPES:
            raise self.ctx.error(
                "INVALID_FIELD",
                f"The selected field of a semi join or anti join must be an id or reference "
                f"field: {item.expr.dotted}",
                item.expr.pos,
            )
        where: list[str] = []
        params: list[Any] = []
        if inner.where is not None:
            sql, params = Conditions(self.ctx, scope, scope.operand).compile(inner.where)
            where.append(sql)
        deleted = scope.deleted_filter()
        where += [deleted] if deleted else []
        where += [f"{col.sql} IS NOT NULL"] if cond.negated else []
        text = f"SELECT {col.sql} FROM {scope.from_sql()}"
        if where:
            text += " WHERE " + " AND ".join(where)
        limit, limit_params = limit_sql(self.ctx, inner)
        text += limit
        params = [*params, *limit_params]
        if cond.negated:
            return f"({left.sql} IS NULL OR {left.sql} NOT IN ({text}))", params
        return f"{left.sql} IN ({text})", params
