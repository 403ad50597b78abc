"""An upload's header row, matched against the job's object once; each row then maps to
the record body the store writes.

A header names fields (any case) or, for a lookup, ``Relationship.ExternalIdField``
(``Account.External_Id__c`` sets ``AccountId`` to the Account with that key). A name
that matches nothing fails the whole job, as in Salesforce. In a row, an empty value
means "no value" (left out of the body, so an update leaves the field alone) and
``#N/A`` means null.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lockstep_emulator.api.bulk2.dialect import BOM
from lockstep_emulator.api.bulk2.errors import JobFailure
from lockstep_emulator.schema.model import FieldDef, FieldType, ObjectDef, Schema

NULL = "#N/A"
MAX_FIELDS = 5000
DELETES = ("delete", "hardDelete")


@dataclass(frozen=True)
class Lookup:
    """A ``Relationship.Key`` column: sets ``field`` to the ``target`` whose ``key`` matches."""

    index: int
    field: FieldDef
    target: ObjectDef
    key: FieldDef


@dataclass(frozen=True)
class Columns:
    names: tuple[str, ...]  # as uploaded, for the result files
    fields: tuple[tuple[int, str], ...]  # (column index, field API name)
    lookups: tuple[Lookup, ...] = ()
    id_index: int | None = None

    def body(self, row: Sequence[str]) -> dict[str, Any]:
        """The row's values by field name: empty left out, ``#N/A`` as None."""
        out: dict[str, Any] = {name: row[i] for i, name in self.fields if row[i]}
        if NULL in out.values():
            return {name: None if value == NULL else value for name, value in out.items()}
        return out

    def record_id(self, row: Sequence[str]) -> str:
        return row[self.id_index].strip() if self.id_index is not None else ""


def header_names(row: Sequence[str]) -> list[str]:
    names = [name.strip() for name in row]
    if names and names[0].startswith(BOM):
        names[0] = names[0][1:].strip()
    return names


def compile_columns(
    schema: Schema, obj: ObjectDef, operation: str, header: Sequence[str]
) -> Columns:
    """Match ``header`` to ``obj``'s fields; ``JobFailure`` when Salesforce would refuse it."""
    names = header_names(header)
    if len(names) > MAX_FIELDS:
        raise JobFailure(
            f"InvalidBatch : Too many fields in the header: {len(names)}, "
            f"the maximum is {MAX_FIELDS}"
        )
    if operation in DELETES and [n.lower() for n in names] != ["id"]:
        raise JobFailure(f"InvalidBatch : The '{operation}' batch must contain only ids")
    seen: set[str] = set()
    fields: list[tuple[int, str]] = []
    lookups: list[Lookup] = []
    id_index: int | None = None
    for index, name in enumerate(names):
        if name.lower() in seen:
            raise JobFailure(f"InvalidBatch : Duplicate field name: {name}")
        seen.add(name.lower())
        if "." in name:
            lookups.append(_lookup(schema, obj, index, name))
            continue
        f = obj.field(name)
        if f is None:
            raise JobFailure(f"InvalidBatch : Field name not found : {name}")
        if f.type is FieldType.ID:
            id_index = index
            continue
        fields.append((index, f.name))
    return Columns(tuple(names), tuple(fields), tuple(lookups), id_index)


def _lookup(schema: Schema, obj: ObjectDef, index: int, name: str) -> Lookup:
    relationship, _, key_name = name.partition(".")
    f = obj.relationship(relationship)
    target = schema.get(f.reference_to[0]) if f is not None and len(f.reference_to) == 1 else None
    key = target.field(key_name) if target is not None else None
    if f is None or target is None or key is None or "." in key_name:
        raise JobFailure(f"InvalidBatch : Field name not found : {name}")
    if not (key.external_id or key.id_lookup or key.type is FieldType.ID):
        raise JobFailure(
            f"InvalidBatch : The field {key.name} on {target.name} is not an external id field"
        )
    return Lookup(index, f, target, key)
