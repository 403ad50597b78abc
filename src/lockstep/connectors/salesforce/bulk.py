"""Writes through one Bulk API 2.0 ingest job per group of operations.

::

    POST  jobs/ingest                 create (Open)
    PUT   jobs/ingest/{id}/batches    the CSV, once
    PATCH jobs/ingest/{id}            UploadComplete: Salesforce starts
    GET   jobs/ingest/{id}            poll, about when the job should end (bulk_pace)
    GET   …/successfulResults         only when some succeeded
    GET   …/failedResults             only when some failed

so a job costs 4 calls plus one per poll (usually two), one more when some records
succeed and others fail. Unprocessed rows are the rows in neither file, so
``unprocessedrecords`` is never fetched.

Nothing is done before ``UploadComplete``: a failure up to there aborts the job and
is raised, and the whole write may simply be tried again. After it the job runs on
its own: a failure to learn its outcome gives every op ``OUTCOME_UNKNOWN`` with the
job id, so someone can look it up. A job still running at the timeout is aborted,
and what it did by then is reported like any other outcome. Rows the job did not
process (in neither results file: it failed, was aborted, or lost them) are
``not_done``: transient, coded ``BULK_JOB_FAILED``, ``BULK_JOB_ABORTED`` or
``BULK_RESULT_MISSING``, so they wait for a retry.

Every result carries the job's id (``OpResult.job_id``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from lockstep.connectors.base import not_done
from lockstep.connectors.salesforce.bulk_pace import pace
from lockstep.connectors.salesforce.bulk_results import Matcher, map_results
from lockstep.connectors.salesforce.bulk_table import Table, table
from lockstep.connectors.salesforce.client import SalesforceClient
from lockstep.connectors.salesforce.records import OUTCOME_UNKNOWN, Action
from lockstep.core.ops import Op, OpResult
from lockstep.errors import SystemFailure, Terminal, Transient

TERMINAL = frozenset({"JobComplete", "Failed", "Aborted"})
# After an abort, the job's processed count must stay still this long before its
# results are read: at least SETTLE_FLOOR seconds, or the time the job took for
# SETTLE_ROWS rows (Salesforce runs ingest jobs in internal batches of 10,000
# records), at most SETTLE_CAP seconds.
SETTLE_FLOOR = 1.0
SETTLE_ROWS = 10_000
SETTLE_CAP = 60.0
LEFT_OVER = {
    "JobComplete": "BULK_RESULT_MISSING",
    "Failed": "BULK_JOB_FAILED",
    "Aborted": "BULK_JOB_ABORTED",
}


class BulkJob:
    """One ingest job for one group of ops."""

    def __init__(
        self,
        client: SalesforceClient,
        *,
        poll_seconds: float,
        timeout_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep
        self.clock = clock

    def run(
        self, obj: str, action: Action, match_on: str | None, ops: Sequence[Op]
    ) -> list[OpResult]:
        upload = table(action, match_on, ops)
        spec: dict[str, Any] = {
            "object": obj,
            "operation": action,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        if match_on is not None:
            spec["externalIdFieldName"] = match_on
        job_id = str(self.client.rest("POST", "jobs/ingest", body=spec)["id"])
        try:
            self.client.raw(
                "PUT",
                f"jobs/ingest/{job_id}/batches",
                data=upload.csv_bytes(),
                content_type="text/csv",
                resend_safe=False,
            )
            self._close(job_id)
        except SystemFailure:
            self._abort(job_id)
            raise
        try:
            info = self._wait(job_id, len(ops))
            found = self._results(job_id, info, upload)
        except SystemFailure as failure:
            message = f"Bulk job {job_id}: {failure.message}"
            return [_failed(OUTCOME_UNKNOWN, message, op, job_id) for op in ops]
        code = LEFT_OVER.get(str(info.get("state")), "BULK_RESULT_MISSING")
        reason = (
            info.get("errorMessage") or f"not processed by Bulk job {job_id} ({info.get('state')})"
        )
        left_over = not_done(Transient(self.client.system, str(reason)), code=code)
        return [
            _with_id(result, op)
            if result is not None
            else OpResult(ok=False, native_id=op.native_id, error=left_over, job_id=job_id)
            for result, op in zip(found, ops, strict=True)
        ]

    def _close(self, job_id: str) -> None:
        """UploadComplete; when a resent close is refused, the first one did it."""
        try:
            self.client.rest("PATCH", f"jobs/ingest/{job_id}", body={"state": "UploadComplete"})
        except Terminal:
            if self._info(job_id).get("state") == "Open":
                raise

    def _abort(self, job_id: str) -> None:
        # Best effort: an Open job that is never closed does nothing, and expires.
        with contextlib.suppress(SystemFailure):
            self.client.rest("PATCH", f"jobs/ingest/{job_id}", body={"state": "Aborted"})

    def _info(self, job_id: str) -> dict[str, Any]:
        return dict(self.client.rest("GET", f"jobs/ingest/{job_id}"))

    def _wait(self, job_id: str, rows: int) -> dict[str, Any]:
        """The job's info once it has ended (aborting it at the timeout)."""
        closed = self.clock()
        deadline = closed + self.timeout_seconds
        schedule = pace(rows, self.poll_seconds)
        while True:
            self.sleep(max(min(schedule.wait, deadline - self.clock()), 0.0))
            info = self._info(job_id)
            if info.get("state") in TERMINAL:
                return info
            now = self.clock()
            if now >= deadline:
                self._abort(job_id)
                info = self._settled(job_id)
                if info.get("state") in TERMINAL:
                    return info
                raise Terminal(
                    self.client.system,
                    f"Bulk job {job_id} did not end in {self.timeout_seconds:g} s",
                )
            schedule = schedule.after(info, now - closed)

    def _settled(self, job_id: str) -> dict[str, Any]:
        """After an abort, the batch in flight may still commit: read the job until its
        processed count has stood still for longer than a batch takes, so that no row it
        wrote is reported as unwritten (a caller retrying such a row would insert it
        twice). Two equal reads a poll apart are not enough: a batch can take longer."""
        info = self._info(job_id)
        window = settle_window(info, self.poll_seconds)
        still_since = self.clock()
        give_up = still_since + SETTLE_CAP
        while True:
            self.sleep(self.poll_seconds)
            again = self._info(job_id)
            now = self.clock()
            if again.get("numberRecordsProcessed") != info.get("numberRecordsProcessed"):
                still_since = now
                window = settle_window(again, self.poll_seconds)
            info = again
            settled = info.get("state") in TERMINAL and now - still_since >= window
            if settled or now >= give_up:
                return info

    def _results(self, job_id: str, info: dict[str, Any], upload: Table) -> list[OpResult | None]:
        processed = int(info.get("numberRecordsProcessed") or 0)
        failed = int(info.get("numberRecordsFailed") or 0)
        successes = self._file(job_id, "successfulResults") if processed > failed else b""
        failures = self._file(job_id, "failedResults") if failed > 0 else b""
        return map_results(Matcher(upload), job_id, successes, failures)

    def _file(self, job_id: str, name: str) -> bytes:
        return self.client.raw("GET", f"jobs/ingest/{job_id}/{name}").content


def settle_window(info: dict[str, Any], poll_seconds: float) -> float:
    """How long an aborted job's processed count must stand still, from the pace the
    job has kept so far (``totalProcessingTime`` over ``numberRecordsProcessed``)."""
    processed = int(info.get("numberRecordsProcessed") or 0)
    spent = float(info.get("totalProcessingTime") or 0) / 1000
    batch = spent / processed * SETTLE_ROWS if processed else spent
    return min(max(batch, SETTLE_FLOOR, 2 * poll_seconds), SETTLE_CAP)


def _with_id(result: OpResult, op: Op) -> OpResult:
    if result.native_id is None and op.native_id is not None:
        return replace(result, native_id=op.native_id)
    return result


def _failed(code: str, message: str, op: Op, job_id: str) -> OpResult:
    failed = OpResult.failed(code, message, native_id=op.native_id)
    return replace(failed, job_id=job_id)
