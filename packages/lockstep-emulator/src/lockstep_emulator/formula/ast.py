"""A validation rule's formula as a tree of frozen values.

``parse`` builds it from text; ``compile`` checks it against an object's fields and
turns it into a function. Each node keeps the column it starts at (1-based), so a
mistake found after parsing is reported where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Literal:
    """A number, text, TRUE/FALSE or NULL written in the formula."""

    value: Any
    column: int


@dataclass(frozen=True)
class Path:
    """A field, or a parent's field through relationships: ``Account__r.Status__c``."""

    names: tuple[str, ...]
    column: int


@dataclass(frozen=True)
class Call:
    """``NAME(arg, …)``: a function, or AND/OR/NOT written as one."""

    name: str
    args: tuple[Node, ...]
    column: int


@dataclass(frozen=True)
class Unary:
    """``-x`` or ``NOT x`` / ``!x``."""

    op: str  # "-" | "not"
    operand: Node
    column: int


@dataclass(frozen=True)
class Binary:
    """Arithmetic (``+ - * / ^``), text joining (``&``), comparison, ``and``/``or``."""

    op: str
    left: Node
    right: Node
    column: int


@dataclass(frozen=True)
class In:
    """``x IN (a, b)`` or ``x NOT IN (a, b)``: the emulator's shorthand for OR of ``=``."""

    operand: Node
    items: tuple[Node, ...]
    negated: bool
    column: int


Node = Literal | Path | Call | Unary | Binary | In
