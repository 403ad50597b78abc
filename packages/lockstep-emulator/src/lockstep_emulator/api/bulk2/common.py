"""What the ingest and query routes share: finding a job, listing, aborting, deleting,
CSV replies, and Bulk API 2.0's error shape on every failure."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lockstep_emulator.api.bulk2 import service
from lockstep_emulator.api.bulk2.errors import Bulk2Error, bad_value, invalid_state, no_such_job
from lockstep_emulator.api.bulk2.lifecycle import finish, now_text
from lockstep_emulator.api.bulk2.model import (
    ABORTED,
    FAILED,
    IN_PROGRESS,
    JOB_TYPES,
    OPEN,
    TERMINAL,
    UPLOAD_COMPLETE,
    Job,
    list_body,
)
from lockstep_emulator.api.bulk2.pages import decode_locator, encode_locator, gzipped
from lockstep_emulator.api.dispatch import Call, Handler, Reply
from lockstep_emulator.errors import SalesforceError

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

LIST_PAGE = 1000
CSV = "text/csv"


def bulk2_route(min_version: float) -> Callable[[Handler], Handler]:
    """Bulk API 2.0 exists from ``min_version`` on; its errors have no ``fields``."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def route(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
            if call.api_number < min_version:
                raise Bulk2Error("NOT_FOUND", "The requested resource does not exist", status=404)
            try:
                return handler(ctx, call, p)
            except SalesforceError as exc:
                raise Bulk2Error.of(exc) from None

        return route

    return wrap


def find_job(ctx: ApiContext, kind: str, job_id: str) -> Job:
    job = service.of(ctx).store.get(job_id)
    if job is None or job.kind != kind:
        raise no_such_job()
    return job


def json_object(call: Call) -> dict[str, Any]:
    body = call.json()
    if not isinstance(body, dict):
        raise Bulk2Error("JSON_PARSER_ERROR", "The request body must be a JSON object")
    return body


def csv_reply(call: Call, body: bytes, headers: dict[str, str] | None = None) -> Reply:
    """A CSV body, gzipped when the client accepts it (as Salesforce does)."""
    out = dict(headers or {})
    if "gzip" in call.headers.get("accept-encoding", "").lower():
        body = gzipped(body)
        out["Content-Encoding"] = "gzip"
    return Reply(200, raw=body, media_type=CSV, headers=out)


def start(ctx: ApiContext, call: Call, job: Job) -> None:
    """Hand a closed job to the workers; under a ``job_failed`` fault it ends Failed
    instead, with the rule's message."""
    jobs = service.of(ctx)
    if call.job_failure is None:
        jobs.submit(job)
    else:
        finish(jobs.store, ctx.org, job.id, FAILED, error_message=call.job_failure)


def new_state(call: Call) -> str:
    state = json_object(call).get("state")
    if state not in (OPEN, UPLOAD_COMPLETE, IN_PROGRESS, ABORTED, *TERMINAL):
        raise bad_value("JobStateEnum", state)
    return str(state)


def abort(ctx: ApiContext, job: Job) -> Job:
    """``PATCH {"state": "Aborted"}``: allowed until the job has ended."""
    if job.state in TERMINAL:
        raise invalid_state(f"Aborting an already {job.state} job is not allowed")
    stamp = now_text(ctx.org)

    def change(current: Job) -> Job:
        if current.state in TERMINAL:
            raise invalid_state(f"Aborting an already {current.state} job is not allowed")
        return current.moved(ABORTED, stamp)

    return service.of(ctx).store.update(job.id, change)


def delete(ctx: ApiContext, job: Job, allowed: frozenset[str]) -> Reply:
    """``DELETE``: the job and its files go; 204 (simple-salesforce's ``delete_job``
    calls ``.json()`` on this reply, which fails against Salesforce too)."""
    if not service.of(ctx).store.remove_if(job.id, allowed):
        raise invalid_state(f"A job in state {job.state} cannot be deleted")
    return Reply(204)


def job_list(ctx: ApiContext, call: Call, kind: str) -> Reply:
    """``GET jobs/ingest`` or ``jobs/query``: 1,000 jobs a page, oldest first."""
    jobs = service.of(ctx).store.jobs(kind)
    job_type = call.query.get("jobType")
    pk_chunking = call.query.get("isPkChunkingEnabled", "").lower() == "true"
    if (job_type and job_type != JOB_TYPES[kind]) or pk_chunking:
        jobs = []
    start = (
        decode_locator(call.query["queryLocator"], len(jobs))
        if call.query.get("queryLocator")
        else 0
    )
    page = jobs[start : start + LIST_PAGE]
    body: dict[str, Any] = {
        "done": start + len(page) >= len(jobs),
        "records": [list_body(j) for j in page],
    }
    body["nextRecordsUrl"] = (
        None
        if body["done"]
        else f"/services/data/v{call.version}/jobs/{kind}?queryLocator="
        f"{encode_locator(start + len(page))}"
    )
    return Reply(200, body)
