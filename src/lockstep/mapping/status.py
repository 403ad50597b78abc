"""The sync status (seed 000's *Update Sync Status*): one rule, shared by sync, migrate
and reconcile, for a system whose binding keeps one (``write_back.status``).

- The system a change came from (its *origin*) says ``in_progress`` when lockstep
  takes the change up (``in_progress_on_change``) and while the change waits for a
  retry; ``success`` once the change reached every system it goes to; ``failed``,
  with the reason (``CODE: message``) when there is a ``reason`` field, when it
  failed for good.
- Every system lockstep writes the record into (sync carrying a change, migrate
  creating or linking, reconcile repairing) says ``success``, written with the values:
  it holds the record as synced.
- Reconcile expects ``success`` and an empty reason on every linked record whose
  fields agree with their owners, except a record with a change still in the queue
  (its status may say ``in_progress``); ``--apply`` writes what is missing.

Pure: the values to write, and whether a record's stored status is what the rule
expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from lockstep.config.entities import SyncStatus

State = Literal["in_progress", "success", "failed"]
REASON_MAX = 255  # a reason is cut to fit the commonest text column


def status_values(status: SyncStatus, state: State, reason: str = "") -> dict[str, Any]:
    """The native fields (status, and reason when there is one) that say ``state``."""
    values: dict[str, Any] = {status.field: getattr(status, state)}
    if status.reason:
        values[status.reason] = reason[:REASON_MAX] if state == "failed" and reason else None
    return values


def missing(
    status: SyncStatus, house: Mapping[str, Any], state: State, reason: str = ""
) -> dict[str, Any]:
    """Of the fields saying ``state``, those ``house`` (the record's housekeeping fields
    as read) does not hold yet; an empty value and ``None`` are the same."""
    wanted = status_values(status, state, reason)
    return {f: v for f, v in wanted.items() if _text(house.get(f)) != _text(v)}


def _text(value: Any) -> str:
    return "" if value is None else str(value)
