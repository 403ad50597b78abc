"""Reading records through one Bulk API 2.0 query job.

::

    POST jobs/query               create, with the SOQL: Salesforce runs it at once
    GET  jobs/query/{id}          poll, about when the job should end (bulk_pace)
    GET  jobs/query/{id}/results  ?maxRecords=N, then &locator=L from the page before
                                  (its Sforce-Locator), until that says "null"

so N records cost 1 + the polls (usually one to three) + ⌈N / page_records⌉ calls,
where REST query pages cost ⌈N / 2,000⌉. A page is fetched whole, then parsed and
handed on in chunks; the next is fetched only once the caller has taken those, so
memory holds one page of CSV and one chunk of rows. A page is asked for in records,
``page_records`` of them unless so many would pass ``PAGE_BYTES`` of CSV (an object
of hundreds of fields, or long text), judged by the size of the rows seen so far: the
REST page before the job, then each results page.

CSV cells are text: an empty cell is null, booleans are ``true``/``false``, numbers,
dates and datetimes are written as in JSON; ``values.from_csv`` turns each, by its
field's kind, into exactly what the REST path gives.

Nothing short is ever returned. A job that ends ``Failed`` raises what a REST call
failing with the error its ``errorMessage`` names would raise (the code before the
first colon; a 5xx, ``Unreachable``, when it names none or an internal error); one
``Aborted`` by someone else raises ``Transient``, one still running at the timeout
is aborted and raises ``Unreachable``. A page holding other than its
``Sforce-NumberOfRecords`` rows, a row of the wrong width, or pages adding up to
other than the rows the job processed raise ``Unreachable``. A call that fails
raises as any call does, after its retries (reading a page again is safe).
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from lockstep.connectors.salesforce.bulk_pace import pace
from lockstep.connectors.salesforce.client import SalesforceClient
from lockstep.connectors.salesforce.values import from_csv
from lockstep.core.records import Row
from lockstep.core.shapes import ObjectShape
from lockstep.errors import SystemFailure, Transient, Unreachable, classify_http

# A results page is asked for in records (maxRecords); fewer than ``page_records`` when
# that many would pass this much CSV, judged from the rows read so far.
PAGE_BYTES = 64 << 20
ERROR_CODE = re.compile(r"^\s*([A-Za-z_]+)\s*:")
SERVER_SIDE = frozenset({"InternalServerError", "UNKNOWN_EXCEPTION", "SERVER_UNAVAILABLE"})


@dataclass(frozen=True)
class Page:
    """One results page: its CSV and the rows Salesforce says it holds."""

    csv: bytes
    count: int | None


class QueryJob:
    """Query jobs of one org: ``create`` one, ``wait`` for it, read its ``rows``."""

    def __init__(
        self,
        client: SalesforceClient,
        *,
        poll_seconds: float,
        timeout_seconds: float,
        page_records: int,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self.page_records = page_records
        self.sleep = sleep
        self.clock = clock

    def create(self, soql: str) -> str:
        """A new job running ``soql``; its id."""
        spec = {
            "operation": "query",
            "query": soql,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        return str(self.client.rest("POST", "jobs/query", body=spec)["id"])

    def wait(self, job_id: str, rows: int) -> int:
        """The rows the job found, once it has completed (about ``rows`` expected)."""
        started = self.clock()
        deadline = started + self.timeout_seconds
        schedule = pace(rows, self.poll_seconds)
        while True:
            self.sleep(max(min(schedule.wait, deadline - self.clock()), 0.0))
            info = dict(self.client.rest("GET", f"jobs/query/{job_id}"))
            state = info.get("state")
            if state == "JobComplete":
                return int(info.get("numberRecordsProcessed") or 0)
            if state == "Failed":
                raise job_failure(self.client.system, job_id, info)
            if state == "Aborted":
                raise Transient(self.client.system, f"Bulk query job {job_id} was aborted")
            now = self.clock()
            if now >= deadline:
                self._abort(job_id)
                raise Unreachable(
                    self.client.system,
                    f"Bulk query job {job_id} did not end in {self.timeout_seconds:g} s (aborted)",
                )
            schedule = schedule.after(info, now - started)

    def rows(
        self, job_id: str, total: int, shape: ObjectShape, chunk: int, row_bytes: float
    ) -> Iterator[list[Row]]:
        """The ``total`` rows of a completed job, ``chunk`` at a time, converted by the
        kinds of ``shape``'s fields; raises rather than end short of ``total``. Rows
        are taken to be about ``row_bytes`` of CSV until a page shows their size."""
        read = 0
        for page in self._pages(job_id, row_bytes):
            for rows in page_rows(page, shape, chunk, self.client.system):
                read += len(rows)
                yield rows
            del page  # before the next is fetched: one page in memory, not two
        if read != total:
            raise Unreachable(
                self.client.system,
                f"Bulk query job {job_id} processed {total} rows; its results held {read}",
            )

    def page_size(self, row_bytes: float) -> int:
        """The ``maxRecords`` of a page of rows of about ``row_bytes``: ``page_records``,
        fewer when those would pass ``PAGE_BYTES``."""
        return max(1, min(self.page_records, int(PAGE_BYTES / max(row_bytes, 1.0))))

    def _pages(self, job_id: str, row_bytes: float) -> Iterator[Page]:
        locator: str | None = None
        while True:
            path = f"jobs/query/{job_id}/results?maxRecords={self.page_size(row_bytes)}"
            if locator is not None:
                path += f"&locator={quote(locator)}"
            reply = self.client.raw("GET", path)
            count = reply.headers.get("Sforce-NumberOfRecords")
            locator = reply.headers.get("Sforce-Locator")
            page = Page(reply.content, int(count) if count is not None else None)
            del reply
            if page.count:
                row_bytes = len(page.csv) / page.count
            yield page
            del page
            if not locator or locator == "null":
                return

    def _abort(self, job_id: str) -> None:
        # Best effort: an abandoned job only runs to its end and expires.
        with contextlib.suppress(SystemFailure):
            self.client.rest("PATCH", f"jobs/query/{job_id}", body={"state": "Aborted"})


def job_failure(system: str, job_id: str, info: dict[str, Any]) -> SystemFailure:
    """What a REST call failing as the job did would raise: classified by the code its
    ``errorMessage`` starts with, as a client error; as a server error (5xx) when it
    names none, or an internal one."""
    message = str(info.get("errorMessage") or "no errorMessage")
    found = ERROR_CODE.match(message)
    code = found[1] if found else None
    status = 500 if code is None or code in SERVER_SIDE else 400
    return classify_http(system, status, f"Bulk query job {job_id} failed: {message}", code)


def page_rows(page: Page, shape: ObjectShape, chunk: int, system: str) -> Iterator[list[Row]]:
    """The rows of one results page, ``chunk`` at a time, values converted by the kinds
    of their fields (a column the shape does not know is kept as text); raises on a
    row of the wrong width, or when the page holds other than the rows it says."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(page.csv), encoding="utf-8", newline=""))
    names = next(reader, None) or []
    converters = [_converter(shape, name) for name in names]
    seen = 0
    while batch := list(itertools.islice(reader, chunk)):
        cells = [row for row in batch if row]  # a blank line is no record
        wrong = next((len(row) for row in cells if len(row) != len(names)), None)
        if wrong is not None:
            raise Unreachable(
                system, f"a Bulk query result row has {wrong} cells, not {len(names)}"
            )
        seen += len(cells)
        if cells:
            by_column = zip(converters, zip(*cells, strict=True), strict=True)
            columns = [convert(column) for convert, column in by_column]
            yield [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    if page.count is not None and seen != page.count:
        raise Unreachable(system, f"a Bulk query result page held {seen} of its {page.count} rows")


def csv_width(rows: Sequence[Row]) -> float:
    """About how many bytes of CSV a row like ``rows`` takes (each value quoted and
    followed by a comma)."""
    if not rows:
        return 1.0
    cells = sum(
        len(str(value)) + 3 if value is not None else 3 for row in rows for value in row.values()
    )
    return cells / len(rows)


def _converter(shape: ObjectShape, name: str) -> Callable[[Sequence[str]], list[Any]]:
    found = shape.field(name)
    return from_csv(found.kind) if found is not None else list
