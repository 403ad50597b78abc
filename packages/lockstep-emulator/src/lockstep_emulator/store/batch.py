"""Writing a chunk of records at once, for the Bulk APIs.

``RecordStore.create`` costs about 90 µs a record, most of it in one SQL statement per
record and per check; Bulk API 2.0 must load 20,000 records a second. Here a chunk
(a few thousand records) is validated together, the checks that need the database
run once per chunk (``batch_checks``), ids are drawn in a row, the chunk shares one
``SystemModstamp`` (records saved in one Salesforce transaction share their audit
stamps too), and rows go in with ``executemany``.

What must not change is what a client and a change listener see: each record gets
the error ``RecordStore`` would give it (same checks, same order, same errorCode and
message), and every written row produces the same ``Change``, in the same
transaction. Should the database still refuse the chunk (a constraint the checks did
not foresee), the chunk's savepoint is rolled back and it is written record by record
through ``RecordStore``. Call inside ``Database.transaction``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from lockstep_emulator.errors import RecordError, SalesforceError
from lockstep_emulator.schema.model import FieldType, ObjectDef
from lockstep_emulator.store.batch_checks import (
    reference_errors,
    required_error,
    rule_errors,
    unique_errors,
)
from lockstep_emulator.store.batch_values import Converters, id_maker
from lockstep_emulator.store.derive import derive
from lockstep_emulator.store.layout import format_datetime, insert_sql
from lockstep_emulator.store.records import Change, RecordStore
from lockstep_emulator.store.values import to_stored


class Outcome(NamedTuple):
    """One record's result: its id (when known), whether it was created, or its error.
    (A tuple: a bulk job makes one per record.)"""

    id: str | None
    error: SalesforceError | None = None
    created: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def stamp_text(store: RecordStore) -> tuple[Any, str]:
    """The chunk's transaction stamp (shared with any single-record write in it)."""
    stamp = store.stamp()
    return stamp, format_datetime(stamp)


def create_many(
    store: RecordStore, obj: ObjectDef, bodies: Sequence[Mapping[str, Any]], user_id: str
) -> list[Outcome]:
    """Insert ``bodies``; an ``Outcome`` per body, in order."""
    if not obj.createable:
        refused = SalesforceError(
            "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support insert"
        )
        return [Outcome(None, refused) for _ in bodies]
    converters = Converters(obj, creating=True)
    defaults = [(f.name, to_stored(f, f.default)) for f in obj.defaulted_fields]
    owner = obj.field("OwnerId") is not None
    name_def = obj.field("Name") if obj.custom else None
    named = name_def is not None and not name_def.auto_number
    new_id = id_maker(store, obj)
    stamp, text = stamp_text(store)
    audit = {
        "IsDeleted": 0,
        "CreatedDate": text,
        "CreatedById": user_id,
        "LastModifiedDate": text,
        "LastModifiedById": user_id,
        "SystemModstamp": text,
    }
    outcomes: list[Outcome | None] = [None] * len(bodies)
    staged: dict[int, dict[str, Any]] = {}
    for index, body in enumerate(bodies):
        try:
            values = converters.convert(body)
        except SalesforceError as exc:
            outcomes[index] = Outcome(None, exc)
            continue
        for name, default in defaults:
            if name not in values:
                values[name] = default
        if owner and not values.get("OwnerId"):
            values["OwnerId"] = user_id
        rid = new_id()
        values["Id"] = rid
        values.update(audit)
        if named and values.get("Name") is None:
            values["Name"] = rid
        derive(store, obj, values, None)
        error = required_error(obj, values)
        if error is not None:
            outcomes[index] = Outcome(None, error)
            continue
        staged[index] = values
    _drop(staged, outcomes, reference_errors(store, obj, staged, user_id))
    _drop(staged, outcomes, rule_errors(store, obj, staged, None))
    own = {i: v["Id"] for i, v in staged.items()}
    _drop(staged, outcomes, unique_errors(store.db.conn, obj, staged, own))
    if staged:
        try:
            with store.db.transaction():
                _insert(store, obj, staged, user_id, stamp)
            for index, values in staged.items():
                outcomes[index] = Outcome(values["Id"], created=True)
        except sqlite3.IntegrityError:
            for index in staged:
                outcomes[index] = one_by_one(store, _creator(store, obj, bodies[index], user_id))
    return [o if o is not None else Outcome(None) for o in outcomes]


def _insert(
    store: RecordStore,
    obj: ObjectDef,
    staged: Mapping[int, dict[str, Any]],
    user_id: str,
    stamp: Any,
) -> None:
    records = list(staged.values())
    cols = dict.fromkeys(records[0])
    for values in records:
        if not values.keys() <= cols.keys():
            cols.update(dict.fromkeys(values))
    names = list(cols)
    whole = itemgetter(*names)
    fill = [0 if _is_boolean(obj, c) else None for c in names]
    rows = [
        whole(values)
        if len(values) == len(names)
        else tuple([values.get(c, blank) for c, blank in zip(names, fill, strict=True)])
        for values in records
    ]
    store.db.conn.executemany(insert_sql(obj.name, tuple(names)), rows)
    if store.listeners:
        for values in records:
            store._notify(
                Change(obj.name, values["Id"], "CREATE", values, tuple(values), user_id, stamp)
            )


def _creator(
    store: RecordStore, obj: ObjectDef, body: Mapping[str, Any], user_id: str
) -> Callable[[], str | None]:
    def create() -> str | None:
        return store.create(obj, body, user_id)

    return create


def _is_boolean(obj: ObjectDef, column: str) -> bool:
    f = obj.field(column)
    return f is not None and f.type is FieldType.BOOLEAN


def _drop(
    staged: dict[int, Any], outcomes: list[Outcome | None], errors: Mapping[int, SalesforceError]
) -> None:
    for index, error in errors.items():
        staged.pop(index, None)
        outcomes[index] = Outcome(None, error)


def one_by_one(
    store: RecordStore, write: Callable[[], str | None], record_id: str | None = None
) -> Outcome:
    """One record written through ``RecordStore`` in its own savepoint: the fallback
    when the database refuses a chunk. ``write`` returns the id it created, or None."""
    try:
        with store.db.transaction():
            created = write()
    except SalesforceError as exc:
        return Outcome(record_id, exc)
    except sqlite3.IntegrityError as exc:
        return Outcome(record_id, RecordError("DUPLICATE_VALUE", str(exc)))
    return Outcome(created or record_id, created=created is not None)
