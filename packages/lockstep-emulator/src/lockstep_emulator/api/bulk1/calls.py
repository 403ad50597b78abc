"""The Bulk API 1.0 calls under ``/services/async/VER/``: jobs, batches, results.

Every call is authenticated (``X-SFDC-Session``) and counted against the daily
allocation. Errors are ``{"exceptionCode", "exceptionMessage"}`` or XML ``<error>``,
in the job's format once the job is known, else in the request's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from lockstep_emulator.api.bulk1 import query, wire
from lockstep_emulator.api.bulk1.model import (
    ABORTED,
    CLOSED,
    COMPLETED,
    CONTENT_TYPES,
    DML,
    OPEN,
    QUERIES,
    Batch,
    Job,
)
from lockstep_emulator.api.bulk1.service import Bulk1Jobs
from lockstep_emulator.api.bulk1.wire import Bulk1Error
from lockstep_emulator.api.bulk2.lifecycle import now_text
from lockstep_emulator.api.sessions import Session
from lockstep_emulator.schema.model import FieldType

Answer = tuple[int, bytes, str]


@dataclass
class Call:
    method: str
    parts: list[str]  # the path after the version, split on "/"
    version: str
    content_type: str
    headers: dict[str, str]
    body: bytes
    session: Session
    jobs: Bulk1Jobs
    json_errors: bool = False  # set once the job (and so its format) is known

    def job(self, job_id: str) -> Job:
        job = self.jobs.job(job_id)
        if job is None:
            raise Bulk1Error("InvalidJob", f"Unable to find job with id {job_id}")
        self.json_errors = job.content_type == "JSON"
        return job


def _create_job(call: Call) -> Answer:
    doc = wire.parse_document(call.body, call.content_type)
    json = wire.wants_json(call.content_type)
    org = call.jobs.org
    operation = str(doc.get("operation") or "")
    if operation not in DML + QUERIES:
        raise Bulk1Error("InvalidJob", f"Invalid operation: {operation}")
    name = str(doc.get("object") or "")
    obj = org.schema.get(name)
    if obj is None:
        raise Bulk1Error("InvalidJob", f"Unable to find object: {name}")
    content_type = str(doc.get("contentType") or "XML").upper()
    if content_type not in CONTENT_TYPES:
        raise Bulk1Error("InvalidJob", f"Unsupported content type: {doc.get('contentType')}")
    external = doc.get("externalIdFieldName") or None
    if operation == "upsert":
        key = obj.field(str(external)) if external else None
        if key is None:
            raise Bulk1Error(
                "InvalidJob", f"External ID field not found or not specified: {external}"
            )
        if not (key.external_id or key.id_lookup or key.type is FieldType.ID):
            raise Bulk1Error("InvalidJob", f"The field {key.name} is not an external id field")
        external = key.name
    stamp = now_text(org)
    job = Job(
        id=call.jobs.new_id("750"),
        operation=operation,
        object=obj.name,
        content_type=content_type,
        concurrency_mode=_concurrency(doc.get("concurrencyMode")),
        created_by=call.session.user_id,
        created_date=stamp,
        system_modstamp=stamp,
        api_version=call.version,
        external_id_field=str(external) if external and operation == "upsert" else None,
        pk_chunking=call.headers.get("sforce-enable-pkchunking"),
    )
    call.jobs.add_job(job)
    return (201, *wire.info_body("jobInfo", job.info([]), json))


def _concurrency(value: Any) -> str:
    modes = {"0": "Parallel", "1": "Serial", "parallel": "Parallel", "serial": "Serial"}
    if value is None or value == "":
        return "Parallel"
    mode = modes.get(str(value).lower())
    if mode is None or isinstance(value, bool):
        raise Bulk1Error("InvalidJob", f"Invalid concurrency mode: {value}")
    return mode


def _job_info(call: Call) -> Answer:
    job = call.job(call.parts[1])
    return (200, *wire.info_body("jobInfo", job.info(call.jobs.batches(job)), call.json_errors))


def _update_job(call: Call) -> Answer:
    job = call.job(call.parts[1])
    doc = wire.parse_document(call.body, call.content_type)
    state = doc.get("state")
    if state not in (CLOSED, ABORTED):
        raise Bulk1Error("InvalidJobState", f"Invalid state: {state}")
    stamp = now_text(call.jobs.org)

    def change(current: Job) -> Job:
        if current.state == ABORTED or (current.state == CLOSED and state == CLOSED):
            return current
        return replace(current, state=str(state), system_modstamp=stamp)

    if job.state == ABORTED:
        raise Bulk1Error("InvalidJobState", f"Job {job.id} is already aborted")
    job = call.jobs.set_state(job.id, change)
    return (200, *wire.info_body("jobInfo", job.info(call.jobs.batches(job)), call.json_errors))


def _add_batch(call: Call) -> Answer:
    job = call.job(call.parts[1])
    if job.state != OPEN:
        raise Bulk1Error("InvalidJobState", f"Job {job.id} is not open")
    if not call.body.strip():
        raise Bulk1Error("ClientInputError", "Unable to find any data to create batch")
    batch = call.jobs.add_batch(job, call.body)
    return (201, *wire.info_body("batchInfo", batch.info(), call.json_errors))


def _batch_list(call: Call) -> Answer:
    job = call.job(call.parts[1])
    infos = [b.info() for b in call.jobs.batches(job)]
    return (200, *wire.batch_list_body(infos, call.json_errors))


def _batch(call: Call) -> tuple[Job, Batch]:
    job = call.job(call.parts[1])
    batch = call.jobs.batch(job, call.parts[3])
    if batch is None:
        raise Bulk1Error("InvalidBatch", f"Unable to find batch with id {call.parts[3]}")
    return job, batch


def _batch_info(call: Call) -> Answer:
    _, batch = _batch(call)
    return (200, *wire.info_body("batchInfo", batch.info(), call.json_errors))


def _batch_request(call: Call) -> Answer:
    job, batch = _batch(call)
    media = "text/plain" if job.is_query else _MEDIA[job.content_type]
    return 200, batch.request, media


def _batch_result(call: Call) -> Answer:
    job, batch = _batch(call)
    if batch.state != COMPLETED:
        raise Bulk1Error("InvalidBatch", f"Batch not completed: {batch.state}")
    if job.is_query:
        return (200, *wire.result_ids_body([batch.result_id or ""], call.json_errors))
    return (200, *wire.dml_results(batch.outcomes, job.content_type))


def _query_result(call: Call) -> Answer:
    job, batch = _batch(call)
    if not job.is_query or batch.state != COMPLETED or call.parts[5] != batch.result_id:
        raise Bulk1Error("InvalidBatch", f"Unable to find result with id {call.parts[5]}")
    return (200, *query.render(batch.result, job.content_type, job.api_version))


_MEDIA = {"CSV": wire.CSV, "XML": wire.XML, "JSON": wire.JSON}
_ID = r"[A-Za-z0-9]{15,18}"
_TABLE: list[tuple[str, re.Pattern[str], Callable[[Call], Answer]]] = [
    ("POST", re.compile(r"^job$"), _create_job),
    ("GET", re.compile(rf"^job/{_ID}$"), _job_info),
    ("POST", re.compile(rf"^job/{_ID}$"), _update_job),
    ("GET", re.compile(rf"^job/{_ID}/batch$"), _batch_list),
    ("POST", re.compile(rf"^job/{_ID}/batch$"), _add_batch),
    ("GET", re.compile(rf"^job/{_ID}/batch/{_ID}$"), _batch_info),
    ("GET", re.compile(rf"^job/{_ID}/batch/{_ID}/request$"), _batch_request),
    ("GET", re.compile(rf"^job/{_ID}/batch/{_ID}/result$"), _batch_result),
    ("GET", re.compile(rf"^job/{_ID}/batch/{_ID}/result/{_ID}$"), _query_result),
]


def dispatch(call: Call) -> Answer:
    path = "/".join(call.parts)
    allowed = False
    for method, pattern, handler in _TABLE:
        if pattern.match(path):
            if method == call.method:
                return handler(call)
            allowed = True
    if allowed:
        raise Bulk1Error("InvalidUrl", f"HTTP method {call.method} not allowed", status=405)
    raise Bulk1Error("InvalidUrl", "The requested resource does not exist", status=404)
