"""Changes by polling: ``queryAll`` ordered by ``SystemModstamp`` and ``Id``.

The cursor is the ``(modstamp, Id)`` of the last change returned; the next call asks
for what comes strictly after it::

    WHERE SystemModstamp > :ts OR (SystemModstamp = :ts AND Id > :id)
    ORDER BY SystemModstamp, Id LIMIT :limit

so records sharing one modstamp are neither skipped nor repeated across pages.
``queryAll`` includes the recycle bin: a row with ``IsDeleted`` becomes a ``delete``.

``lookback_seconds`` re-reads that far behind the cursor, for writes whose modstamp
was taken before a long transaction committed; what is read again is returned again
(the ledger's fingerprints make that harmless). The lookback is skipped while a
backlog is being drained (the last call returned a full page, marked ``|more`` in the
cursor), so a window holding more than ``limit`` changes cannot stall the cursor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lockstep.connectors.salesforce.client import SalesforceClient
from lockstep.connectors.salesforce.read import pages, select_list, to_row
from lockstep.connectors.salesforce.values import format_datetime, parse_datetime
from lockstep.core.records import Change, ChangeBatch
from lockstep.core.shapes import ObjectShape
from lockstep.errors import Terminal

RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
DRAINING = "more"


@dataclass(frozen=True)
class PollCursor:
    """Where polling stands: the last change's modstamp and Id."""

    stamp: datetime
    id: str
    draining: bool = False

    def encode(self) -> str:
        text = f"{format_datetime(self.stamp)}|{self.id}"
        return f"{text}|{DRAINING}" if self.draining else text

    @classmethod
    def decode(cls, system: str, text: str) -> PollCursor:
        parts = text.split("|")
        try:
            if len(parts) not in (2, 3) or not RECORD_ID.fullmatch(parts[1]):
                raise ValueError(text)
            return cls(parse_datetime(parts[0]), parts[1], parts[2:] == [DRAINING])
        except ValueError:
            raise Terminal(system, f"not a Salesforce poll cursor: {text!r}") from None


def condition(cursor: PollCursor | None, column: str, lookback_seconds: float) -> str:
    """The condition for what comes after ``cursor`` (``""``: everything)."""
    if cursor is None:
        return ""
    if looks_back(cursor, lookback_seconds):
        since = format_datetime(cursor.stamp - timedelta(seconds=lookback_seconds))
        return f"{column} >= {since}"
    ts = format_datetime(cursor.stamp)
    return f"{column} > {ts} OR ({column} = {ts} AND Id > '{cursor.id}')"


def changes(
    client: SalesforceClient,
    shape: ObjectShape,
    fields: Sequence[str],
    cursor_text: str | None,
    *,
    column: str,
    lookback_seconds: float,
    limit: int,
    where: str | None = None,
) -> ChangeBatch:
    """At most ``limit`` changes of ``shape``'s object after ``cursor_text``, oldest
    first; with ``where`` (SOQL), only records passing it."""
    cursor = PollCursor.decode(client.system, cursor_text) if cursor_text else None
    chosen = select_list(fields, "Id")
    wanted = {name.lower() for name in chosen}
    conditions = [f"({c})" for c in (condition(cursor, column, lookback_seconds), where) if c]
    after = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    soql = (
        f"SELECT {', '.join(select_list(chosen, column, 'IsDeleted'))} FROM {shape.name}"
        f"{after} ORDER BY {column}, Id LIMIT {limit}"
    )
    found: list[Change] = []
    order: list[tuple[datetime, str]] = []
    for records in pages(client, soql, include_deleted=True, page_size=min(limit, 2000)):
        for record in records:
            stamp = parse_datetime(record[column])
            row = to_row(record, shape)
            version = format_datetime(stamp)
            if record.get("IsDeleted"):
                found.append(Change(shape.name, record["Id"], "delete", None, version))
            else:
                values = {k: v for k, v in row.items() if k.lower() in wanted}
                found.append(Change(shape.name, record["Id"], "upsert", values, version))
            order.append((stamp, record["Id"]))
    more = len(found) >= limit
    last = advanced(cursor, order, strict=not looks_back(cursor, lookback_seconds))
    if last is not None:
        last = PollCursor(last.stamp, last.id, draining=more)
    return ChangeBatch(tuple(found), last.encode() if last is not None else None, more)


def looks_back(cursor: PollCursor | None, lookback_seconds: float) -> bool:
    """Whether the next read starts behind ``cursor`` rather than right after it."""
    return cursor is not None and lookback_seconds > 0 and not cursor.draining


def advanced(
    cursor: PollCursor | None, order: Sequence[tuple[datetime, str]], *, strict: bool
) -> PollCursor | None:
    """The cursor after reading ``order``: the rows' modstamps and Ids as Salesforce
    sorted them, all after ``cursor`` when ``strict``. Ids are never compared here, as
    Salesforce's order of Ids is its own: after a lookback, a row is known to come
    after the cursor by a later modstamp, or by coming after the cursor's own row.
    A lookback that only read old rows again leaves the cursor where it was."""
    if not order:
        return cursor
    stamp, last_id = order[-1]
    if cursor is None or strict or stamp > cursor.stamp:
        return PollCursor(stamp, last_id)
    tied = [row_id for row_stamp, row_id in order if row_stamp == stamp]
    if stamp == cursor.stamp and cursor.id in tied[:-1]:
        return PollCursor(stamp, last_id)
    return cursor
