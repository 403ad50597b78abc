"""A table as lockstep needs it: reflected once, with its single-column key, its
unique columns (what upserts can match on), and its ``ObjectShape``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Inspector

from lockstep.connectors.sql.engine import Family
from lockstep.connectors.sql.types import canonical_type, key_parser, kind_of
from lockstep.core.shapes import FieldShape, ObjectShape
from lockstep.errors import SchemaError


@dataclass(frozen=True)
class BoundTable:
    """A reflected table of the system named ``system``."""

    system: str
    table: sa.Table
    shape: ObjectShape
    key: sa.Column[Any]
    parse_key: Callable[[str], Any]  # native id -> key value; ValueError when it cannot be
    _columns: dict[str, sa.Column[Any]] = field(default_factory=dict, compare=False, repr=False)
    _spellings: dict[tuple[str, ...], tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def name(self) -> str:
        return self.table.name

    def column(self, name: str) -> sa.Column[Any]:
        """The column ``name`` (case-insensitively, as SQL mostly compares names);
        remembered, as writes ask once per field per row."""
        column = self._columns.get(name)
        if column is None:
            found = self.shape.field(name)
            if found is None:
                raise SchemaError(self.system, f"table {self.name!r} has no column {name!r}")
            column = self._columns[name] = self.table.c[found.name]
        return column

    def column_names(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The columns' names as the table spells them, for ``names`` as given (a
        write's values): remembered by the tuple, as every op of a batch asks."""
        found = self._spellings.get(names)
        if found is None:
            found = self._spellings[names] = tuple(self.column(n).name for n in names)
        return found

    def selection(self, fields: Sequence[str]) -> list[sa.Column[Any]]:
        """The columns ``fields`` name, key first when they leave it out."""
        columns = [self.column(name) for name in dict.fromkeys(fields)]
        if not any(column is self.key for column in columns):
            columns.insert(0, self.key)
        return columns

    def unique(self, name: str) -> sa.Column[Any]:
        """The column ``name``, which must be unique (the key or an external id)."""
        column = self.column(name)
        if not self.shape.fields[column.name].external_id:
            raise SchemaError(
                self.system,
                f"{self.name}.{column.name} is not unique: upserts cannot match on it "
                "(add a UNIQUE constraint, or match on another column)",
            )
        return column


def reflect(
    conn: Connection, system: str, family: Family, name: str, schema: str | None
) -> BoundTable:
    """Reflect table ``name``; ``SchemaError`` when it is missing, or its primary key
    is not one column."""
    inspector = sa.inspect(conn)
    actual = _table_name(inspector, system, name, schema)
    metadata = sa.MetaData(schema=schema)
    event.listen(metadata, "column_reflect", partial(_canonical_column, family))
    table = sa.Table(actual, metadata, autoload_with=conn)
    key = _single_key(system, table)
    key.nullable = False  # SQLite reflects INTEGER PRIMARY KEY as nullable; a key never is
    unique = _unique_columns(table) | _sqlite_inline_unique(inspector, actual, schema)
    generated = table.autoincrement_column is key
    fields = {
        column.name: _field(column, key, generated, column.name in unique)
        for column in table.columns
    }
    return BoundTable(system, table, ObjectShape(actual, fields), key, key_parser(key.type))


def _table_name(inspector: Inspector, system: str, name: str, schema: str | None) -> str:
    """The table's own spelling of ``name``."""
    names = inspector.get_table_names(schema=schema)
    if name in names:
        return name
    lowered = name.lower()
    for candidate in names:
        if candidate.lower() == lowered:
            return candidate
    if inspector.has_table(name, schema=schema):  # a view, say
        return name
    where = f" in schema {schema!r}" if schema else ""
    raise SchemaError(system, f"no table {name!r}{where}")


def _canonical_column(
    family: Family, inspector: Inspector, _table: sa.Table, info: dict[str, Any]
) -> None:
    reflected = info["type"]
    try:
        native = str(reflected.compile(dialect=inspector.dialect))
    except sa.exc.CompileError:
        native = repr(reflected)
    info["info"] = {"native_type": native}
    replacement = canonical_type(family, reflected)
    if replacement is not None:
        info["type"] = replacement


def _single_key(system: str, table: sa.Table) -> sa.Column[Any]:
    columns = list(table.primary_key.columns)
    if len(columns) == 1:
        return columns[0]
    if not columns:
        problem = "has no primary key"
    else:
        names = ", ".join(column.name for column in columns)
        problem = f"has a composite primary key ({names})"
    raise SchemaError(
        system, f"table {table.name!r} {problem}; lockstep needs a single-column primary key"
    )


def _sqlite_inline_unique(inspector: Inspector, table: str, schema: str | None) -> set[str]:
    """SQLite keeps a column's inline ``UNIQUE`` as an automatic index, which reflection
    leaves out unless asked."""
    if inspector.dialect.name != "sqlite":
        return set()
    indexes = inspector.get_indexes(table, schema=schema, include_auto_indexes=True)
    return {
        index["column_names"][0]
        for index in indexes
        if (index["name"] or "").startswith("sqlite_autoindex_")
        and len(index["column_names"]) == 1
        and index["column_names"][0]
    }


def _unique_columns(table: sa.Table) -> set[str]:
    """Columns that alone are UNIQUE: by a constraint or a full (not partial,
    not expression) unique index."""
    names: set[str] = set()
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and len(constraint.columns) == 1:
            names.update(column.name for column in constraint.columns)
    for index in table.indexes:
        if not index.unique or len(index.expressions) != 1 or len(index.columns) != 1:
            continue
        if any(options.get("where") is not None for options in index.dialect_options.values()):
            continue
        names.update(column.name for column in index.columns)
    return names


def _field(
    column: sa.Column[Any], key: sa.Column[Any], generated: bool, unique: bool
) -> FieldShape:
    is_key = column is key
    return FieldShape(
        name=column.name,
        kind=kind_of(column.type),
        native_type=column.info.get("native_type", str(column.type)),
        nullable=bool(column.nullable) and not is_key,
        key=is_key,
        external_id=is_key or unique,
        createable=not (is_key and generated),
        updateable=not is_key,
        length=getattr(column.type, "length", None),
    )
