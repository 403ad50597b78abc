"""A Bulk API 2.0 job as a value, and the JSON shapes Salesforce describes it in.

A job moves through named states and never back::

    ingest:  Open ──PATCH UploadComplete──▶ UploadComplete ─▶ InProgress ─▶ JobComplete
                                                                        ├─▶ Failed
             Open | UploadComplete | InProgress ──PATCH Aborted──▶ Aborted
    query:   UploadComplete ─▶ InProgress ─▶ JobComplete | Failed | Aborted

Every change makes a new ``Job`` (``dataclasses.replace``) that the ``JobStore``
persists, so what a client polls is always what was last committed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

OPEN = "Open"
UPLOAD_COMPLETE = "UploadComplete"
IN_PROGRESS = "InProgress"
JOB_COMPLETE = "JobComplete"
FAILED = "Failed"
ABORTED = "Aborted"
TERMINAL = frozenset({JOB_COMPLETE, FAILED, ABORTED})

INGEST = "ingest"
QUERY = "query"
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
QUERY_OPERATIONS = ("query", "queryAll")
JOB_TYPES = {INGEST: "V2Ingest", QUERY: "V2Query"}


@dataclass(frozen=True)
class Progress:
    """How far an ingest job got, committed with the records it wrote: the upload part
    and byte offset of the next row, and the sizes of the result files at that point."""

    part: int = 0
    offset: int = 0
    success_bytes: int = 0
    failed_bytes: int = 0


@dataclass(frozen=True)
class Job:
    id: str
    kind: str  # INGEST | QUERY
    operation: str
    object: str
    created_by: str
    created_date: str
    system_modstamp: str
    state: str
    api_version: str  # "59.0"
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    external_id_field: str | None = None
    query: str | None = None
    processed: int = 0
    failed: int = 0
    processing_ms: int = 0
    error_message: str | None = None
    parts: int = 0
    upload_bytes: int = 0
    progress: Progress = field(default_factory=Progress)

    def moved(self, state: str, stamp: str, **changes: Any) -> Job:
        return replace(self, state=state, system_modstamp=stamp, **changes)

    @property
    def content_url(self) -> str:
        return f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches"

    def to_store(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> Job:
        progress = Progress(**data.pop("progress", {}))
        return cls(**data, progress=progress)


def _head(job: Job) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": job.id,
        "operation": job.operation,
        "object": job.object,
        "createdById": job.created_by,
        "createdDate": job.created_date,
        "systemModstamp": job.system_modstamp,
        "state": job.state,
    }
    if job.external_id_field:
        body["externalIdFieldName"] = job.external_id_field
    body.update(concurrencyMode="Parallel", contentType="CSV", apiVersion=float(job.api_version))
    return body


def created_body(job: Job) -> dict[str, Any]:
    """The reply to ``POST jobs/ingest`` or ``jobs/query``, and to a state change."""
    body = _head(job)
    if job.kind == INGEST and job.state == OPEN:
        body["contentUrl"] = job.content_url
    body.update(lineEnding=job.line_ending, columnDelimiter=job.column_delimiter)
    return body


def info_body(job: Job) -> dict[str, Any]:
    """``GET jobs/ingest/{id}`` or ``jobs/query/{id}``: counts are integers."""
    body = _head(job)
    body["jobType"] = JOB_TYPES[job.kind]
    if job.kind == INGEST and job.state == OPEN:
        body["contentUrl"] = job.content_url
    body.update(lineEnding=job.line_ending, columnDelimiter=job.column_delimiter)
    body["numberRecordsProcessed"] = job.processed
    if job.kind == INGEST:
        body["numberRecordsFailed"] = job.failed
    body["retries"] = 0
    body["totalProcessingTime"] = job.processing_ms
    if job.kind == INGEST:
        body["apiActiveProcessingTime"] = job.processing_ms
        body["apexProcessingTime"] = 0
    else:
        body["isPkChunkingSupported"] = True
    if job.error_message:
        body["errorMessage"] = job.error_message
    return body


def list_body(job: Job) -> dict[str, Any]:
    """One entry of ``GET jobs/ingest`` or ``jobs/query``."""
    body = _head(job)
    body["jobType"] = JOB_TYPES[job.kind]
    if job.kind == INGEST and job.state == OPEN:
        body["contentUrl"] = job.content_url
    body.update(lineEnding=job.line_ending, columnDelimiter=job.column_delimiter)
    if job.kind == QUERY:
        body["isPkChunkingSupported"] = True
    return body
