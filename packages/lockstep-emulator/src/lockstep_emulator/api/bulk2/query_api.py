"""``jobs/query``: run a SOQL query in the background, read its CSV page by page.

POST   jobs/query                       create (UploadComplete, then runs)
GET    jobs/query/{id}                  job info
GET    jobs/query                       every query job
PATCH  jobs/query/{id}                  {"state": "Aborted"}
DELETE jobs/query/{id}                  204
GET    jobs/query/{id}/results?maxRecords=N&locator=L
       CSV; ``Sforce-NumberOfRecords`` always, ``Sforce-Locator`` the next page's
       locator or ``null``; gzipped when the client accepts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockstep_emulator import ids
from lockstep_emulator.api.bulk2 import service
from lockstep_emulator.api.bulk2.common import (
    abort,
    bulk2_route,
    csv_reply,
    delete,
    find_job,
    job_list,
    json_object,
    new_state,
    start,
)
from lockstep_emulator.api.bulk2.errors import Bulk2Error, bad_value, invalid_job, invalid_state
from lockstep_emulator.api.bulk2.extract import compile_bulk_query
from lockstep_emulator.api.bulk2.ingest_api import dialect_of
from lockstep_emulator.api.bulk2.lifecycle import now_text
from lockstep_emulator.api.bulk2.model import (
    ABORTED,
    JOB_COMPLETE,
    QUERY,
    QUERY_OPERATIONS,
    TERMINAL,
    UPLOAD_COMPLETE,
    Job,
    created_body,
    info_body,
)
from lockstep_emulator.api.bulk2.pages import decode_locator, read_page
from lockstep_emulator.api.dispatch import Call, Reply, Router

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

MIN_VERSION = 47.0
route = bulk2_route(MIN_VERSION)


@route
def create(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    body = json_object(call)
    operation = body.get("operation")
    if operation not in QUERY_OPERATIONS:
        raise bad_value("OperationEnum", operation)
    delimiter, line_ending = dialect_of(body)
    text = body.get("query")
    if not text or not isinstance(text, str):
        raise invalid_job("InvalidJob : A query is required")
    plan = compile_bulk_query(
        ctx.org.schema, text, now=ctx.org.clock.now(), include_deleted=operation == "queryAll"
    )
    jobs = service.of(ctx)
    stamp = now_text(ctx.org)
    with ctx.org.db.transaction():
        job_id = ids.make_id("750", ctx.org.store.pod, ctx.org.db.next_counter("750"))
        job = jobs.store.add(
            Job(
                id=job_id,
                kind=QUERY,
                operation=str(operation),
                object=plan.shape.sobject,
                created_by=call.session.user_id,
                created_date=stamp,
                system_modstamp=stamp,
                state=UPLOAD_COMPLETE,
                api_version=call.version,
                column_delimiter=delimiter,
                line_ending=line_ending,
                query=text,
            )
        )
    start(ctx, call, job)
    return Reply(200, created_body(job))


@route
def info(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    return Reply(200, info_body(find_job(ctx, QUERY, p["id"])))


@route
def list_jobs(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    return job_list(ctx, call, QUERY)


@route
def change_state(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    job = find_job(ctx, QUERY, p["id"])
    state = new_state(call)
    if state != ABORTED:
        raise invalid_state(f"A query job can only be aborted, not set to {state}")
    return Reply(200, created_body(abort(ctx, job)))


@route
def remove(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    return delete(ctx, find_job(ctx, QUERY, p["id"]), TERMINAL)


@route
def results(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    job = find_job(ctx, QUERY, p["id"])
    if job.state != JOB_COMPLETE:
        raise invalid_state(f"Results are available once the job is JobComplete; it is {job.state}")
    max_records: int | None = None
    if call.query.get("maxRecords"):
        try:
            max_records = int(call.query["maxRecords"])
        except ValueError:
            max_records = 0
        if max_records < 1:
            raise Bulk2Error(
                "INVALIDMAXRECORDS",
                f"maxRecords must be a positive integer: {call.query['maxRecords']}",
            )
    locator = call.query.get("locator", "")
    start = decode_locator(locator, job.processed) if locator and locator != "null" else 0
    page = read_page(service.of(ctx).store.directory(job.id), job.processed, start, max_records)
    headers = {"Sforce-NumberOfRecords": str(page.count), "Sforce-Locator": page.locator}
    return csv_reply(call, page.body, headers)


def register(router: Router) -> None:
    one = r"jobs/query/(?P<id>\w+)"
    router.add("POST", "jobs/query", create)
    router.add("GET", "jobs/query", list_jobs)
    router.add("GET", one + "/results", results)
    router.add("GET", one, info)
    router.add("PATCH", one, change_state)
    router.add("DELETE", one, remove)
