"""Running an ingest job: the uploads, chunk by chunk, through the store's batch writes.

Each chunk (whole rows, about ``BLOCK_BYTES`` of the upload) is one database
transaction holding its records, their change events, the job's new counts and
progress, and the result-file sizes; its result rows are written to disk before the
commit and cut back if it rolls back. A chunk keeps the database lock for tens of
milliseconds, so REST calls go on while a job runs. A job interrupted by a shutdown
stays ``InProgress`` and resumes from its last committed chunk on the next start.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from lockstep_emulator.api.bulk2.columns import Columns, compile_columns, header_names
from lockstep_emulator.api.bulk2.dialect import Dialect, blocks, row_end
from lockstep_emulator.api.bulk2.errors import JobFailure
from lockstep_emulator.api.bulk2.jobstore import JobStore
from lockstep_emulator.api.bulk2.lifecycle import aborted, begin, finish, now_text
from lockstep_emulator.api.bulk2.model import FAILED, JOB_COMPLETE, Job, Progress
from lockstep_emulator.api.bulk2.operations import Chunk
from lockstep_emulator.api.bulk2.results import ResultFiles, part_path
from lockstep_emulator.org import Org

BLOCK_BYTES = 256 * 1024
HEADER_PEEK = 1 << 20


def run_ingest(jobs: JobStore, org: Org, job_id: str, halted: Callable[[], bool]) -> None:
    """Take the job from where it stands to JobComplete, Failed or Aborted; return
    early, leaving it InProgress, when ``halted()`` says the server is stopping."""
    started = time.monotonic()
    job = begin(jobs, org, job_id)
    if job is None:
        return
    base_ms = job.processing_ms

    def elapsed() -> int:
        return base_ms + int((time.monotonic() - started) * 1000)

    directory = jobs.directory(job_id)
    dialect = Dialect(job.column_delimiter, job.line_ending)
    try:
        columns, starts = _prepare(org, job, directory, dialect)
        chunk = _chunk(org, job, columns) if columns is not None else None
    except JobFailure as exc:
        finish(jobs, org, job_id, FAILED, processing_ms=elapsed(), error_message=exc.message)
        return
    if columns is None or chunk is None:
        finish(jobs, org, job_id, JOB_COMPLETE, processing_ms=elapsed())
        return
    files = ResultFiles(directory, dialect, columns.names, job.progress)
    try:
        for number in range(job.progress.part, job.parts):
            resume = number == job.progress.part and job.progress.offset
            start = job.progress.offset if resume else starts[number]
            for end, block in blocks(part_path(directory, number), start, BLOCK_BYTES):
                if halted() or aborted(jobs, job_id):
                    return
                rows = _parse(dialect, block)
                _commit(jobs, org, job_id, chunk, files, rows, number, end, elapsed)
    except JobFailure as exc:
        finish(jobs, org, job_id, FAILED, processing_ms=elapsed(), error_message=exc.message)
        return
    finally:
        files.close()
    finish(jobs, org, job_id, JOB_COMPLETE, processing_ms=elapsed())


def _commit(
    jobs: JobStore,
    org: Org,
    job_id: str,
    chunk: Chunk,
    files: ResultFiles,
    rows: list[list[str]],
    part: int,
    end: int,
    elapsed: Callable[[], int],
) -> None:
    before = files.sizes()
    try:
        with org.db.transaction():
            outcomes = chunk.apply(rows)
            success, failed = files.append(rows, outcomes)
            errors = sum(1 for o in outcomes if o.error is not None)
            stamp = now_text(org)

            def change(job: Job) -> Job:
                return replace(
                    job,
                    processed=job.processed + len(rows),
                    failed=job.failed + errors,
                    processing_ms=elapsed(),
                    system_modstamp=stamp,
                    progress=Progress(part, end, success, failed),
                )

            jobs.update(job_id, change)
    except BaseException:
        files.cut(before)
        raise


def _parse(dialect: Dialect, block: bytes) -> list[list[str]]:
    try:
        return [row for row in dialect.rows(block.decode()) if row]
    except UnicodeDecodeError:
        raise JobFailure("ClientInputError : The uploaded data is not valid UTF-8") from None
    except csv.Error as exc:
        raise JobFailure(f"ClientInputError : Unable to parse the CSV data: {exc}") from None


def _prepare(
    org: Org, job: Job, directory: Path, dialect: Dialect
) -> tuple[Columns | None, list[int]]:
    """Check every upload's header; the columns, and where each upload's rows start.

    Empty uploads (zero bytes) are skipped; when every upload was empty there are no
    columns and the job completes having processed nothing, as in Salesforce."""
    if job.parts == 0:
        raise JobFailure("ClientInputError : No data was uploaded for this job")
    obj = org.schema.get(job.object)
    if obj is None:
        raise JobFailure(f"InvalidJob : Unable to find object: {job.object}")
    columns: Columns | None = None
    starts = []
    for number in range(job.parts):
        path = part_path(directory, number)
        if path.stat().st_size == 0:
            starts.append(0)
            continue
        header, start = _header(path, dialect)
        if columns is None:
            columns = compile_columns(org.schema, obj, job.operation, header)
        elif [n.lower() for n in header_names(header)] != [n.lower() for n in columns.names]:
            raise JobFailure(
                f"InvalidBatch : The header of upload {number + 1} differs from the first upload's"
            )
        starts.append(start)
    return columns, starts


def _header(path: Path, dialect: Dialect) -> tuple[Sequence[str], int]:
    with path.open("rb") as f:
        head = f.read(HEADER_PEEK)
        end = row_end(head)
        if end == len(head) and len(head) == HEADER_PEEK:
            head += f.read()
            end = row_end(head)
    problem = dialect.line_ending_error(head[:end])
    if problem:
        raise JobFailure(problem)
    rows = _parse(dialect, head[:end])
    if not rows or not any(name.strip() for name in rows[0]):
        raise JobFailure("ClientInputError : The uploaded data has no header row")
    return rows[0], end


def _chunk(org: Org, job: Job, columns: Columns) -> Chunk:
    obj = org.schema.get(job.object)
    assert obj is not None
    key = obj.field(job.external_id_field) if job.external_id_field else None
    return Chunk(org.store, obj, job.operation, columns, job.created_by, key)
