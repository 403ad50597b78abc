"""Updating and deleting a chunk of records at once (see ``batch`` for why and how).

An id may appear once per chunk: like a Salesforce DML list, a repeat fails with
``DUPLICATE_VALUE: Duplicate id in list``. That keeps every record's outcome
independent of the order statements run in.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lockstep_emulator.errors import NotFound, RecordError, SalesforceError
from lockstep_emulator.schema.model import ObjectDef
from lockstep_emulator.store.batch import Outcome, one_by_one, stamp_text
from lockstep_emulator.store.batch_checks import (
    id_states,
    json_list,
    reference_errors,
    required_error,
    rows_by_id,
    rule_errors,
    unique_errors,
)
from lockstep_emulator.store.batch_values import Converters, canonical
from lockstep_emulator.store.derive import derive
from lockstep_emulator.store.layout import q
from lockstep_emulator.store.records import Change, RecordStore, canonical_id


def _duplicate(rid: str) -> RecordError:
    return RecordError("DUPLICATE_VALUE", f"Duplicate id in list: {rid}")


def update_many(
    store: RecordStore,
    obj: ObjectDef,
    items: Sequence[tuple[str, Mapping[str, Any]]],
    user_id: str,
) -> list[Outcome]:
    """Update each ``(id, body)``; errors as ``RecordStore.update`` raises them."""
    if not obj.updateable:
        refused = SalesforceError(
            "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support update"
        )
        return [Outcome(canonical_id(rid) or rid, refused) for rid, _ in items]
    outcomes: list[Outcome] = [Outcome(None)] * len(items)
    wanted = _wanted_ids(obj, [raw for raw, _ in items], outcomes)
    current = rows_by_id(store.db.conn, obj, set(wanted.values()))
    converters = Converters(obj, creating=False)
    order = _column_order(current)
    stamp, text = stamp_text(store)
    staged: dict[int, dict[str, Any]] = {}
    whole: dict[int, dict[str, Any]] = {}
    for index, rid in wanted.items():
        try:
            merged, changes = _merge(
                store, obj, converters, current.get(rid), items[index][1], order
            )
        except SalesforceError as exc:
            outcomes[index] = Outcome(rid, exc)
            continue
        staged[index] = changes
        whole[index] = merged

    def drop(errors: Mapping[int, SalesforceError]) -> None:
        for index, error in errors.items():
            del staged[index]
            outcomes[index] = Outcome(wanted[index], error)

    drop(reference_errors(store, obj, staged, None))
    before = {i: current[wanted[i]] for i in staged}
    drop(rule_errors(store, obj, {i: whole[i] for i in staged}, before))
    drop(unique_errors(store.db.conn, obj, staged, wanted))
    for changes in staged.values():
        changes.update(LastModifiedDate=text, LastModifiedById=user_id, SystemModstamp=text)
    try:
        with store.db.transaction():
            _update(store, obj, {wanted[i]: c for i, c in staged.items()}, user_id, stamp)
        for index in staged:
            outcomes[index] = Outcome(wanted[index])
    except sqlite3.IntegrityError:
        for index in staged:
            write = _updater(store, obj, wanted[index], items[index][1], user_id)
            outcomes[index] = one_by_one(store, write, wanted[index])
    return outcomes


def _wanted_ids(obj: ObjectDef, raw_ids: Sequence[str], outcomes: list[Outcome]) -> dict[int, str]:
    """Index → canonical id of the well-formed, first-seen ids; errors for the rest."""
    wanted: dict[int, str] = {}
    seen: set[str] = set()
    for index, raw in enumerate(raw_ids):
        rid = canonical(raw)
        error: SalesforceError
        if rid is None:
            error = SalesforceError("MALFORMED_ID", f"Malformed id: {raw}")
        elif rid[:3] != obj.key_prefix:
            error = NotFound(
                f"Provided external ID field does not exist or is not accessible: {raw}"
            )
        elif rid in seen:
            error = _duplicate(rid)
        else:
            seen.add(rid)
            wanted[index] = rid
            continue
        outcomes[index] = Outcome(rid or raw, error)
    return wanted


def _merge(
    store: RecordStore,
    obj: ObjectDef,
    converters: Converters,
    row: dict[str, Any] | None,
    body: Mapping[str, Any],
    order: Mapping[str, int],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole row after the update, and what changed (in column ``order``, compared
    as items: every stored value is hashable); raises as ``update`` does."""
    if row is None:
        raise NotFound()
    if row["IsDeleted"]:
        raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", status=404)
    merged = {**row, **converters.convert(body)}
    derive(store, obj, merged, row)
    changes = dict(sorted(merged.items() - row.items(), key=lambda item: order[item[0]]))
    missing = required_error(obj, merged)
    if missing is not None:
        raise missing
    return merged, changes


def _column_order(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """Each column's position in a stored row (new keys from a body sort last)."""
    first = next(iter(rows.values()), {})
    order: dict[str, int] = defaultdict(lambda: len(first))
    order.update((name, i) for i, name in enumerate(first))
    return order


def _updater(
    store: RecordStore, obj: ObjectDef, rid: str, body: Mapping[str, Any], user_id: str
) -> Callable[[], None]:
    def update() -> None:
        store.update(obj, rid, body, user_id)

    return update


def _update(
    store: RecordStore,
    obj: ObjectDef,
    changes: Mapping[str, dict[str, Any]],
    user_id: str,
    stamp: Any,
) -> None:
    groups: dict[tuple[str, ...], list[list[Any]]] = {}
    for rid, values in changes.items():
        groups.setdefault(tuple(values), []).append([*values.values(), rid])
    for cols, rows in groups.items():
        store.db.conn.executemany(
            f'UPDATE {q(obj.name)} SET {", ".join(q(c) + " = ?" for c in cols)} WHERE "Id" = ?',
            rows,
        )
    if store.listeners:
        for rid, values in changes.items():
            store._notify(Change(obj.name, rid, "UPDATE", values, tuple(values), user_id, stamp))


def delete_many(
    store: RecordStore, obj: ObjectDef, raw_ids: Sequence[str], user_id: str, *, hard: bool = False
) -> list[Outcome]:
    """Move records (and their master-detail children) to the recycle bin, or with
    ``hard`` purge them. Errors as sObject Collections reports them per record."""
    if not obj.deletable:
        error = SalesforceError(
            "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support delete"
        )
        return [Outcome(canonical_id(r) or r, error) for r in raw_ids]
    outcomes: list[Outcome] = [Outcome(None)] * len(raw_ids)
    wanted: dict[int, str] = {}
    seen: set[str] = set()
    for index, raw in enumerate(raw_ids):
        rid = canonical(raw.strip())
        if rid is None or rid[:3] != obj.key_prefix:
            outcomes[index] = Outcome(raw, SalesforceError("MALFORMED_ID", f"malformed id {raw}"))
        elif rid in seen:
            outcomes[index] = Outcome(rid, _duplicate(rid))
        else:
            seen.add(rid)
            wanted[index] = rid
    states = id_states(store.db.conn, obj, set(wanted.values()))
    doomed: list[str] = []
    for index, rid in wanted.items():
        deleted = states.get(rid)
        if deleted is None:
            error = SalesforceError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        elif deleted:
            error = SalesforceError("ENTITY_IS_DELETED", "entity is deleted")
        else:
            doomed.append(rid)
            outcomes[index] = Outcome(rid)
            continue
        outcomes[index] = Outcome(rid, error)
    if doomed:
        with store.db.transaction():
            stamp, text = stamp_text(store)
            removed = _soft_delete(store, obj, doomed, user_id, stamp, text)
            if hard:
                for name, gone in removed.items():
                    _purge(store, name, gone)
    return outcomes


def _soft_delete(
    store: RecordStore, obj: ObjectDef, rids: list[str], user_id: str, stamp: Any, text: str
) -> dict[str, list[str]]:
    """``RecordStore._soft_delete`` for many records; returns object name → ids deleted,
    cascaded children included."""
    conn = store.db.conn
    conn.executemany(
        f'UPDATE {q(obj.name)} SET "IsDeleted" = 1, "SystemModstamp" = ?, '
        f'"LastModifiedById" = ? WHERE "Id" = ?',
        [(text, user_id, rid) for rid in rids],
    )
    conn.executemany(
        "INSERT INTO _deleted (id, object, deleted_date) VALUES (?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET deleted_date = excluded.deleted_date",
        [(rid, obj.name, text) for rid in rids],
    )
    if store.listeners:
        for rid in rids:
            store._notify(Change(obj.name, rid, "DELETE", {}, (), user_id, stamp))
    removed = {obj.name: list(rids)}
    for rel in obj.child_relationships:
        if not rel.cascade_delete:
            continue
        child = store.schema.get(rel.child_object)
        assert child is not None
        kids = [
            r[0]
            for r in conn.execute(
                f'SELECT "Id" FROM {q(child.name)} WHERE {q(rel.field)} IN '
                f'(SELECT value FROM json_each(?)) AND "IsDeleted" = 0',
                (json_list(rids),),
            )
        ]
        if kids:
            for name, gone in _soft_delete(store, child, kids, user_id, stamp, text).items():
                removed.setdefault(name, []).extend(gone)
    return removed


def _purge(store: RecordStore, object_name: str, rids: list[str]) -> None:
    """``RecordStore.hard_delete`` for many records."""
    ids = json_list(rids)
    store.db.conn.execute(
        f'DELETE FROM {q(object_name)} WHERE "Id" IN (SELECT value FROM json_each(?))', (ids,)
    )
    store.db.conn.execute(
        "DELETE FROM _deleted WHERE id IN (SELECT value FROM json_each(?))", (ids,)
    )
