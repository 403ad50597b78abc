"""Column types as lockstep reads and writes them, and the *kind* each folds into.

Reflection gives each dialect's own types; ``canonical_type`` swaps the few that do
not round-trip to lockstep's Python values on their own, so every read and write
through the reflected ``Table`` gets them right without per-row code:

- MariaDB's ``BOOLEAN`` is ``TINYINT(1)``: read it as ``bool``.
- A timestamp stored without a zone (SQLite, MariaDB, PostgreSQL ``timestamp``) holds
  UTC: aware values are converted to UTC on the way in, and come back aware.
  PostgreSQL ``timestamptz`` needs nothing: sessions run in UTC, so psycopg returns
  ``timezone.utc`` values already.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from lockstep.connectors.sql.engine import Family
from lockstep.core.shapes import Kind


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timestamp column without a time zone, whose values mean UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def canonical_type(family: Family, reflected: TypeEngine[Any]) -> TypeEngine[Any] | None:
    """The type to read and write a reflected column with, or ``None`` to keep it."""
    if family == "mariadb" and isinstance(reflected, mysql.TINYINT):
        return sa.Boolean() if reflected.display_width == 1 else None
    if isinstance(reflected, sa.DateTime):
        if family == "postgresql" and reflected.timezone:
            return None
        return UtcDateTime()
    return None


def kind_of(column_type: TypeEngine[Any]) -> Kind:
    """The kind a column type folds into (``lockstep.core.shapes.KINDS``)."""
    for types, kind in _KINDS:
        if isinstance(column_type, types):
            if kind == "string" and getattr(column_type, "length", None) is None:
                return "text"  # an unbounded VARCHAR holds what TEXT holds
            return kind
    return "string"


_KINDS: tuple[tuple[type[Any] | tuple[type[Any], ...], Kind], ...] = (
    ((UtcDateTime, sa.DateTime), "datetime"),
    (sa.Boolean, "boolean"),
    (sa.Date, "date"),
    (sa.Integer, "integer"),
    (sa.Float, "float"),
    (sa.Numeric, "decimal"),
    ((sa.Text, sa.JSON), "text"),
    ((sa.Enum, sa.Uuid), "string"),
    (sa.String, "string"),
)


def key_parser(column_type: TypeEngine[Any]) -> Callable[[str], Any]:
    """How a native id (always a string to lockstep) becomes a key value; raises
    ``ValueError`` for a string that cannot be one."""
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return str
    if python_type is int:
        return int
    if python_type is uuid.UUID:
        return uuid.UUID
    return str
