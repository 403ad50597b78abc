"""The SOQL syntax tree: frozen values the parser builds and the compiler reads.

Nodes record where they started (``pos``, 1-based line and column) so that errors
found after parsing (an unknown field, a literal of the wrong type) can point at the
query text as Salesforce does. Positions never take part in equality: two queries
that say the same thing compare equal however they were spaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

Pos = tuple[int, int]
NOWHERE: Pos = (0, 0)


# Literals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class String:
    """A quoted string, escapes decoded. ``raw`` keeps the text between the quotes,
    which LIKE needs to tell ``\\%`` (a literal percent) from ``%``."""

    value: str
    raw: str = field(default="", compare=False, repr=False)
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Number:
    """A number; ``text`` is kept so ``101.00`` renders as written."""

    text: str
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)

    @property
    def value(self) -> int | float:
        return float(self.text) if "." in self.text else int(self.text)


@dataclass(frozen=True)
class Boolean:
    value: bool
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Null:
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class DateValue:
    value: date
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class DateTimeValue:
    """An instant (timezone-aware); ``text`` is the literal as written."""

    value: datetime
    text: str = field(default="", compare=False)
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class RelativeDate:
    """``TODAY``, ``LAST_N_DAYS:7``: a range of days resolved when the query runs."""

    name: str
    n: int | None = None
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)


Literal = String | Number | Boolean | Null | DateValue | DateTimeValue | RelativeDate


# Expressions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A dotted path as written: ``("Account", "Owner", "Name")``."""

    path: tuple[str, ...]
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Call:
    """A function: aggregates, ``COUNT()``, ``FIELDS(ALL)``, ``toLabel(x)``; ``name`` as written."""

    name: str
    args: tuple[Field | Call | Literal, ...] = ()
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)

    @property
    def upper(self) -> str:
        return self.name.upper()


Expr = Field | Call


# Conditions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    left: Expr
    op: str
    right: Literal


@dataclass(frozen=True)
class InList:
    left: Expr
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True)
class InQuery:
    """A semi-join (``Id IN (SELECT ...)``) or, negated, an anti-join."""

    left: Expr
    query: Query
    negated: bool = False


@dataclass(frozen=True)
class Like:
    left: Expr
    pattern: Literal


@dataclass(frozen=True)
class Includes:
    """``INCLUDES`` (or, negated, ``EXCLUDES``) on a multi-select picklist."""

    left: Expr
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True)
class And:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Compare | InList | InQuery | Like | Includes | And | Or | Not


# Query ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectExpr:
    expr: Expr
    alias: str | None = None


@dataclass(frozen=True)
class SelectSubquery:
    query: Query


@dataclass(frozen=True)
class SelectTypeof:
    """Parsed so the error can be specific; the emulator does not run TYPEOF."""

    relationship: Field
    pos: Pos = field(default=NOWHERE, compare=False, repr=False)


SelectItem = SelectExpr | SelectSubquery | SelectTypeof


@dataclass(frozen=True)
class OrderItem:
    expr: Expr
    descending: bool = False
    nulls: str | None = None  # "FIRST" | "LAST" | None (the direction's default)


@dataclass(frozen=True)
class Query:
    """One SELECT. ``sobject`` is a path because a child subquery names a relationship
    (``FROM Contacts`` or ``FROM Account.Contacts``). ``ignored`` keeps the clauses the
    emulator accepts without acting on them (``FOR VIEW``, ``WITH SECURITY_ENFORCED``)."""

    select: tuple[SelectItem, ...]
    sobject: Field
    alias: str | None = None
    where: Condition | None = None
    group_by: tuple[Expr, ...] = ()
    having: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    scope: str | None = None
    ignored: tuple[str, ...] = ()
