"""Bulk API 1.0 jobs and batches as values, and the fields Salesforce reports them with.

    job:    Open ──close──▶ Closed          Open | Closed ──abort──▶ Aborted
    batch:  Queued ─▶ InProgress ─▶ Completed | Failed (stateMessage)
            Queued ──job aborted──▶ NotProcessed

Batches run while their job is still open, as in Salesforce. A job's counts are the
sums over its batches, so they can never disagree with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

OPEN, CLOSED, ABORTED = "Open", "Closed", "Aborted"
QUEUED, IN_PROGRESS, COMPLETED, FAILED, NOT_PROCESSED = (
    "Queued",
    "InProgress",
    "Completed",
    "Failed",
    "NotProcessed",
)
DML = ("insert", "update", "upsert", "delete", "hardDelete")
QUERIES = ("query", "queryAll")
CONTENT_TYPES = ("CSV", "XML", "JSON")


@dataclass(frozen=True)
class Batch:
    id: str
    job_id: str
    created_date: str
    system_modstamp: str
    request: bytes
    state: str = QUEUED
    state_message: str | None = None
    processed: int = 0
    failed: int = 0
    processing_ms: int = 0
    outcomes: tuple[Any, ...] = ()  # DML: store.batch.Outcome per record, in input order
    result_id: str | None = None  # query: the one result set's id
    result: Any = None  # query: the rows (wire.QueryRows)

    def moved(self, state: str, stamp: str, **changes: Any) -> Batch:
        return replace(self, state=state, system_modstamp=stamp, **changes)

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "jobId": self.job_id, "state": self.state}
        if self.state_message:
            out["stateMessage"] = self.state_message
        out |= {
            "createdDate": self.created_date,
            "systemModstamp": self.system_modstamp,
            "numberRecordsProcessed": self.processed,
            "numberRecordsFailed": self.failed,
            "totalProcessingTime": self.processing_ms,
            "apiActiveProcessingTime": self.processing_ms,
            "apexProcessingTime": 0,
        }
        return out


@dataclass(frozen=True)
class Job:
    id: str
    operation: str
    object: str
    content_type: str
    concurrency_mode: str
    created_by: str
    created_date: str
    system_modstamp: str
    api_version: str
    external_id_field: str | None = None
    pk_chunking: str | None = None  # the Sforce-Enable-PKChunking header, recorded only
    state: str = OPEN
    batches: tuple[str, ...] = field(default=())

    @property
    def is_query(self) -> bool:
        return self.operation in QUERIES

    def info(self, batches: list[Batch]) -> dict[str, Any]:
        def count(state: str) -> int:
            return sum(1 for b in batches if b.state == state)

        out: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created_date,
            "systemModstamp": self.system_modstamp,
            "state": self.state,
        }
        if self.external_id_field:
            out["externalIdFieldName"] = self.external_id_field
        out |= {
            "concurrencyMode": self.concurrency_mode,
            "contentType": self.content_type,
            "numberBatchesQueued": count(QUEUED),
            "numberBatchesInProgress": count(IN_PROGRESS),
            "numberBatchesCompleted": count(COMPLETED),
            "numberBatchesFailed": count(FAILED),
            "numberBatchesTotal": len(batches),
            "numberRecordsProcessed": sum(b.processed for b in batches),
            "numberRetries": 0,
            "apiVersion": float(self.api_version),
            "numberRecordsFailed": sum(b.failed for b in batches),
            "totalProcessingTime": sum(b.processing_ms for b in batches),
            "apiActiveProcessingTime": sum(b.processing_ms for b in batches),
            "apexProcessingTime": 0,
        }
        return out
