"""The checks of ``RecordStore`` that need the database, run once per chunk of records.

``RecordStore`` asks SQLite one question per reference field and per unique field of
every record it writes; a bulk job of 200,000 records cannot afford that. Here each
question is asked once for the whole chunk (``IN (SELECT value FROM json_each(?))``
uses the primary key or the field's index), and the answers are applied record by
record in the order ``RecordStore`` applies them, so each record gets exactly the
error it would have got from a single write: same errorCode, same message, same field.

Every function takes the records still standing, as index → values, and returns
index → error for those that fail.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from lockstep_emulator.errors import RecordError
from lockstep_emulator.schema.model import FieldDef, FieldType, ObjectDef
from lockstep_emulator.store.layout import q
from lockstep_emulator.store.rules import check_rules

if TYPE_CHECKING:
    from lockstep_emulator.store.records import RecordStore

Staged = Mapping[int, Mapping[str, Any]]


def json_list(values: Iterable[Any]) -> str:
    """A JSON array for ``json_each(?)``."""
    return orjson.dumps(list(values)).decode()


def id_states(conn: sqlite3.Connection, obj: ObjectDef, ids: Collection[str]) -> dict[str, bool]:
    """``{id: is_deleted}`` for those of ``ids`` (18-character) that exist in ``obj``."""
    if not ids:
        return {}
    rows = conn.execute(
        f'SELECT "Id", "IsDeleted" FROM {q(obj.name)} '
        'WHERE "Id" IN (SELECT value FROM json_each(?))',
        (json_list(ids),),
    )
    return {rid: bool(deleted) for rid, deleted in rows}


def rows_by_id(
    conn: sqlite3.Connection, obj: ObjectDef, ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """The stored rows of ``ids`` (deleted ones included), keyed by id."""
    if not ids:
        return {}
    cur = conn.execute(
        f'SELECT * FROM {q(obj.name)} WHERE "Id" IN (SELECT value FROM json_each(?))',
        (json_list(ids),),
    )
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cur}


def required_error(obj: ObjectDef, values: Mapping[str, Any]) -> RecordError | None:
    """``checks.check_required``, as a value instead of an exception."""
    missing = [f.name for f in obj.required_fields if values.get(f.name) in (None, "")]
    if not missing:
        return None
    return RecordError(
        "REQUIRED_FIELD_MISSING",
        f"Required fields are missing: [{', '.join(missing)}]",
        fields=missing,
    )


def reference_errors(
    store: RecordStore, obj: ObjectDef, staged: Staged, acting_user: str | None
) -> dict[int, RecordError]:
    """``checks.check_references`` for every staged record: each reference points
    at a live record of a type the field allows (the acting user needs no lookup)."""
    fields = [f for f in obj.writable_references if any(f.name in v for v in staged.values())]
    if not fields:
        return {}
    wanted: dict[str, set[str]] = {}
    for f in fields:
        for values in staged.values():
            value = values.get(f.name)
            if value is None or value == acting_user:
                continue
            target = store.object_of_id(value)
            if target is not None and target.name in f.reference_to:
                wanted.setdefault(target.name, set()).add(value)
    live: set[str] = set()
    for name, ids in wanted.items():
        target = store.schema.get(name)
        assert target is not None
        live.update(
            rid for rid, deleted in id_states(store.db.conn, target, ids).items() if not deleted
        )
    errors: dict[int, RecordError] = {}
    for index, values in staged.items():
        for f in fields:
            value = values.get(f.name)
            if value is None or value == acting_user or value in live:
                continue
            target = store.object_of_id(value)
            if target is None or target.name not in f.reference_to:
                errors[index] = RecordError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{f.label or f.name}: id value of incorrect type: {value}",
                    fields=[f.name],
                )
            else:
                errors[index] = RecordError(
                    "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", fields=[f.name]
                )
            break
    return errors


def rule_errors(
    store: RecordStore,
    obj: ObjectDef,
    staged: Staged,
    current: Mapping[int, Mapping[str, Any]] | None,
) -> dict[int, RecordError]:
    """The object's validation rules (``store.rules``) for every staged record: ``staged``
    holds whole rows, ``current`` the stored rows on update."""
    if not obj.validation_rules:
        return {}
    errors: dict[int, RecordError] = {}
    for index, values in staged.items():
        try:
            check_rules(store, obj, values, current[index] if current is not None else None)
        except RecordError as exc:
            errors[index] = exc
    return errors


def unique_errors(
    conn: sqlite3.Connection,
    obj: ObjectDef,
    staged: Staged,
    own_ids: Mapping[int, str],
) -> dict[int, RecordError]:
    """``checks.check_unique`` for every staged record, against the table and
    against the records earlier in the chunk (which a record-by-record write would
    already have stored). ``own_ids`` maps each index to the id it writes."""
    errors: dict[int, RecordError] = {}
    for f in obj.unique_fields:
        claims = {
            i: v[f.name] for i, v in staged.items() if i not in errors and v.get(f.name) is not None
        }
        if not claims:
            continue
        key = _key(f)
        released = {own_ids[i] for i in claims}
        rows = conn.execute(
            f'SELECT {q(f.name)}, "Id" FROM {q(obj.name)} '
            f'WHERE {q(f.name)} IN (SELECT value FROM json_each(?)) AND "IsDeleted" = 0',
            (json_list(set(claims.values())),),
        )
        taken = {key(value): rid for value, rid in rows if rid not in released}
        for index, value in claims.items():
            k = key(value)
            holder = taken.get(k)
            if holder is not None and holder != own_ids[index]:
                errors[index] = RecordError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {f.name} duplicates value on record with id: {holder}",
                    fields=[f.name],
                )
            else:
                taken[k] = own_ids[index]
    return errors


def _key(f: FieldDef) -> Any:
    """How the column compares: text columns are ``COLLATE NOCASE`` unless case-sensitive."""
    folds = f.is_text and not f.case_sensitive and f.type is not FieldType.BOOLEAN

    def key(value: Any) -> Any:
        return value.lower() if folds and isinstance(value, str) else value

    return key
