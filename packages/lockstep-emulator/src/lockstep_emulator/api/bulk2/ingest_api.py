"""``jobs/ingest``: create a job, upload CSV, close or abort it, read its results.

POST   jobs/ingest                      create (Open)
PUT    jobs/ingest/{id}/batches         upload CSV: exactly 201, up to 150 MB a time
PATCH  jobs/ingest/{id}                 {"state": "UploadComplete"} or "Aborted"
GET    jobs/ingest/{id}                 job info
GET    jobs/ingest                      every ingest job
DELETE jobs/ingest/{id}                 204
GET    jobs/ingest/{id}/successfulResults | failedResults | unprocessedrecords
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lockstep_emulator import ids
from lockstep_emulator.api.bulk2 import service
from lockstep_emulator.api.bulk2.columns import header_names
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
from lockstep_emulator.api.bulk2.dialect import DELIMITERS, LINE_ENDINGS, Dialect, row_end
from lockstep_emulator.api.bulk2.errors import Bulk2Error, bad_value, invalid_job, invalid_state
from lockstep_emulator.api.bulk2.lifecycle import now_text
from lockstep_emulator.api.bulk2.model import (
    ABORTED,
    INGEST,
    INGEST_OPERATIONS,
    JOB_COMPLETE,
    OPEN,
    TERMINAL,
    UPLOAD_COMPLETE,
    Job,
    created_body,
    info_body,
)
from lockstep_emulator.api.bulk2.results import (
    FAILED,
    SUCCESS,
    part_path,
    result_file,
    unprocessed,
)
from lockstep_emulator.api.dispatch import Call, Reply, Router
from lockstep_emulator.schema.model import FieldType

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

MIN_VERSION = 41.0
MAX_UPLOAD_BYTES = 150 * 1024 * 1024
route = bulk2_route(MIN_VERSION)


def dialect_of(body: dict[str, object]) -> tuple[str, str]:
    delimiter = body.get("columnDelimiter") or "COMMA"
    line_ending = body.get("lineEnding") or "LF"
    if delimiter not in DELIMITERS:
        raise bad_value("ColumnDelimiterEnum", delimiter)
    if line_ending not in LINE_ENDINGS:
        raise bad_value("LineEndingEnum", line_ending)
    if body.get("contentType", "CSV") != "CSV":
        raise bad_value("ContentType", body.get("contentType"))
    return str(delimiter), str(line_ending)


@route
def create(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    body = json_object(call)
    operation = body.get("operation")
    if operation not in INGEST_OPERATIONS:
        raise bad_value("OperationEnum", operation)
    delimiter, line_ending = dialect_of(body)
    name = body.get("object")
    if not name or not isinstance(name, str):
        raise invalid_job("InvalidJob : Object is required")
    obj = ctx.org.schema.get(name)
    if obj is None:
        raise invalid_job(f"InvalidJob : Unable to find object: {name}")
    key = body.get("externalIdFieldName")
    if operation == "upsert":
        f = obj.field(str(key)) if key else None
        if f is None or not (f.external_id or f.id_lookup or f.type is FieldType.ID):
            raise invalid_job(f"InvalidJob : External ID field {key} not found for {obj.name}")
        key = f.name
    else:
        key = None
    jobs = service.of(ctx)
    stamp = now_text(ctx.org)
    with ctx.org.db.transaction():
        job_id = ids.make_id("750", ctx.org.store.pod, ctx.org.db.next_counter("750"))
        job = jobs.store.add(
            Job(
                id=job_id,
                kind=INGEST,
                operation=str(operation),
                object=obj.name,
                created_by=call.session.user_id,
                created_date=stamp,
                system_modstamp=stamp,
                state=OPEN,
                api_version=call.version,
                column_delimiter=delimiter,
                line_ending=line_ending,
                external_id_field=key,
            )
        )
    return Reply(200, created_body(job))


@route
def upload(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    job = find_job(ctx, INGEST, p["id"])
    if job.state != OPEN:
        raise invalid_state(f"Data can only be uploaded to an Open job; this one is {job.state}")
    data = _upload_body(call)
    store = service.of(ctx).store
    part_path(store.directory(job.id), job.parts).write_bytes(data)

    def add_part(current: Job) -> Job:
        if current.state != OPEN or current.parts != job.parts:
            raise invalid_state(
                f"Data can only be uploaded to an Open job; this one is {current.state}"
            )
        return replace(
            current, parts=current.parts + 1, upload_bytes=current.upload_bytes + len(data)
        )

    store.update(job.id, add_part)
    return Reply(201, raw=b"", media_type="text/plain")


def _upload_body(call: Call) -> bytes:
    """The CSV sent, gunzipped if it came compressed; at most 150 MB.

    Salesforce accepts an empty upload: it adds no rows, so it is kept as zero bytes."""
    data = call.body
    if call.headers.get("content-encoding", "").lower() == "gzip":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
                data = f.read(MAX_UPLOAD_BYTES + 1)
        except (OSError, EOFError, zlib.error):
            raise Bulk2Error("CLIENTINPUTERROR", "The upload is not valid gzip") from None
    if len(data) > MAX_UPLOAD_BYTES:
        raise Bulk2Error(
            "CLIENTINPUTERROR",
            f"The upload is over {MAX_UPLOAD_BYTES} bytes, the most that may be sent at once",
            status=413,
        )
    return data if data.strip() else b""


@route
def change_state(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    job = find_job(ctx, INGEST, p["id"])
    state = new_state(call)
    if state == ABORTED:
        return Reply(200, created_body(abort(ctx, job)))
    if state != UPLOAD_COMPLETE:
        raise invalid_state(f"Cannot change the state of a job to {state}")
    jobs = service.of(ctx)
    stamp = now_text(ctx.org)

    def close(current: Job) -> Job:
        if current.state != OPEN:
            raise invalid_state(f"Only an Open job can be closed; this one is {current.state}")
        return current.moved(UPLOAD_COMPLETE, stamp)

    job = jobs.store.update(job.id, close)
    start(ctx, call, job)
    return Reply(200, created_body(job))


@route
def info(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    return Reply(200, info_body(find_job(ctx, INGEST, p["id"])))


@route
def list_jobs(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    return job_list(ctx, call, INGEST)


@route
def remove(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    job = find_job(ctx, INGEST, p["id"])
    return delete(ctx, job, frozenset({UPLOAD_COMPLETE, *TERMINAL}))


@route
def results(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    job = find_job(ctx, INGEST, p["id"])
    if job.state not in TERMINAL:
        raise invalid_state(f"Results are available once the job has ended; it is {job.state}")
    directory = service.of(ctx).store.directory(job.id)
    dialect = Dialect(job.column_delimiter, job.line_ending)
    kind = p["kind"].lower()
    if kind == "unprocessedrecords":
        body = unprocessed(directory, dialect, job.parts, job.progress, job.state == JOB_COMPLETE)
        return csv_reply(call, body)
    names = _names(directory, dialect, job.parts)
    return csv_reply(
        call,
        result_file(directory, SUCCESS if kind == "successfulresults" else FAILED, dialect, names),
    )


def _names(directory: Path, dialect: Dialect, parts: int) -> list[str]:
    """The first upload's column names, for the header of a result file."""
    if not parts:
        return []
    with part_path(directory, 0).open("rb") as f:
        head = f.read(1 << 20)
    try:
        row = next(dialect.rows(head[: row_end(head)].decode()), [])
    except (UnicodeDecodeError, csv.Error):
        return []
    return header_names(row)


def register(router: Router) -> None:
    one = r"jobs/ingest/(?P<id>\w+)"
    router.add("POST", "jobs/ingest", create)
    router.add("GET", "jobs/ingest", list_jobs)
    router.add("PUT", one + "/batches", upload)
    router.add(
        "GET", one + "/(?P<kind>successfulResults|failedResults|unprocessedrecords)", results
    )
    router.add("GET", one, info)
    router.add("PATCH", one, change_state)
    router.add("DELETE", one, remove)
