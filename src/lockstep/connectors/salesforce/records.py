"""Operations as Salesforce records, and Salesforce's per-record answers as results.

Shared by both write paths (sObject Collections and Bulk API 2.0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lockstep.core.ops import Delete, Op, RecordError, Upsert

Action = Literal["insert", "update", "upsert", "delete"]
OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"


@dataclass(frozen=True)
class Group:
    """The ops of one write call shape: same action (and, for upserts, the same
    external-id field), with their places in the input."""

    action: Action
    match_on: str | None
    indices: tuple[int, ...]


def action_of(op: Op) -> Action:
    if isinstance(op, Delete):
        return "delete"
    if op.native_id is not None:
        return "update"
    return "upsert" if op.match_on is not None else "insert"


def groups_of(ops: Sequence[Op]) -> list[Group]:
    """The ops grouped by action and external-id field, groups in the order of their
    first op, ops in input order within a group."""
    grouped: dict[tuple[Action, str | None], list[int]] = {}
    for index, op in enumerate(ops):
        action = action_of(op)
        match_on = op.match_on if isinstance(op, Upsert) and action == "upsert" else None
        grouped.setdefault((action, match_on), []).append(index)
    return [Group(action, match_on, tuple(ix)) for (action, match_on), ix in grouped.items()]


def fields_of(op: Op) -> dict[str, Any]:
    """The field values an op writes: its values without ``Id`` (the Id goes apart),
    plus ``Id`` for an update."""
    if isinstance(op, Delete):
        return {"Id": op.native_id}
    values = {k: v for k, v in op.values.items() if k.lower() != "id"}
    if op.native_id is not None:
        return {"Id": op.native_id, **values}
    return values


def record_error(errors: Sequence[Mapping[str, Any]]) -> RecordError:
    """One ``RecordError`` from a record's ``errors`` list: the first error's
    ``statusCode``, every message, every field."""
    if not errors:
        return RecordError("UNKNOWN_EXCEPTION", "Salesforce gave no reason")
    code = str(errors[0].get("statusCode") or errors[0].get("errorCode") or "UNKNOWN_EXCEPTION")
    message = "; ".join(str(e.get("message") or "") for e in errors)
    fields: list[str] = []
    for error in errors:
        fields.extend(f for f in error.get("fields") or () if f not in fields)
    return RecordError(code, message, tuple(fields))
