"""Reading records with SOQL, page by page.

A query asks for ``Sforce-Query-Options: batchSize=N``, which Salesforce takes as a
hint between 200 and 2,000, and follows ``nextRecordsUrl`` until ``done``. Pages are
yielded as they come, so a snapshot of millions of rows holds one page at a time.
(Bulk API 2.0 query would cost fewer calls above a few hundred thousand rows; it is
not used yet.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from lockstep.connectors.salesforce.client import SalesforceClient
from lockstep.connectors.salesforce.values import from_wire
from lockstep.core.records import Row
from lockstep.core.shapes import ObjectShape

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
    while True:
        yield list(reply.get("records") or ())
        next_url = reply.get("nextRecordsUrl")
        if reply.get("done", True) or not next_url:
            return
        reply = client.query_more(next_url, batch_size=size)


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
) -> Iterator[Sequence[Row]]:
    """Every record of ``shape``'s object passing ``where``, with ``Id`` and ``fields``."""
    soql = f"SELECT {', '.join(select_list(fields, 'Id'))} FROM {shape.name}"
    if where:
        soql += f" WHERE {where}"
    for records in pages(client, soql, page_size=page_size):
        yield [to_row(record, shape) for record in records]
