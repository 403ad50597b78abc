"""Running a query job: SOQL → one CSV file on disk, read back later page by page.

The query is compiled by the emulator's SOQL compiler; SQLite then writes each
record as a finished CSV line (``csv_layout``), which goes to disk as it comes.
Every ``CHECKPOINT`` rows the file offset is kept in an index, so that a page can
start at any row without reading the file from the top. The job's rows are one
snapshot: one statement on a read connection of its own.
"""

from __future__ import annotations

import sqlite3
import time
from array import array
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from lockstep_emulator.api.bulk2.csv_layout import CsvLayout, layout
from lockstep_emulator.api.bulk2.dialect import Dialect
from lockstep_emulator.api.bulk2.errors import Bulk2Error
from lockstep_emulator.api.bulk2.jobstore import JobStore
from lockstep_emulator.api.bulk2.lifecycle import aborted, begin, finish
from lockstep_emulator.api.bulk2.model import FAILED, JOB_COMPLETE
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.org import Org
from lockstep_emulator.schema.model import Schema
from lockstep_emulator.soql import ast, parse
from lockstep_emulator.soql.compiler import compile_query
from lockstep_emulator.soql.plans import RecordPlan

__all__ = ["CHECKPOINT", "CsvLayout", "compile_bulk_query", "layout", "run_query", "write_results"]

CHECKPOINT = 1000
RESULTS = "results.csv"
INDEX = "results.idx"


def unsupported(message: str) -> Bulk2Error:
    return Bulk2Error("FEATURENOTENABLED", message)


def compile_bulk_query(
    schema: Schema, text: str, *, now: datetime, include_deleted: bool
) -> RecordPlan:
    """The plan for a Bulk API 2.0 query, or the error Salesforce gives at job creation:
    no aggregates, COUNT(), GROUP BY, OFFSET, FIELDS() or child subqueries."""
    try:
        tree = parse(text)
        if tree.offset is not None:
            raise unsupported("OFFSET is not supported in Bulk API 2.0 queries")
        for item in tree.select:
            expr = item.expr if isinstance(item, ast.SelectExpr) else None
            if isinstance(expr, ast.Call) and expr.upper == "FIELDS":
                raise unsupported("FIELDS() is not supported in Bulk API 2.0 queries")
        plan = compile_query(tree, schema, now=now, include_deleted=include_deleted, source=text)
    except SalesforceError as exc:
        raise Bulk2Error.of(exc) from None
    if not isinstance(plan, RecordPlan):
        raise unsupported("Aggregate queries are not supported in Bulk API 2.0 queries")
    if plan.children:
        raise unsupported(
            "Aggregate Relationships not supported in Bulk V2 Query with CSV content type"
        )
    return plan


def write_results(
    conn: sqlite3.Connection,
    plan: RecordPlan,
    dialect: Dialect,
    directory: Path,
    stopped: Callable[[], bool],
) -> int | None:
    """Write the query's rows to ``directory``; the row count, or None when stopped."""
    columns = layout(plan.shape)
    terminator = dialect.terminator
    header = dialect.format_rows([columns.names])
    offsets = array("q")
    count = 0
    cursor = conn.cursor()
    cursor.row_factory = None
    try:
        cursor.execute(columns.lines_sql(plan.sql, dialect.delimiter), plan.params)
        with (directory / RESULTS).open("wb") as out:
            out.write(header)
            position = len(header)
            while True:
                fetched = cursor.fetchmany(CHECKPOINT)
                if not fetched:
                    break
                offsets.append(position)
                data = (terminator.join([line for (line,) in fetched]) + terminator).encode()
                out.write(data)
                position += len(data)
                count += len(fetched)
                if stopped():
                    return None
            offsets.append(position)
    finally:
        cursor.close()
    (directory / INDEX).write_bytes(offsets.tobytes())
    return count


def run_query(jobs: JobStore, org: Org, job_id: str, halted: Callable[[], bool]) -> None:
    """Run the job's query into its results file. Stopped by a shutdown, the job stays
    InProgress and runs again from the start on the next start."""
    started = time.monotonic()
    job = begin(jobs, org, job_id)
    if job is None or job.query is None:
        return
    try:
        plan = compile_bulk_query(
            org.schema, job.query, now=org.clock.now(), include_deleted=job.operation == "queryAll"
        )
    except SalesforceError as exc:
        finish(jobs, org, job_id, FAILED, error_message=f"{exc.error_code} : {exc.message}")
        return
    conn = org.db.read_connection()
    try:
        count = write_results(
            conn,
            plan,
            Dialect(job.column_delimiter, job.line_ending),
            jobs.directory(job_id),
            lambda: halted() or aborted(jobs, job_id),
        )
    finally:
        conn.close()
    if count is not None:
        ms = int((time.monotonic() - started) * 1000)
        finish(jobs, org, job_id, JOB_COMPLETE, processed=count, processing_ms=ms)
