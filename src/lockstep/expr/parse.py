"""Expression text → ``ast.Expr``, or ``ExprError`` saying where it broke.

The grammar (``grammar.lark``) only decides shape; the tree holds literals, names and
operators, nothing that could run. Length and nesting are bounded so that a hostile
expression cannot exhaust the stack.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from lockstep.expr import ast
from lockstep.expr.lexing import nesting, unquote

MAX_LENGTH = 2000
MAX_NESTING = 32


class ExprError(Exception):
    """An expression that cannot be parsed; ``column`` is 1-based, 0 when not about
    one place."""

    def __init__(self, message: str, column: int = 0) -> None:
        self.message = message
        self.column = column
        super().__init__(f"{message} (at character {column})" if column else message)


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual")


@v_args(inline=True)
class _Build(Transformer[Token, ast.Expr]):
    def string(self, tok: Token) -> ast.Expr:
        return ast.Literal(unquote(str(tok)[1:-1]))

    def number(self, tok: Token) -> ast.Expr:
        text = str(tok)
        return ast.Literal(float(text) if "." in text else int(text))

    def true(self, _: Token) -> ast.Expr:
        return ast.Literal(True)

    def false(self, _: Token) -> ast.Expr:
        return ast.Literal(False)

    def null(self, _: Token) -> ast.Expr:
        return ast.Literal(None)

    def name(self, *parts: Token) -> ast.Expr:
        return ast.Name(tuple(str(p) for p in parts), int(parts[0].column or 0))

    def list(self, *items: ast.Expr | None) -> ast.Expr:
        return ast.List(tuple(i for i in items if i is not None))

    def not_op(self, operand: ast.Expr) -> ast.Expr:
        return ast.Not(operand)

    def and_op(self, left: ast.Expr, right: ast.Expr) -> ast.Expr:
        return ast.And(left, right)

    def or_op(self, left: ast.Expr, right: ast.Expr) -> ast.Expr:
        return ast.Or(left, right)

    def compare(self, left: ast.Expr, op: Token, right: ast.Expr) -> ast.Expr:
        return ast.Compare(_OPERATORS[str(op)], left, right)

    def in_op(self, left: ast.Expr, right: ast.Expr) -> ast.Expr:
        return ast.Compare("in", left, right)

    def not_in_op(self, left: ast.Expr, right: ast.Expr) -> ast.Expr:
        return ast.Compare("not in", left, right)


_OPERATORS: dict[str, ast.Operator] = {
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
_WORD = re.compile(r"[A-Za-z_]\w*")


@lru_cache(maxsize=256)
def parse(text: str) -> ast.Expr:
    """The tree of one expression; ``ExprError`` with the column of the first bad token."""
    if not text.strip():
        raise ExprError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is longer than {MAX_LENGTH} characters")
    if nesting(text, "([", ")]") > MAX_NESTING:
        raise ExprError(f"the expression nests brackets more than {MAX_NESTING} deep")
    try:
        tree: ast.Expr = _Build().transform(_parser().parse(text))
    except UnexpectedEOF:
        raise ExprError("the expression ends too early", len(text) + 1) from None
    except UnexpectedCharacters as exc:
        raise ExprError(_unexpected_character(text, exc), exc.column) from None
    except UnexpectedInput as exc:
        token: Any = getattr(exc, "token", None)
        if token is None or token.type == "$END":
            raise ExprError("the expression ends too early", len(text) + 1) from None
        raise ExprError(f"unexpected {str(token)!r}", exc.column) from None
    return tree


def _unexpected_character(text: str, exc: UnexpectedCharacters) -> str:
    where = exc.pos_in_stream or 0
    char = text[where]
    hint = {
        "=": " (compare with ==)",
        "&": " (write 'and')",
        "|": " (write 'or')",
        "!": " (write 'not', or != to compare)",
    }
    if char in "'\"":
        return "unclosed text: a quote is missing"
    word = _WORD.match(text, where)
    if word:
        return f"unexpected {word.group()!r}"
    return f"unexpected character {char!r}{hint.get(char, '')}"
