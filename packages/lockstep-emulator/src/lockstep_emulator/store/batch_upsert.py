"""Upserting a chunk of records on an external-id field (or ``Id``) at once.

The rules are those of a single upsert (``api/rest/sobjects.upsert_one``): no match
creates, one match updates, several matches fail the record. Matching is one query
for the whole chunk; the creates and updates then go through ``create_many`` and
``update_many``. A key given twice in one chunk fails the second record, as
Salesforce does within one batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lockstep_emulator.errors import NotFound, RecordError, SalesforceError
from lockstep_emulator.schema.model import FieldDef, FieldType, ObjectDef
from lockstep_emulator.store.batch import Outcome, create_many
from lockstep_emulator.store.batch_checks import id_states, json_list
from lockstep_emulator.store.batch_write import update_many
from lockstep_emulator.store.layout import q
from lockstep_emulator.store.records import RecordStore, canonical_id
from lockstep_emulator.store.values import to_stored


def upsert_many(
    store: RecordStore,
    obj: ObjectDef,
    key: FieldDef,
    bodies: Sequence[Mapping[str, Any]],
    user_id: str,
) -> list[Outcome]:
    """Upsert each body, matched on its ``key`` value; ``created`` tells which were new."""
    outcomes: list[Outcome] = [Outcome(None)] * len(bodies)
    keyed: dict[int, Any] = {}
    creates: dict[int, dict[str, Any]] = {}
    seen: set[Any] = set()
    folds = key.is_text and not key.case_sensitive
    for index, body in enumerate(bodies):
        value = body.get(key.name)
        try:
            if value in (None, ""):
                if key.type is not FieldType.ID:
                    raise SalesforceError(
                        "MISSING_ARGUMENT", f"{key.name} not specified", fields=[key.name]
                    )
                creates[index] = {k: v for k, v in body.items() if k != key.name}
                continue
            stored = _stored_key(obj, key, value)
            fold = stored.lower() if folds and isinstance(stored, str) else stored
            if fold in seen:
                raise RecordError(
                    "DUPLICATE_VALUE",
                    f"Duplicate external id specified: {value}",
                    fields=[key.name],
                )
            seen.add(fold)
            keyed[index] = stored
        except SalesforceError as exc:
            outcomes[index] = Outcome(None, exc)
    matches = _matches(store, obj, key, keyed.values())
    updates: dict[int, tuple[str, dict[str, Any]]] = {}
    for index, stored in keyed.items():
        found = matches.get(stored.lower() if folds and isinstance(stored, str) else stored, [])
        body = bodies[index]
        if len(found) > 1:
            outcomes[index] = Outcome(
                None,
                SalesforceError(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{key.name}: more than one record found for external id field: {found}",
                    fields=[key.name],
                ),
            )
        elif found:
            updates[index] = (found[0], {k: v for k, v in body.items() if k != key.name})
        elif key.type is FieldType.ID:
            outcomes[index] = Outcome(None, NotFound())
        else:
            creates[index] = dict(body)
    for index, outcome in zip(
        updates, update_many(store, obj, list(updates.values()), user_id), strict=True
    ):
        outcomes[index] = outcome
    for index, outcome in zip(
        creates, create_many(store, obj, list(creates.values()), user_id), strict=True
    ):
        outcomes[index] = outcome
    return outcomes


def _stored_key(obj: ObjectDef, key: FieldDef, value: Any) -> Any:
    if key.type is FieldType.ID:
        rid = canonical_id(str(value))
        return rid if rid is not None and rid[:3] == obj.key_prefix else str(value)
    return to_stored(key, value)


def _matches(
    store: RecordStore, obj: ObjectDef, key: FieldDef, values: Any
) -> dict[Any, list[str]]:
    """Live records per key value (folded as the column compares)."""
    wanted = set(values)
    if not wanted:
        return {}
    if key.type is FieldType.ID:
        states = id_states(store.db.conn, obj, wanted)
        return {rid: [rid] for rid, deleted in states.items() if not deleted}
    folds = key.is_text and not key.case_sensitive
    found: dict[Any, list[str]] = {}
    rows = store.db.conn.execute(
        f'SELECT {q(key.name)}, "Id" FROM {q(obj.name)} '
        f'WHERE {q(key.name)} IN (SELECT value FROM json_each(?)) AND "IsDeleted" = 0',
        (json_list(wanted),),
    )
    for value, rid in rows:
        found.setdefault(value.lower() if folds and isinstance(value, str) else value, []).append(
            rid
        )
    return found
