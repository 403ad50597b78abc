"""An expression's value over one record.

Comparison rules, kept few so that a lock reads the same to everyone:

* ``== null`` and ``!= null`` test for a missing value; any other comparison with
  ``null`` on either side is false (``null in [..]`` looks for a null item).
* Values of different kinds are never equal and never ordered (``1 == '1'`` is false;
  ``true`` is not the number 1). Numbers compare by value (int, float, Decimal); a date
  or datetime compares with text written in ISO form; lists are equal item by item and
  never ordered.
* ``and``, ``or`` and ``not`` take a missing value, ``false``, zero and empty text as
  false.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lockstep.expr import ast

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def evaluate(expr: ast.Expr, record: Mapping[str, Any]) -> Any:
    """The value of ``expr``: a boolean for conditions, a record's value for a bare name."""
    match expr:
        case ast.Literal(value=value):
            return value
        case ast.Name(path=path):
            return lookup(record, path)
        case ast.List(items=items):
            return [evaluate(item, record) for item in items]
        case ast.Not(operand=operand):
            return not _truthy(evaluate(operand, record))
        case ast.And(left=left, right=right):
            return _truthy(evaluate(left, record)) and _truthy(evaluate(right, record))
        case ast.Or(left=left, right=right):
            return _truthy(evaluate(left, record)) or _truthy(evaluate(right, record))
        case ast.Compare(op=op, left=left, right=right):
            return compare(op, evaluate(left, record), evaluate(right, record))
    raise TypeError(f"not an expression: {expr!r}")  # pragma: no cover


def holds(expr: ast.Expr, record: Mapping[str, Any]) -> bool:
    """Whether ``expr`` is true for ``record``."""
    return _truthy(evaluate(expr, record))


def lookup(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """``record[a][b]...``; None where a step is missing or not a mapping."""
    value: Any = record
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def compare(op: ast.Operator, left: Any, right: Any) -> bool:
    """``left op right`` under the rules in this module's docstring."""
    if op == "==":
        return equal(left, right)
    if op == "!=":
        return not equal(left, right)
    if op in ("in", "not in"):
        if not isinstance(right, list | tuple | str):
            return False
        if isinstance(right, str):
            found = isinstance(left, str) and left in right
        else:
            found = any(equal(left, item) for item in right)
        return found if op == "in" else not found
    pair = _comparable(left, right)
    if pair is None:
        return False
    try:
        return _ORDER[op](*pair)
    except TypeError:
        return False


def equal(left: Any, right: Any) -> bool:
    """Equality under this module's rules (``null`` equals only ``null``)."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(equal, left, right))
    pair = _comparable(left, right)
    return pair is not None and pair[0] == pair[1]


def _comparable(left: Any, right: Any) -> tuple[Any, Any] | None:
    """The two values in forms Python compares meaningfully, or None if they are of
    different kinds."""
    if left is None or right is None:
        return None
    if isinstance(left, list | tuple | dict) or isinstance(right, list | tuple | dict):
        return None  # collections are compared item by item in ``equal``, never ordered
    if isinstance(left, bool) or isinstance(right, bool):
        return (left, right) if isinstance(left, bool) and isinstance(right, bool) else None
    if _number(left) and _number(right):
        if isinstance(left, Decimal) != isinstance(right, Decimal):
            return Decimal(str(left)), Decimal(str(right))
        return left, right
    if isinstance(left, date) and isinstance(right, str):
        parsed = _iso(type(left), right)
        return None if parsed is None else (left, parsed)
    if isinstance(left, str) and isinstance(right, date):
        parsed = _iso(type(right), left)
        return None if parsed is None else (parsed, right)
    if isinstance(left, datetime) != isinstance(right, datetime):
        return None
    if isinstance(left, str) != isinstance(right, str):
        return None
    return left, right


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _iso(kind: type[date], text: str) -> date | None:
    try:
        return kind.fromisoformat(text)
    except ValueError:
        return None


def _truthy(value: Any) -> bool:
    return bool(value)
