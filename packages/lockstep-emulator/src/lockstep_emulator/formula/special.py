"""Functions that are more than their arguments' values: IF and CASE evaluate only the
branch taken, AND/OR/NOT use three-valued logic, BLANKVALUE falls back, and ISNEW,
ISCHANGED, PRIORVALUE, TODAY and NOW read the save itself. Each is compiled here,
given the compiler (``Compiler``) to compile and check its arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from lockstep_emulator.formula import ast
from lockstep_emulator.formula.env import Env, FieldRef, Fn
from lockstep_emulator.formula.kinds import Kind, describe, fits, kind_of
from lockstep_emulator.formula.parse import FormulaError


class Compiler(Protocol):
    """What a special form needs of the compiler."""

    def node(self, n: ast.Node) -> tuple[Kind, Fn]: ...

    def logic(self, name: str, args: tuple[ast.Node, ...], column: int) -> tuple[Kind, Fn]: ...

    def arity(self, n: ast.Call, least: int, most: int | None) -> None: ...

    def expect(self, wanted: Kind, got: Kind, column: int, where: str) -> None: ...

    def field_arg(self, n: ast.Call) -> FieldRef: ...


def ischanged(c: Compiler, n: ast.Call) -> tuple[Kind, Fn]:
    ref = c.field_arg(n)
    return Kind.BOOLEAN, lambda env: not env.is_new and env.prior(ref) != env.value(ref)


def priorvalue(c: Compiler, n: ast.Call) -> tuple[Kind, Fn]:
    ref = c.field_arg(n)
    return kind_of(ref.field), lambda env: env.value(ref) if env.is_new else env.prior(ref)


def no_args(kind: Kind, read: Fn) -> Callable[[Compiler, ast.Call], tuple[Kind, Fn]]:
    def build(c: Compiler, n: ast.Call) -> tuple[Kind, Fn]:
        c.arity(n, 0, 0)
        return kind, read

    return build


def if_(c: Compiler, n: ast.Call) -> tuple[Kind, Fn]:
    c.arity(n, 3, 3)
    (ck, cond), (ak, then), (bk, other) = (c.node(a) for a in n.args)
    c.expect(Kind.BOOLEAN, ck, n.args[0].column, "IF")
    return same(c, n, ak, bk), lambda env: then(env) if cond(env) is True else other(env)


def case(c: Compiler, n: ast.Call) -> tuple[Kind, Fn]:
    if len(n.args) < 4 or len(n.args) % 2:
        raise FormulaError("CASE takes a value, pairs of match and result, and an else", n.column)
    kind, subject = c.node(n.args[0])
    pairs = []
    result = Kind.ANY
    for i in range(1, len(n.args) - 1, 2):
        mk, match = c.node(n.args[i])
        c.expect(kind, mk, n.args[i].column, "CASE")
        rk, value = c.node(n.args[i + 1])
        result = same(c, n, result, rk)
        pairs.append((match, value))
    ek, other = c.node(n.args[-1])
    result = same(c, n, result, ek)

    def run(env: Env) -> Any:
        found = subject(env)
        for match, value in pairs:
            if match(env) == found:
                return value(env)
        return other(env)

    return result, run


def blankvalue(c: Compiler, n: ast.Call) -> tuple[Kind, Fn]:
    c.arity(n, 2, 2)
    (ak, first), (bk, fallback) = (c.node(a) for a in n.args)
    kind = same(c, n, ak, bk)
    return kind, lambda env: fallback(env) if (v := first(env)) is None or v == "" else v


def same(c: Compiler, n: ast.Call, a: Kind, b: Kind) -> Kind:
    if not fits(a, b):
        raise FormulaError(f"{n.name} mixes a {describe(a)} and a {describe(b)}", n.column)
    return b if a is Kind.ANY else a


SPECIAL: dict[str, Callable[[Compiler, ast.Call], tuple[Kind, Fn]]] = {
    "AND": lambda c, n: c.logic("AND", n.args, n.column),
    "OR": lambda c, n: c.logic("OR", n.args, n.column),
    "NOT": lambda c, n: c.logic("NOT", n.args, n.column),
    "IF": if_,
    "CASE": case,
    "BLANKVALUE": blankvalue,
    "NULLVALUE": blankvalue,
    "ISCHANGED": ischanged,
    "PRIORVALUE": priorvalue,
    "ISNEW": no_args(Kind.BOOLEAN, lambda env: env.is_new),
    "TODAY": no_args(Kind.DATE, lambda env: env.today),
    "NOW": no_args(Kind.DATETIME, lambda env: env.now),
}
