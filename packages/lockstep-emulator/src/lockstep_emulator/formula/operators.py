"""What operators mean at run time, and which kinds they combine.

Blank (None) numbers, dates and date/times make arithmetic and ordering unknown
(None); numbers are computed as floats, so ``9 ^ 9 ^ 9`` overflows to unknown
instead of building a huge integer; dates move by days.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from lockstep_emulator.formula import ast
from lockstep_emulator.formula.env import Env, Fn
from lockstep_emulator.formula.kinds import Kind


def literal(value: Any) -> tuple[Kind, Fn]:
    if value is None:
        kind = Kind.ANY
    elif isinstance(value, bool):
        kind = Kind.BOOLEAN
    elif isinstance(value, int | float):
        kind = Kind.NUMBER
    else:
        kind = Kind.TEXT
    return kind, lambda env: value


def not_(value: Any) -> bool | None:
    return None if value is None else not value


def is_blank(value: Any) -> bool:
    return value is None or value == ""


def is_null(node: ast.Node) -> bool:
    return isinstance(node, ast.Literal) and node.value is None


def compared(test: Callable[[Any, Any], bool], left: Any, right: Any) -> bool | None:
    if left is None or right is None:
        return None
    return test(left, right)


def arithmetic(op: str, left: Fn, right: Fn) -> Fn:
    def run(env: Env) -> Any:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        if isinstance(a, date) and not isinstance(b, date):
            return a + timedelta(days=b) if op == "+" else a - timedelta(days=b)
        if isinstance(b, date) and not isinstance(a, date):
            return b + timedelta(days=a)
        if isinstance(a, datetime) and isinstance(b, datetime):
            return (a - b).total_seconds() / 86400
        if isinstance(a, date) and isinstance(b, date):
            return (a - b).days
        try:
            return NUMERIC[op](float(a), float(b))
        except (ZeroDivisionError, OverflowError):
            return None

    return run


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

NUMERIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "^": operator.pow,
}

N, T, D, DT = Kind.NUMBER, Kind.TEXT, Kind.DATE, Kind.DATETIME
ARITHMETIC: dict[tuple[str, Kind, Kind], Kind] = {
    **{(op, N, N): N for op in "+-*/^"},
    ("+", T, T): T,
    ("+", D, N): D,
    ("+", N, D): D,
    ("-", D, N): D,
    ("-", D, D): N,
    ("+", DT, N): DT,
    ("+", N, DT): DT,
    ("-", DT, N): DT,
    ("-", DT, DT): N,
}
