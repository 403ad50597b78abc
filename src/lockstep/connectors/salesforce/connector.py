"""``SalesforceConnector``: one org behind the ``Connector`` seam.

It logs in on first use (``auth``), sends every call through one counted session
(``session``, ``client``), reads with SOQL (``read``, ``poll``; a large snapshot
through one Bulk API 2.0 query job, ``bulk_query``) and writes through
sObject Collections or Bulk API 2.0 (``apply``). Before it starts new work it checks
the org's reported API usage: at ``shed_at`` of the daily allocation it raises
``QuotaShed`` rather than eat into what the org's other integrations need.

Change capture: ``poll`` (and ``watermark``, the same on another column) reads
``SystemModstamp`` with ``queryAll``; nothing needs installing. ``cdc`` (Change Data
Capture over CometD) is not implemented yet and is refused with ``CaptureUnsupported``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from lockstep.config.systems import SalesforceSystem
from lockstep.connectors.base import CallCounter, CaptureCheck, CaptureSpec
from lockstep.connectors.salesforce import apply as applying
from lockstep.connectors.salesforce import poll, read
from lockstep.connectors.salesforce.bulk import BulkJob
from lockstep.connectors.salesforce.bulk_query import QueryJob
from lockstep.connectors.salesforce.client import SalesforceClient
from lockstep.connectors.salesforce.describe import object_shape
from lockstep.connectors.salesforce.retry import RetryPolicy
from lockstep.core.ops import Op, OpResult
from lockstep.core.records import ChangeBatch, Row
from lockstep.core.shapes import ObjectShape
from lockstep.errors import QuotaShed, Terminal

POLLED = ("poll", "watermark")
PAGE_RECORDS = 100_000


class CaptureUnsupported(Terminal):
    """The capture mode asked for is one this connector cannot do (yet)."""


class SalesforceConnector:
    """A Salesforce org, reached through simple-salesforce.

    ``attempts`` and ``base_delay`` set the retries of a failing call (full-jitter
    backoff); ``bulk_timeout_seconds`` how long a Bulk job may run before it is aborted;
    ``bulk_page_records`` the records of one page of a Bulk query's results (the
    ``maxRecords`` asked for: memory holds one such page of CSV).
    """

    def __init__(
        self,
        name: str,
        config: SalesforceSystem,
        *,
        attempts: int = 3,
        base_delay: float = 0.2,
        bulk_timeout_seconds: float = 3600.0,
        bulk_page_records: int = PAGE_RECORDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.config = config
        self.calls = CallCounter()
        policy = RetryPolicy(attempts=attempts, base_delay=base_delay, sleep=sleep)
        self._client = SalesforceClient(name, config, self.calls, policy)
        self._bulk = BulkJob(
            self._client,
            poll_seconds=config.bulk_poll_seconds,
            timeout_seconds=bulk_timeout_seconds,
            sleep=sleep,
        )
        self._query = QueryJob(
            self._client,
            poll_seconds=config.bulk_poll_seconds,
            timeout_seconds=bulk_timeout_seconds,
            page_records=bulk_page_records,
            sleep=sleep,
        )
        self._shapes: dict[str, ObjectShape] = {}

    def check(self) -> None:
        """Log in and read the org's limits (which also reports its API usage)."""
        self._client.login()
        self._client.call(lambda sf: sf.limits())

    def describe(self, obj: str) -> ObjectShape:
        self._shed()
        shape = object_shape(self._client.rest("GET", f"sobjects/{obj}/describe"))
        self._shapes[obj.lower()] = shape
        return shape

    def snapshot(
        self, obj: str, fields: Sequence[str], *, where: str | None = None, page_size: int = 2000
    ) -> Iterator[Sequence[Row]]:
        self._shed()
        shape = self._shape(obj)
        yield from read.snapshot(
            self._client,
            shape,
            fields,
            where=where,
            page_size=page_size,
            bulk=self._query,
            bulk_threshold=self.config.bulk_query_threshold,
        )

    def changes(
        self,
        obj: str,
        fields: Sequence[str],
        cursor: str | None,
        capture: CaptureSpec,
        *,
        limit: int = 10_000,
        where: str | None = None,
    ) -> ChangeBatch:
        if capture.mode == "none":
            return ChangeBatch((), cursor)
        self._supported(capture)
        self._shed()
        return poll.changes(
            self._client,
            self._shape(obj),
            fields,
            cursor,
            column=capture.column or "SystemModstamp",
            lookback_seconds=capture.lookback_seconds,
            limit=limit,
            where=where,
        )

    def inspect_capture(self, obj: str, capture: CaptureSpec) -> CaptureCheck | None:
        """Nothing is installed for polling; an unsupported mode is refused here, early."""
        if capture.mode != "none":
            self._supported(capture)
        return None

    def install_capture(self, obj: str, capture: CaptureSpec) -> None:
        """Nothing to install for polling; an unsupported mode is refused here, early."""
        if capture.mode != "none":
            self._supported(capture)

    def remove_capture(self, obj: str) -> None:
        """Nothing was installed."""

    def apply(self, obj: str, ops: Sequence[Op]) -> list[OpResult]:
        if not ops:
            return []
        self._shed()
        return applying.apply(self._client, self.config, self._bulk, obj, ops)

    def close(self) -> None:
        self._client.close()

    def _shape(self, obj: str) -> ObjectShape:
        shape = self._shapes.get(obj.lower())
        return shape if shape is not None else self.describe(obj)

    def _supported(self, capture: CaptureSpec) -> None:
        if capture.mode not in POLLED:
            raise CaptureUnsupported(
                self.name,
                f"capture mode {capture.mode!r} is not supported for Salesforce yet; "
                "use 'poll' (SystemModstamp polling)",
            )

    def _shed(self) -> None:
        """``QuotaShed`` once the reported usage reaches ``shed_at`` of the limit."""
        used, limit = self.calls.used, self.calls.limit
        if used is None or not limit:
            return
        share = used / limit
        if share >= self.config.shed_at:
            raise QuotaShed(
                self.name,
                f"{used} of {limit} daily API calls used ({share:.0%}), at or above "
                f"shed_at {self.config.shed_at:.0%}; new work waits for the allocation",
            )
