"""Checks every single-record write runs: field conversion, required fields,
references, uniqueness. The bulk path (``batch_checks``) applies the same rules to a
chunk at once and must give the same error codes and messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lockstep_emulator.errors import RecordError
from lockstep_emulator.schema.model import ObjectDef
from lockstep_emulator.store.db import Database
from lockstep_emulator.store.layout import q
from lockstep_emulator.store.values import to_stored

if TYPE_CHECKING:
    from lockstep_emulator.store.records import RecordStore


def convert(obj: ObjectDef, body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """A client's field values in stored form; unknown or read-only fields fail."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key == "attributes":
            continue
        f = obj.field(key)
        if f is None:
            raise RecordError(
                "INVALID_FIELD",
                f"No such column '{key}' on sobject of type {obj.name}",
                fields=[key],
            )
        if not (f.createable if creating else f.updateable) or f.rollup is not None:
            verb = "create" if creating else "update"
            raise RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to {verb} fields: {f.name}. Please check the security settings "
                f"of this field and verify that it is read/write for your profile or "
                f"permission set.",
                fields=[f.name],
            )
        out[f.name] = to_stored(f, value)
    return out


def check_required(obj: ObjectDef, values: Mapping[str, Any]) -> None:
    """Every required field has a value."""
    missing = [f.name for f in obj.required_fields if values.get(f.name) in (None, "")]
    if missing:
        raise RecordError(
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(missing)}]",
            fields=missing,
        )


def check_references(
    store: RecordStore,
    obj: ObjectDef,
    values: Mapping[str, Any],
    acting_user: str | None = None,
) -> None:
    """Every reference points at a live record of a type the field allows.

    The acting user is known to exist, so owner fields set to it skip the lookup.
    """
    for f in obj.writable_references:
        value = values.get(f.name)
        if value is None or value == acting_user:
            continue
        target = store.object_of_id(value)
        if target is None or target.name not in f.reference_to:
            raise RecordError(
                "FIELD_INTEGRITY_EXCEPTION",
                f"{f.label or f.name}: id value of incorrect type: {value}",
                fields=[f.name],
            )
        found = store.exists(value)
        if found is None or found[1]:
            raise RecordError(
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
                fields=[f.name],
            )


def check_unique(
    db: Database, obj: ObjectDef, values: Mapping[str, Any], own_id: str | None
) -> None:
    """No other live record holds the same value in a unique field."""
    for f in obj.unique_fields:
        value = values.get(f.name)
        if value is None:
            continue
        row = db.conn.execute(
            f'SELECT "Id" FROM {q(obj.name)} WHERE {q(f.name)} = ? AND "IsDeleted" = 0 '
            f'AND "Id" IS NOT ?',
            (value, own_id),
        ).fetchone()
        if row is not None:
            raise RecordError(
                "DUPLICATE_VALUE",
                f"duplicate value found: {f.name} duplicates value on record with id: {row[0]}",
                fields=[f.name],
            )
