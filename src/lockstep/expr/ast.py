"""An expression as a tree of frozen values, and the names it reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal as Choice

Scalar = str | int | float | bool | None
Operator = Choice["==", "!=", "<", "<=", ">", ">=", "in", "not in"]


@dataclass(frozen=True)
class Literal:
    """Text, a number, ``true``/``false`` or ``null`` written in the expression."""

    value: Scalar


@dataclass(frozen=True)
class Name:
    """A value of the record, or of a record it refers to: ``contract.status``.

    ``column`` (1-based) is where the name starts, for messages; it takes no part in
    equality."""

    path: tuple[str, ...]
    column: int = field(default=0, compare=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class List:
    """``[item, ...]``, the right side of ``in``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare:
    """``left op right``; comparisons do not chain."""

    op: Operator
    left: Expr
    right: Expr


Expr = Literal | Name | List | Not | And | Or | Compare


def names(expr: Expr) -> tuple[tuple[str, ...], ...]:
    """Each distinct name the expression reads, as a dotted path (``("contract",
    "status")``), in the order they first appear."""
    found: dict[tuple[str, ...], None] = {}
    _collect(expr, found)
    return tuple(found)


def _collect(expr: Expr, found: dict[tuple[str, ...], None]) -> None:
    match expr:
        case Name(path=path):
            found.setdefault(path)
        case List(items=items):
            for item in items:
                _collect(item, found)
        case Not(operand=operand):
            _collect(operand, found)
        case And(left=left, right=right) | Or(left=left, right=right):
            _collect(left, found)
            _collect(right, found)
        case Compare(left=left, right=right):
            _collect(left, found)
            _collect(right, found)
        case Literal():
            pass
