"""``ast.Query`` → SOQL text, in one canonical spelling (upper-case keywords, single spaces).

Parsing what this renders gives back an equal tree, which is how the parser's tests
check that nothing a query says is dropped. Also handy in logs and error reports.
"""

from __future__ import annotations

from lockstep_emulator.soql import ast
from lockstep_emulator.soql.literals import encode_string


def render(query: ast.Query) -> str:
    parts = ["SELECT", ", ".join(_select_item(i) for i in query.select), "FROM"]
    parts.append(query.sobject.dotted + (f" {query.alias}" if query.alias else ""))
    if query.scope:
        parts.append(f"USING SCOPE {query.scope}")
    if query.where is not None:
        parts.append("WHERE " + condition(query.where))
    parts.extend(i for i in query.ignored if i.startswith("WITH "))
    if query.group_by:
        parts.append("GROUP BY " + ", ".join(expr(e) for e in query.group_by))
    if query.having is not None:
        parts.append("HAVING " + condition(query.having))
    if query.order_by:
        parts.append("ORDER BY " + ", ".join(_order_item(o) for o in query.order_by))
    if query.limit is not None:
        parts.append(f"LIMIT {query.limit}")
    if query.offset is not None:
        parts.append(f"OFFSET {query.offset}")
    parts.extend(i for i in query.ignored if not i.startswith("WITH "))
    return " ".join(parts)


def _select_item(item: ast.SelectItem) -> str:
    if isinstance(item, ast.SelectSubquery):
        return f"({render(item.query)})"
    if isinstance(item, ast.SelectTypeof):
        return f"TYPEOF {item.relationship.dotted} END"
    return expr(item.expr) + (f" {item.alias}" if item.alias else "")


def _order_item(item: ast.OrderItem) -> str:
    text = expr(item.expr) + (" DESC" if item.descending else "")
    return text + (f" NULLS {item.nulls}" if item.nulls else "")


def expr(e: ast.Field | ast.Call | ast.Literal) -> str:
    if isinstance(e, ast.Field):
        return e.dotted
    if isinstance(e, ast.Call):
        return f"{e.name}({', '.join(expr(a) for a in e.args)})"
    return literal(e)


def literal(value: ast.Literal) -> str:
    match value:
        case ast.String(raw=raw) if raw:
            return f"'{raw}'"
        case ast.String(value=text):
            return encode_string(text)
        case ast.Number(text=text):
            return text
        case ast.Boolean(value=flag):
            return "TRUE" if flag else "FALSE"
        case ast.Null():
            return "NULL"
        case ast.DateValue(value=day):
            return day.isoformat()
        case ast.DateTimeValue(text=text, value=instant):
            return text or instant.isoformat().replace("+00:00", "Z")
        case ast.RelativeDate(name=name, n=n):
            return name if n is None else f"{name}:{n}"
    raise TypeError(value)


def condition(cond: ast.Condition) -> str:
    match cond:
        case ast.And(items=items):
            return " AND ".join(_operand(i) for i in items)
        case ast.Or(items=items):
            return " OR ".join(_operand(i) for i in items)
        case ast.Not(item=item):
            return "NOT " + _operand(item)
        case ast.Compare(left=left, op=op, right=right):
            return f"{expr(left)} {op} {literal(right)}"
        case ast.InList(left=left, values=values, negated=negated):
            keyword = "NOT IN" if negated else "IN"
            return f"{expr(left)} {keyword} ({', '.join(literal(v) for v in values)})"
        case ast.InQuery(left=left, query=query, negated=negated):
            return f"{expr(left)} {'NOT IN' if negated else 'IN'} ({render(query)})"
        case ast.Like(left=left, pattern=pattern):
            return f"{expr(left)} LIKE {literal(pattern)}"
        case ast.Includes(left=left, values=values, negated=negated):
            keyword = "EXCLUDES" if negated else "INCLUDES"
            return f"{expr(left)} {keyword} ({', '.join(literal(v) for v in values)})"
    raise TypeError(cond)


def _operand(cond: ast.Condition) -> str:
    """A condition inside AND/OR/NOT: compound ones keep their parentheses."""
    text = condition(cond)
    return f"({text})" if isinstance(cond, ast.And | ast.Or | ast.Not) else text
