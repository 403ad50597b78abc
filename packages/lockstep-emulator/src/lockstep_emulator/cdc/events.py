"""Change events in the shape Salesforce sends them over CometD.

The log keeps what the store wrote, in stored form (``store/layout.py``), because
building JSON on every write would slow every write down for subscribers that may
never come. This module turns one logged row into the event a subscriber sees:

- the header: ``entityName``, ``recordIds``, ``changeType``, ``changeOrigin``,
  ``transactionKey``, ``sequenceNumber``, ``commitTimestamp`` (epoch ms),
  ``commitNumber``, ``commitUser``, ``nulledFields``, ``diffFields``, ``changedFields``;
- the body: every non-null field on CREATE and UNDELETE, the changed fields on UPDATE
  (a field set to null appears as null and in ``nulledFields``), nothing on DELETE and
  on gap events. ``Id`` (it is in ``recordIds``), ``IsDeleted`` and ``SystemModstamp``
  are never in a body, and ``SystemModstamp`` never in ``changedFields``.

Datetimes are ISO 8601 in UTC with a ``Z``, as Salesforce's CometD events carry them
(``2024-05-01T10:00:00Z``); milliseconds are kept when there are any.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from lockstep_emulator.schema.model import FieldType, ObjectDef
from lockstep_emulator.store.layout import to_json

CHANGE_TYPES = frozenset({"CREATE", "UPDATE", "DELETE", "UNDELETE"})
GAP_TYPES = frozenset({"GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW"})
DEFAULT_ORIGIN = "com/salesforce/api/rest/59.0"

_NEVER_IN_BODY = frozenset({"id", "isdeleted", "systemmodstamp"})
# The emulator's sessions all act as the org's one integration user, so an update
# never really changes LastModifiedById, and Salesforce lists only real changes.
_NOT_AN_UPDATE = frozenset({"lastmodifiedbyid"})


class LoggedChange(NamedTuple):
    """One row of the change log, as the recorder wrote it (a tuple: it is built on
    every write, where a frozen dataclass costs several times more)."""

    replay_id: int
    entity: str
    change_type: str
    record_ids: tuple[str, ...]
    transaction_key: str
    sequence_number: int
    commit_ms: int
    commit_number: int
    commit_user: str
    change_origin: str
    values: Mapping[str, Any]  # stored form; the body's candidates


@dataclass(frozen=True)
class ChangeEvent:
    """One change event as a subscriber receives it."""

    replay_id: int
    schema: str
    header: Mapping[str, Any]
    body: Mapping[str, Any]

    @property
    def entity(self) -> str:
        return str(self.header["entityName"])

    @property
    def change_type(self) -> str:
        return str(self.header["changeType"])

    @property
    def record_ids(self) -> tuple[str, ...]:
        return tuple(self.header["recordIds"])

    def payload(self) -> dict[str, Any]:
        """``data.payload``: the header under ``ChangeEventHeader``, then the fields."""
        return {"ChangeEventHeader": _plain(self.header), **self.body}

    def message(self, channel: str) -> dict[str, Any]:
        """The Bayeux message delivering this event on ``channel``."""
        return {
            "channel": channel,
            "data": {
                "schema": self.schema,
                "payload": self.payload(),
                "event": {"replayId": self.replay_id},
            },
        }


def to_event(row: LoggedChange, obj: ObjectDef | None) -> ChangeEvent:
    """The event for a logged row; ``obj`` is None when the schema no longer has it."""
    body, changed, nulled = _body(obj, row.change_type, row.values)
    header = {
        "entityName": row.entity,
        "recordIds": list(row.record_ids),
        "changeType": row.change_type,
        "changeOrigin": row.change_origin,
        "transactionKey": row.transaction_key,
        "sequenceNumber": row.sequence_number,
        "commitTimestamp": row.commit_ms,
        "commitNumber": row.commit_number,
        "commitUser": row.commit_user,
        "nulledFields": nulled,
        "diffFields": [],
        "changedFields": changed,
    }
    schema = schema_id(obj) if obj is not None else _digest(row.entity)
    return ChangeEvent(row.replay_id, schema, header, body)


def _body(
    obj: ObjectDef | None, change_type: str, values: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """(body, changedFields, nulledFields) for one change."""
    if change_type in ("CREATE", "UNDELETE"):
        body = {
            name: _json(obj, name, value)
            for name, value in values.items()
            if value is not None and name.lower() not in _NEVER_IN_BODY
        }
        return body, [], []
    if change_type == "UPDATE":
        body = {
            name: _json(obj, name, value)
            for name, value in values.items()
            if name.lower() not in _NEVER_IN_BODY and name.lower() not in _NOT_AN_UPDATE
        }
        return body, list(body), [name for name, value in body.items() if value is None]
    return {}, [], []


def _json(obj: ObjectDef | None, name: str, value: Any) -> Any:
    f = obj.field(name) if obj is not None else None
    if f is None:
        return value
    if f.type is FieldType.DATETIME and isinstance(value, str):
        return cdc_datetime(value)
    return to_json(f, value)


def cdc_datetime(stored: str) -> str:
    """``2024-05-01T10:00:00.000+0000`` (stored) as ``2024-05-01T10:00:00Z``."""
    text = stored.removesuffix("+0000")
    return text.removesuffix(".000") + "Z"


@functools.lru_cache(maxsize=512)
def schema_id(obj: ObjectDef) -> str:
    """An opaque id for the event schema of ``obj``: it changes when its fields do."""
    return _digest(obj.name + ":" + ",".join(obj.fields))


def _digest(text: str) -> str:
    raw = hashlib.sha256(text.encode()).digest()[:16]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _plain(header: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh copy, so that a caller changing a message never changes the event."""
    return {k: list(v) if isinstance(v, list) else v for k, v in header.items()}
