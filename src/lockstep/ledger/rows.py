"""The values the ledger takes and returns: plain frozen dataclasses, one per row kind.

Timestamps are timezone-aware UTC datetimes; ``values`` mappings hold canonical
values (see ``lockstep.core.records``) exactly as they were stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

QueueState = Literal["pending", "in_flight", "done", "failed", "dead"]
ChangeKind = Literal["upsert", "delete"]
RunStatus = Literal["running", "done", "failed", "interrupted"]


@dataclass(frozen=True)
class Golden:
    """The golden record of one global id; ``version`` counts its changes from 1."""

    entity: str
    global_id: str
    values: Mapping[str, Any]
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class SyncState:
    """What ``system`` last agreed on for a global id: the fingerprint of the mapped
    values and the golden version they came from (``None`` and 0 while nothing was);
    and what it last offered that could not be carried (``refused_print``), until it
    agrees again."""

    entity: str
    global_id: str
    system: str
    fingerprint: str | None
    version: int
    synced_at: datetime
    refused_print: str | None = None


@dataclass(frozen=True)
class QueueEntry:
    """A change to enqueue: record ``native_id`` of ``entity`` changed in ``origin``.
    ``version`` is the origin's own ordering of its changes (a change-table id, a
    SystemModstamp). ``seen_print`` is the fingerprint lockstep last agreed with the
    origin for the record when the change was read (``None``: it knew of none)."""

    entity: str
    origin: str
    native_id: str
    kind: ChangeKind
    values: Mapping[str, Any] | None = None
    version: str = ""
    global_id: str | None = None
    seen_print: str | None = None


@dataclass(frozen=True)
class QueueItem:
    """A queued change and where it stands."""

    id: int
    entity: str
    origin: str
    native_id: str
    kind: ChangeKind
    values: Mapping[str, Any] | None
    version: str
    global_id: str | None
    state: QueueState
    attempts: int
    available_at: datetime
    enqueued_at: datetime
    updated_at: datetime
    claimed_by: str | None
    last_error: str | None
    last_error_code: str | None = None  # the error's code (a system's, or lockstep's)
    seen_print: str | None = None  # the origin's fingerprint when the change was read


@dataclass(frozen=True)
class Run:
    """One run of a command (``mode``: migrate, sync, reconcile, ...)."""

    run_id: str
    mode: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    entities: tuple[str, ...]
    summary: Mapping[str, Any] | None
    config_hash: str | None


@dataclass(frozen=True)
class ExceptionEntry:
    """A record that failed: ``key`` identifies it in ``system`` (a native id, or the
    source key when it never got one); ``code`` is the system's error code."""

    entity: str
    system: str
    key: str
    code: str
    message: str
    job_id: str | None = None
    global_id: str | None = None  # the record's, when it has one
    seq: int | None = None  # the queue item that failed, in sync


@dataclass(frozen=True)
class RecordException:
    """A stored ``ExceptionEntry``."""

    id: int
    run_id: str | None
    entity: str
    system: str
    key: str
    code: str
    message: str
    job_id: str | None
    created_at: datetime
    resolved_at: datetime | None
    global_id: str | None = None
    seq: int | None = None
    resolved_by: str | None = None  # the run that closed it
    resolution: str | None = None  # why: synced, repaired, ignored by whom

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class Metric:
    """One measurement: ``value`` of ``metric`` for ``system`` at ``at``."""

    id: int
    at: datetime
    system: str
    metric: str
    value: float
    labels: Mapping[str, Any] | None
