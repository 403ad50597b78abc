"""Reading records with SOQL, page by page.

A query asks for ``Sforce-Query-Options: batchSize=N``, which Salesforce takes as a
hint between 200 and 2,000, and follows ``nextRecordsUrl`` until ``done``. Pages are
yielded as they come, so a snapshot of millions of rows holds one page at a time.

A snapshot of many records goes through Bulk API 2.0 instead, one query job
(``bulk_query``) for what REST would read in ⌈N / 2,000⌉ calls. Its first page is
always a REST one, which costs nothing extra: that page's ``totalSize`` says how many
records match, so reads below ``bulk_query_threshold`` go on as they began, with no
counting query first, and a caller that stops after one page (``validate`` probing a
filter) never starts a job. At or above the threshold, with more pages to come, the
rest is read through a job running the same SOQL, the first page's records left out
of it; the REST cursor left open then expires on its own (Salesforce keeps ten per
user, dropping the oldest). Where Bulk cannot read the select list (relationship
fields such as ``Account.Name``, compound and base64 fields, which REST returns as
nested values) or refuses the job (the Bulk API not enabled, a clause it does not
support), the read goes on through REST.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from lockstep.connectors.salesforce.bulk_query import QueryJob, csv_width
from lockstep.connectors.salesforce.client import SalesforceClient
from lockstep.connectors.salesforce.values import from_wire
from lockstep.core.records import Row
from lockstep.core.shapes import ObjectShape
from lockstep.errors import AuthFailed, Terminal

MIN_BATCH, MAX_BATCH = 200, 2000


def batch_size(page_size: int) -> int:
    """``page_size`` within what Salesforce accepts."""
    return max(MIN_BATCH, min(MAX_BATCH, page_size))


def select_list(fields: Sequence[str], *first: str) -> list[str]:
    """``first`` then ``fields``, each once (names compare case-insensitively)."""
    chosen: list[str] = []
    seen: set[str] = set()
    for name in (*first, *fields):
        if name.lower() not in seen:
            seen.add(name.lower())
            chosen.append(name)
    return chosen


def pages(
    client: SalesforceClient, soql: str, *, include_deleted: bool = False, page_size: int = 2000
) -> Iterator[list[dict[str, Any]]]:
    """The records of ``soql`` (``queryAll`` with ``include_deleted``), page by page."""
    size = batch_size(page_size)
    reply = client.query(soql, include_deleted=include_deleted, batch_size=size)
    yield list(reply.get("records") or ())
    yield from following(client, reply, size)


def following(
    client: SalesforceClient, reply: Mapping[str, Any], size: int
) -> Iterator[list[dict[str, Any]]]:
    """The records of the pages after ``reply``, page by page."""
    while not done(reply):
        reply = client.query_more(str(reply["nextRecordsUrl"]), batch_size=size)
        yield list(reply.get("records") or ())


def done(reply: Mapping[str, Any]) -> bool:
    return bool(reply.get("done", True)) or not reply.get("nextRecordsUrl")


def to_row(record: Mapping[str, Any], shape: ObjectShape) -> Row:
    """A query record as a ``Row``: ``attributes`` dropped, values converted by the
    kinds of their fields (fields the shape does not know are kept as they came)."""
    row: dict[str, Any] = {}
    for name, value in record.items():
        if name == "attributes":
            continue
        found = shape.field(name)
        row[name] = from_wire(value, found.kind) if found is not None else value
    return row


def snapshot(
    client: SalesforceClient,
    shape: ObjectShape,
    fields: Sequence[str],
    *,
    where: str | None,
    page_size: int,
    bulk: QueryJob | None = None,
    bulk_threshold: int | None = None,
) -> Iterator[Sequence[Row]]:
    """Every record of ``shape``'s object passing ``where``, with ``Id`` and ``fields``;
    through ``bulk`` when at least ``bulk_threshold`` match (see the module)."""
    names = select_list(fields, "Id")
    soql = f"SELECT {', '.join(names)} FROM {shape.name}"
    if where:
        soql += f" WHERE {where}"
    size = batch_size(page_size)
    reply = client.query(soql, include_deleted=False, batch_size=size)
    first = [to_row(record, shape) for record in reply.get("records") or ()]
    yield first
    if done(reply):
        return
    total = int(reply.get("totalSize") or 0)
    wanted = bulk_threshold is not None and total >= bulk_threshold
    if bulk is not None and wanted and bulk_readable(shape, names):
        job_id = _job(bulk, soql)
        if job_id is not None:
            processed = bulk.wait(job_id, total)
            chunks = bulk.rows(job_id, processed, shape, size, csv_width(first))
            yield from _without(chunks, first)
            return
    for records in following(client, reply, size):
        yield [to_row(record, shape) for record in records]


def bulk_readable(shape: ObjectShape, names: Sequence[str]) -> bool:
    """Whether a Bulk query's CSV can give every one of ``names`` as REST does: each a
    plain field of the object (no relationship, compound or base64 field)."""
    for name in names:
        found = shape.field(name)
        if found is None or found.native_type.lower() == "base64":
            return False
    return True


def _job(bulk: QueryJob, soql: str) -> str | None:
    """A job running ``soql``; ``None`` when Salesforce refuses it for good (not for
    the credentials: those would fail the REST pages too)."""
    try:
        return bulk.create(soql)
    except AuthFailed:
        raise
    except Terminal:
        return None


def _without(chunks: Iterator[list[Row]], first: Sequence[Row]) -> Iterator[list[Row]]:
    """``chunks`` less the records already read (by ``Id``), empty chunks dropped."""
    read = {row["Id"] for row in first}
    for rows in chunks:
        if read:
            rows = [row for row in rows if row["Id"] not in read]
        if rows:
            yield rows
