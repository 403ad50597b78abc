"""Lock expressions: a small, safe language for conditions over a record.

``parse`` turns text such as ``contract.status == 'Fulfilled'`` into a tree of frozen
values, ``names`` lists what the tree reads, and ``evaluate`` computes it over a record
(a mapping; dotted names look into nested mappings). Nothing is handed to ``eval``: an
expression can read values and compare them, and nothing else.
"""

from lockstep.expr.ast import And, Compare, Expr, List, Literal, Name, Not, Or, names
from lockstep.expr.evaluate import evaluate, holds
from lockstep.expr.parse import ExprError, parse

__all__ = [
    "And",
    "Compare",
    "Expr",
    "ExprError",
    "List",
    "Literal",
    "Name",
    "Not",
    "Or",
    "evaluate",
    "holds",
    "names",
    "parse",
]
