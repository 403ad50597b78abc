"""Formula text → ``ast.Node``, or ``FormulaError`` saying where it broke.

The grammar only decides shape (``grammar.lark``); nothing in a formula is ever
handed to ``eval``: a formula can name fields and the functions of ``functions.py``,
and nothing else. Length and nesting are bounded so that a hostile formula cannot
exhaust the stack.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path as FilePath
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from lockstep_emulator.formula import ast
from lockstep_emulator.lexing import nesting, unquote

MAX_LENGTH = 5000  # Salesforce allows 5,000 characters in a formula
MAX_NESTING = 64


class FormulaError(Exception):
    """A formula that cannot be used; ``column`` is 1-based, 0 when not about one place."""

    def __init__(self, message: str, column: int = 0) -> None:
        self.message = message
        self.column = column
        super().__init__(f"{message} (column {column})" if column else message)


@cache
def _parser() -> Lark:
    grammar = (FilePath(__file__).parent / "grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=False)


def _col(token: Any) -> int:
    return int(getattr(token, "column", 0) or 0)


@v_args(inline=True)
class _Build(Transformer[Token, ast.Node]):
    def number(self, tok: Token) -> ast.Node:
        text = str(tok)
        value: int | float = float(text) if "." in text else int(text)
        return ast.Literal(value, _col(tok))

    def string(self, tok: Token) -> ast.Node:
        return ast.Literal(unquote(str(tok)[1:-1]), _col(tok))

    def true(self, tok: Token) -> ast.Node:
        return ast.Literal(True, _col(tok))

    def false(self, tok: Token) -> ast.Node:
        return ast.Literal(False, _col(tok))

    def null(self, tok: Token) -> ast.Node:
        return ast.Literal(None, _col(tok))

    def path(self, *names: Token) -> ast.Node:
        return ast.Path(tuple(str(n) for n in names), _col(names[0]))

    def call(self, name: Token, items: tuple[ast.Node, ...] | None) -> ast.Node:
        return ast.Call(str(name).upper(), items or (), _col(name))

    def items(self, *nodes: ast.Node) -> tuple[ast.Node, ...]:
        return nodes

    def negate(self, operand: ast.Node) -> ast.Node:
        return ast.Unary("-", operand, operand.column)

    def not_op(self, operand: ast.Node) -> ast.Node:
        return ast.Unary("not", operand, operand.column)

    def and_op(self, left: ast.Node, right: ast.Node) -> ast.Node:
        return ast.Binary("and", left, right, left.column)

    def or_op(self, left: ast.Node, right: ast.Node) -> ast.Node:
        return ast.Binary("or", left, right, left.column)

    def compare(self, left: ast.Node, op: Token, right: ast.Node) -> ast.Node:
        canonical = {"==": "=", "<>": "!="}.get(str(op), str(op))
        return ast.Binary(canonical, left, right, left.column)

    def arith(self, left: ast.Node, op: Token, right: ast.Node) -> ast.Node:
        return ast.Binary(str(op), left, right, left.column)

    def concat_op(self, left: ast.Node, right: ast.Node) -> ast.Node:
        return ast.Binary("&", left, right, left.column)

    def in_op(self, operand: ast.Node, items: tuple[ast.Node, ...]) -> ast.Node:
        return ast.In(operand, items, False, operand.column)

    def not_in_op(self, operand: ast.Node, items: tuple[ast.Node, ...]) -> ast.Node:
        return ast.In(operand, items, True, operand.column)


@lru_cache(maxsize=512)
def parse(text: str) -> ast.Node:
    """The tree of one formula; ``FormulaError`` with the column of the first bad token."""
    if not text.strip():
        raise FormulaError("the formula is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    if nesting(text) > MAX_NESTING:
        raise FormulaError(f"the formula nests parentheses more than {MAX_NESTING} deep")
    try:
        node: ast.Node = _Build().transform(_parser().parse(text))
    except UnexpectedEOF:
        raise FormulaError("the formula ends too early", len(text) + 1) from None
    except UnexpectedCharacters as exc:
        where = exc.pos_in_stream or 0
        raise FormulaError(f"unexpected character {text[where]!r}", exc.column) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is None or token.type == "$END":
            raise FormulaError("the formula ends too early", len(text) + 1) from None
        raise FormulaError(f"unexpected {str(token)!r}", exc.column) from None
    except VisitError as exc:  # pragma: no cover - the builder raises nothing itself
        raise FormulaError(str(exc.orig_exc)) from None
    return node
