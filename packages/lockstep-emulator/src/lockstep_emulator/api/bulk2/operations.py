"""One chunk of an ingest job: CSV rows → record bodies → the store's batch writes →
an ``Outcome`` per row, in row order.

A row fails on its own (wrong number of values, a lookup key that matches nothing,
a validation error) and never takes its neighbours with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lockstep_emulator.api.bulk2.columns import NULL, Columns, Lookup
from lockstep_emulator.errors import RecordError, SalesforceError
from lockstep_emulator.schema.model import FieldDef, FieldType, ObjectDef
from lockstep_emulator.store.batch import Outcome, create_many
from lockstep_emulator.store.batch_checks import json_list
from lockstep_emulator.store.batch_upsert import upsert_many
from lockstep_emulator.store.batch_write import delete_many, update_many
from lockstep_emulator.store.layout import q
from lockstep_emulator.store.records import RecordStore
from lockstep_emulator.store.values import to_stored

Body = dict[str, Any]


@dataclass(frozen=True)
class Chunk:
    """What every chunk of one job shares."""

    store: RecordStore
    obj: ObjectDef
    operation: str
    columns: Columns
    user_id: str
    key: FieldDef | None = None  # upsert's externalIdFieldName

    def apply(self, rows: Sequence[Sequence[str]]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(rows)
        width = len(self.columns.names)
        bodies: dict[int, Body] = {}
        for index, row in enumerate(rows):
            if len(row) != width:
                outcomes[index] = Outcome(None, _width_error(len(row), width))
            else:
                bodies[index] = self.columns.body(row)
        for lookup in self.columns.lookups:
            for index, error in _resolve(self.store, lookup, rows, bodies).items():
                del bodies[index]
                outcomes[index] = Outcome(None, error)
        written = _OPERATIONS[self.operation](self, rows, bodies)
        for index, outcome in written.items():
            outcomes[index] = outcome
        return [
            Outcome(None)
            if o is None
            else (o if o.error is None else self._bulk_error(o, bodies.get(i)))
            for i, o in enumerate(outcomes)
        ]

    def _bulk_error(self, outcome: Outcome, body: Body | None) -> Outcome:
        """Bulk reports a value of the wrong type as Salesforce's SOAP layer does."""
        error = outcome.error
        if error is None or error.error_code != "JSON_PARSER_ERROR" or not error.fields:
            return outcome
        f = self.obj.field(error.fields[0])
        label = (f.label or f.name) if f is not None else error.fields[0]
        value = (body or {}).get(f.name if f is not None else error.fields[0], "")
        return Outcome(
            outcome.id,
            RecordError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{label}: value not of required type: {value}",
                fields=error.fields,
            ),
        )


Write = Callable[[Chunk, Sequence[Sequence[str]], dict[int, Body]], dict[int, Outcome]]


def _insert(
    chunk: Chunk, rows: Sequence[Sequence[str]], bodies: dict[int, Body]
) -> dict[int, Outcome]:
    out: dict[int, Outcome] = {}
    for index in list(bodies):
        if chunk.columns.record_id(rows[index]):
            del bodies[index]
            out[index] = Outcome(
                None,
                RecordError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "cannot specify Id in an insert call",
                    fields=["Id"],
                ),
            )
    return out | _zip(
        bodies, create_many(chunk.store, chunk.obj, list(bodies.values()), chunk.user_id)
    )


def _update(
    chunk: Chunk, rows: Sequence[Sequence[str]], bodies: dict[int, Body]
) -> dict[int, Outcome]:
    out: dict[int, Outcome] = {}
    items: dict[int, tuple[str, Body]] = {}
    for index, body in bodies.items():
        rid = chunk.columns.record_id(rows[index])
        if rid:
            items[index] = (rid, body)
        else:
            error = SalesforceError(
                "MISSING_ARGUMENT", "Id not specified in an update call", fields=["Id"]
            )
            out[index] = Outcome(None, error)
    return out | _zip(
        items, update_many(chunk.store, chunk.obj, list(items.values()), chunk.user_id)
    )


def _upsert(
    chunk: Chunk, rows: Sequence[Sequence[str]], bodies: dict[int, Body]
) -> dict[int, Outcome]:
    key = chunk.key
    assert key is not None
    if key.type is FieldType.ID:
        for index, body in bodies.items():
            body[key.name] = chunk.columns.record_id(rows[index])
    return _zip(
        bodies, upsert_many(chunk.store, chunk.obj, key, list(bodies.values()), chunk.user_id)
    )


def _deleter(hard: bool) -> Write:
    def delete(
        chunk: Chunk, rows: Sequence[Sequence[str]], bodies: dict[int, Body]
    ) -> dict[int, Outcome]:
        ids = [chunk.columns.record_id(rows[i]) for i in bodies]
        return _zip(bodies, delete_many(chunk.store, chunk.obj, ids, chunk.user_id, hard=hard))

    return delete


_OPERATIONS: dict[str, Write] = {
    "insert": _insert,
    "update": _update,
    "upsert": _upsert,
    "delete": _deleter(False),
    "hardDelete": _deleter(True),
}


def _zip(keys: Any, outcomes: list[Outcome]) -> dict[int, Outcome]:
    return dict(zip(keys, outcomes, strict=True))


def _width_error(got: int, width: int) -> RecordError:
    return RecordError(
        "INVALID_FIELD", f"The row has {got} values but the header has {width} columns"
    )


def _resolve(
    store: RecordStore, lookup: Lookup, rows: Sequence[Sequence[str]], bodies: dict[int, Body]
) -> dict[int, RecordError]:
    """Set ``lookup.field`` in each body from the row's key value; errors for the rows
    whose key matches no live record, or several."""
    wanted = {i: rows[i][lookup.index] for i in bodies if rows[i][lookup.index] not in ("", NULL)}
    for index in bodies:
        if rows[index][lookup.index] == NULL:
            bodies[index][lookup.field.name] = None
    if not wanted:
        return {}
    key = lookup.key
    folds = key.is_text and not key.case_sensitive
    stored: dict[int, Any] = {}
    errors: dict[int, RecordError] = {}
    for index, value in wanted.items():
        try:
            stored[index] = to_stored(key, value)
        except SalesforceError:
            errors[index] = _foreign_key(lookup, value)
    found: dict[Any, list[str]] = {}
    rows_found = store.db.conn.execute(
        f'SELECT {q(key.name)}, "Id" FROM {q(lookup.target.name)} '
        f'WHERE {q(key.name)} IN (SELECT value FROM json_each(?)) AND "IsDeleted" = 0',
        (json_list(set(stored.values())),),
    )
    for value, rid in rows_found:
        found.setdefault(value.lower() if folds and isinstance(value, str) else value, []).append(
            rid
        )
    for index, value in stored.items():
        matches = found.get(value.lower() if folds and isinstance(value, str) else value, [])
        if len(matches) == 1:
            bodies[index][lookup.field.name] = matches[0]
        elif matches:
            errors[index] = RecordError(
                "INVALID_FIELD",
                f"More than one record found for external id field {key.name} in entity "
                f"{lookup.target.name} with value {wanted[index]}",
                fields=[lookup.field.name],
            )
        else:
            errors[index] = _foreign_key(lookup, wanted[index])
    return errors


def _foreign_key(lookup: Lookup, value: str) -> RecordError:
    return RecordError(
        "INVALID_FIELD",
        f"Foreign key external ID: {value} not found for field {lookup.key.name} in entity "
        f"{lookup.target.name}",
        fields=[],
    )
