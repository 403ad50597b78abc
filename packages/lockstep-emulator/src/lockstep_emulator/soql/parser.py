"""SOQL text → ``ast.Query``, with Salesforce-style errors that say where.

The grammar (``grammar.lark``) only decides shape; this module gives tokens their
meaning (string escapes, TRUE/FALSE, relative dates, LIMIT must be a whole number) and
reports a bad token with its row and column. Parsed queries are cached: a query is
immutable, and clients repeat the same text.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from lockstep_emulator.errors import MalformedQuery
from lockstep_emulator.soql import ast, dates, literals
from lockstep_emulator.soql.messages import query_error

_WITH_IGNORED = frozenset({"SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"})
_FOR_IGNORED = frozenset({"VIEW", "REFERENCE", "UPDATE"})
_UPDATE_IGNORED = frozenset({"TRACKING", "VIEWSTAT"})
MAX_LENGTH = 100_000


class _Problem(Exception):
    """A bad token found while building the tree; ``parse`` adds the query text."""

    def __init__(self, message: str, pos: ast.Pos) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


def _at(tok: Token) -> ast.Pos:
    return (tok.line or 0, tok.column or 0)


def _unexpected(tok: Token) -> _Problem:
    return _Problem(f"unexpected token: '{tok}'", _at(tok))


def _whole_number(tok: Token) -> int:
    if not tok.isdigit():
        raise _unexpected(tok)
    return int(tok)


@v_args(inline=True)
class _Build(Transformer[Token, ast.Query]):
    """Bottom-up construction of the AST from lark's tree."""

    def start(self, query: ast.Query) -> ast.Query:
        return query

    def query(self, select: tuple[ast.SelectItem, ...], source: Any, *clauses: Any) -> ast.Query:
        sobject, alias = source
        parts: dict[str, Any] = {}
        ignored: list[str] = []
        for kind, value in clauses:
            if kind == "ignored":
                ignored.append(value)
            else:
                parts[kind] = value
        return ast.Query(select, sobject, alias, ignored=tuple(ignored), **parts)

    def select_list(self, *items: ast.SelectItem) -> tuple[ast.SelectItem, ...]:
        return items

    def select_expr(self, expr: ast.Expr, alias: Token | None = None) -> ast.SelectExpr:
        return ast.SelectExpr(expr, str(alias) if alias is not None else None)

    def subquery(self, query: ast.Query) -> ast.SelectSubquery:
        return ast.SelectSubquery(query)

    def typeof(self, field: ast.Field, *_branches: Any) -> ast.SelectTypeof:
        return ast.SelectTypeof(field, pos=field.pos)

    def typeof_when(self, *_: Any) -> None:
        return None

    def typeof_else(self, *_: Any) -> None:
        return None

    def path(self, *names: Token) -> ast.Field:
        return ast.Field(tuple(str(n) for n in names), pos=_at(names[0]))

    def call(self, name: Token, *args: Any) -> ast.Call:
        return ast.Call(str(name), tuple(a for a in args if a is not None), pos=_at(name))

    def from_clause(self, sobject: ast.Field, alias: Token | None = None) -> Any:
        return sobject, (str(alias) if alias is not None else None)

    def scope(self, name: Token) -> Any:
        return "scope", str(name)

    def where(self, cond: ast.Condition) -> Any:
        return "where", cond

    def with_clause(self, name: Token) -> Any:
        if name.upper() not in _WITH_IGNORED:
            raise _unexpected(name)
        return "ignored", f"WITH {name.upper()}"

    def group_by(self, *exprs: ast.Expr) -> Any:
        return "group_by", exprs

    def having(self, cond: ast.Condition) -> Any:
        return "having", cond

    def order_by(self, *items: ast.OrderItem) -> Any:
        return "order_by", items

    def order_item(self, expr: ast.Expr, *rest: Any) -> ast.OrderItem:
        descending, nulls = False, None
        for part in rest:
            if isinstance(part, Token) and part.type == "DIRECTION":
                descending = part.upper() == "DESC"
            else:
                nulls = part
        return ast.OrderItem(expr, descending, nulls)

    def nulls(self, position: Token) -> str:
        return position.upper()

    def limit(self, tok: Token) -> Any:
        return "limit", _whole_number(tok)

    def offset(self, tok: Token) -> Any:
        return "offset", _whole_number(tok)

    def for_tail(self, name: Token) -> Any:
        if name.upper() not in _FOR_IGNORED:
            raise _unexpected(name)
        return "ignored", f"FOR {name.upper()}"

    def update_tail(self, name: Token) -> Any:
        if name.upper() not in _UPDATE_IGNORED:
            raise _unexpected(name)
        return "ignored", f"UPDATE {name.upper()}"

    def and_(self, *items: ast.Condition) -> ast.And:
        return ast.And(items)

    def or_(self, *items: ast.Condition) -> ast.Or:
        return ast.Or(items)

    def not_(self, item: ast.Condition) -> ast.Not:
        return ast.Not(item)

    def compare(self, left: ast.Expr, op: Token, right: ast.Literal) -> ast.Compare:
        return ast.Compare(left, "!=" if op == "<>" else str(op), right)

    def in_list(self, left: ast.Expr, values: tuple[ast.Literal, ...]) -> ast.InList:
        return ast.InList(left, values)

    def not_in_list(self, left: ast.Expr, values: tuple[ast.Literal, ...]) -> ast.InList:
        return ast.InList(left, values, negated=True)

    def in_query(self, left: ast.Expr, query: ast.Query) -> ast.InQuery:
        return ast.InQuery(left, query)

    def not_in_query(self, left: ast.Expr, query: ast.Query) -> ast.InQuery:
        return ast.InQuery(left, query, negated=True)

    def like(self, left: ast.Expr, pattern: ast.Literal) -> ast.Like:
        return ast.Like(left, pattern)

    def includes(self, left: ast.Expr, values: tuple[ast.Literal, ...]) -> ast.Includes:
        return ast.Includes(left, values)

    def excludes(self, left: ast.Expr, values: tuple[ast.Literal, ...]) -> ast.Includes:
        return ast.Includes(left, values, negated=True)

    def literals(self, *values: ast.Literal) -> tuple[ast.Literal, ...]:
        return values

    def literal(self, tok: Token, n: Token | None = None) -> ast.Literal:
        pos = _at(tok)
        try:
            match tok.type:
                case "STRING":
                    raw = tok[1:-1]
                    return ast.String(literals.decode_string(raw), raw, pos)
                case "NUMBER":
                    return ast.Number(str(tok), pos)
                case "DATETIME":
                    return ast.DateTimeValue(literals.parse_datetime_literal(tok), str(tok), pos)
                case "DATE":
                    return ast.DateValue(literals.parse_date(tok), pos)
                case "NULL":
                    return ast.Null(pos)
        except ValueError as exc:
            raise _Problem(str(exc), pos) from exc
        return _name_literal(tok, n)


def _name_literal(tok: Token, n: Token | None) -> ast.Literal:
    """TRUE, FALSE or a relative date; any other bare name is a syntax error."""
    name = tok.upper()
    if name in ("TRUE", "FALSE") and n is None:
        return ast.Boolean(name == "TRUE", _at(tok))
    if name in dates.WITHOUT_N and n is None:
        return ast.RelativeDate(name, None, _at(tok))
    if name in dates.WITH_N:
        if n is None:
            raise _Problem(f"Missing ':n' after date literal {name}", _at(tok))
        return ast.RelativeDate(name, _whole_number(n), _at(tok))
    raise _unexpected(n if n is not None and name in dates.WITHOUT_N else tok)


@cache
def _lark() -> Lark:
    return Lark.open_from_package(
        "lockstep_emulator.soql",
        "grammar.lark",
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=True,
    )


def _syntax_error(soql: str, exc: UnexpectedInput) -> MalformedQuery:
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        lines = soql.splitlines() or [""]
        pos = (len(lines), len(lines[-1]) + 1)
        message = "unexpected token: '<EOF>'"
    elif isinstance(exc, UnexpectedToken):
        pos = _at(exc.token)
        message = f"unexpected token: '{exc.token}'"
    elif isinstance(exc, UnexpectedCharacters):
        pos = (exc.line, exc.column)
        message = f"no viable alternative at character '{exc.char}'"
    else:
        pos = (exc.line, exc.column) if exc.line > 0 else (1, 1)
        message = "unexpected token"
    error = query_error("MALFORMED_QUERY", message, source=soql, pos=pos)
    assert isinstance(error, MalformedQuery)
    return error


@lru_cache(maxsize=512)
def parse(soql: str) -> ast.Query:
    """The syntax tree of ``soql``; raises ``MalformedQuery`` naming row and column."""
    if len(soql) > MAX_LENGTH:
        raise MalformedQuery(f"Query exceeds the maximum length of {MAX_LENGTH} characters")
    try:
        tree = _lark().parse(soql)
        return _Build().transform(tree)
    except UnexpectedInput as exc:
        raise _syntax_error(soql, exc) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, _Problem):
            problem = exc.orig_exc
            error = query_error("MALFORMED_QUERY", problem.message, source=soql, pos=problem.pos)
            raise error from None
        raise
    except RecursionError:
        raise MalformedQuery("Query is nested too deeply") from None
