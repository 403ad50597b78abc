"""Running one batch: its request → rows → the store's batch writes (or the SOQL) →
the batch's results, in input order.

DML batches are read in the job's format, matched to the object once
(``bulk2.columns``) and written ``CHUNK`` rows per transaction through the same
``bulk2.operations.Chunk`` as Bulk API 2.0, so a record fails on its own with the
error any other API would give it. A batch that cannot be read at all fails whole,
with a ``stateMessage`` in Salesforce's ``Code : message`` form.
"""

from __future__ import annotations

from dataclasses import dataclass

from lockstep_emulator.api.bulk1 import query, wire
from lockstep_emulator.api.bulk1.model import Job
from lockstep_emulator.api.bulk2.columns import compile_columns
from lockstep_emulator.api.bulk2.errors import JobFailure
from lockstep_emulator.api.bulk2.operations import Chunk
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.org import Org
from lockstep_emulator.store.batch import Outcome

CHUNK = 1000
MAX_RECORDS = 10_000

_READERS = {"CSV": wire.csv_rows, "XML": wire.xml_rows, "JSON": wire.json_rows}


class BatchFailure(Exception):
    """Ends the batch in Failed with ``message`` as its stateMessage."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DmlResult:
    outcomes: tuple[Outcome, ...]

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.error is not None)


def run_dml(org: Org, job: Job, request: bytes) -> DmlResult:
    obj = org.schema.get(job.object)
    if obj is None:
        raise BatchFailure(f"InvalidJob : Unable to find object: {job.object}")
    try:
        rows = _READERS[job.content_type](request)
    except wire.Bulk1Error as exc:
        raise BatchFailure(f"{exc.error_code} : {exc.message}") from None
    if not rows or not any(name.strip() for name in rows[0]):
        raise BatchFailure("InvalidBatch : The batch has no header row")
    header, records = rows[0], rows[1:]
    if len(records) > MAX_RECORDS:
        raise BatchFailure(f"InvalidBatch : Records in a batch cannot exceed {MAX_RECORDS}")
    try:
        columns = compile_columns(org.schema, obj, job.operation, header)
    except JobFailure as exc:
        raise BatchFailure(exc.message) from None
    key = obj.field(job.external_id_field) if job.external_id_field else None
    chunk = Chunk(org.store, obj, job.operation, columns, job.created_by, key)
    outcomes: list[Outcome] = []
    for start in range(0, len(records), CHUNK):
        with org.db.transaction():
            outcomes.extend(chunk.apply(records[start : start + CHUNK]))
    return DmlResult(tuple(outcomes))


def run_query(org: Org, job: Job, request: bytes) -> query.QueryRows:
    try:
        soql = request.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise BatchFailure("InvalidBatch : The query is not valid UTF-8") from None
    if not soql:
        raise BatchFailure("InvalidBatch : The batch has no query")
    try:
        return query.run_query(org, soql, include_deleted=job.operation == "queryAll")
    except SalesforceError as exc:
        raise BatchFailure(
            f"InvalidBatch : Failed to process query: {exc.error_code}: {exc.message}"
        ) from None
