"""``query`` and ``queryAll``: SOQL with paging through root-relative ``nextRecordsUrl``;
``query?explain=`` is answered by ``explain``."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from lockstep_emulator import soql
from lockstep_emulator.api.dispatch import Call, Reply, Router
from lockstep_emulator.api.rest.explain import explain
from lockstep_emulator.errors import SalesforceError

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_BATCH = 2000
_BATCH = re.compile(r"batchSize\s*=\s*(\d+)", re.I)


@dataclass(frozen=True)
class EncodedPage:
    """Up to a page of records, already encoded as a JSON array."""

    count: int
    records: bytes


class OwnedCursor:
    """A SOQL cursor together with the read connection it alone uses.

    After a page is served, the next one is read ahead and encoded on a worker thread
    (``read_ahead``), so the server prepares page N+1 while the client is still
    parsing page N. Only one thread touches the connection at a time: every other
    use waits for the read-ahead first.
    """

    def __init__(self, cursor: soql.QueryCursor, conn: sqlite3.Connection) -> None:
        self._cursor = cursor
        self._conn = conn
        self._ahead: Future[EncodedPage] | None = None
        self._ahead_size = 0
        self._lock = threading.Lock()
        self.total_size = cursor.total_size

    def _encode(self, n: int) -> EncodedPage:
        with self._lock:
            rows = self._cursor.fetch(n)
        return EncodedPage(len(rows), orjson.dumps(rows))

    def fetch_page(self, n: int) -> EncodedPage:
        """The next (up to) ``n`` records, encoded."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return self._encode(n)
        page = ahead.result()
        if self._ahead_size == n or page.count < self._ahead_size:
            return page
        rows = orjson.loads(page.records)
        rows += self._cursor.fetch(n - page.count) if n > page.count else []
        return EncodedPage(len(rows[:n]), orjson.dumps(rows[:n]))

    def fetch(self, n: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = orjson.loads(self.fetch_page(n).records)
        return rows

    def read_ahead(self, n: int) -> None:
        """Start fetching and encoding the next ``n`` records in the background."""
        if self._ahead is None and not self._cursor.done:
            self._ahead_size = n
            self._ahead = _READ_AHEAD.submit(self._encode, n)

    @property
    def done(self) -> bool:
        if self._ahead is not None:
            return False
        return bool(self._cursor.done)

    def close(self) -> None:
        ahead, self._ahead = self._ahead, None
        try:
            if ahead is not None:
                ahead.exception()
            with self._lock:
                self._cursor.close()
        finally:
            self._conn.close()


_READ_AHEAD = ThreadPoolExecutor(max_workers=2, thread_name_prefix="soql-read-ahead")


def batch_size(call: Call) -> int:
    """``Sforce-Query-Options: batchSize=N`` within 200-2000 (a hint, as in Salesforce)."""
    match = _BATCH.search(call.headers.get("sforce-query-options", ""))
    if match is None:
        return DEFAULT_BATCH
    return min(max(int(match.group(1)), MIN_BATCH), MAX_BATCH)


def open_query(ctx: ApiContext, call: Call, text: str, *, include_deleted: bool) -> OwnedCursor:
    conn = ctx.org.db.read_connection()
    try:
        cursor = soql.execute(
            conn,
            ctx.org.schema,
            text,
            now=ctx.org.clock.now(),
            include_deleted=include_deleted,
            api_version=call.version,
        )
    except BaseException:
        conn.close()
        raise
    return OwnedCursor(cursor, conn)


def page(
    ctx: ApiContext, call: Call, cursor: OwnedCursor, size: int, position: int, locator: str | None
) -> Reply:
    chunk = cursor.fetch_page(size)
    head: dict[str, Any] = {"totalSize": cursor.total_size, "done": True}
    after: Callable[[], None] | None = None
    if cursor.done:
        if locator:
            ctx.locators.drop(locator)
        else:
            cursor.close()
    else:
        position += chunk.count
        if locator is None:
            locator = ctx.locators.add(cursor, size, position)
        else:
            found = ctx.locators.take(locator)
            if found is not None:
                found.position = position
        head["done"] = False
        head["nextRecordsUrl"] = f"/services/data/v{call.version}/query/{locator}-{position}"

        # Read ahead only once this page is on the wire: shaping rows holds the GIL,
        # and doing it while the response is written delays the response itself.
        def after() -> None:
            cursor.read_ahead(size)

    raw = orjson.dumps(head)[:-1] + b',"records":' + chunk.records + b"}"
    return Reply(200, raw=raw, after=after)


def run_query(ctx: ApiContext, call: Call, p: dict[str, str], include_deleted: bool) -> Reply:
    if "q" not in call.query and call.query.get("explain", "").strip():
        return explain(ctx, call, call.query["explain"])
    text = call.query.get("q", "")
    if not text.strip():
        raise SalesforceError("MALFORMED_QUERY", "A query string must be provided as q=")
    cursor = open_query(ctx, call, text, include_deleted=include_deleted)
    return page(ctx, call, cursor, batch_size(call), 0, None)


def query(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    return run_query(ctx, call, p, include_deleted=False)


def query_all(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    return run_query(ctx, call, p, include_deleted=True)


def query_more(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    locator = p["locator"]
    found = ctx.locators.take(locator)
    if found is None:
        raise SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator")
    wanted = int(p["position"]) if p.get("position") else found.position
    if wanted < found.position:
        raise SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator")
    while found.position < wanted:
        skipped = found.cursor.fetch(min(wanted - found.position, MAX_BATCH))
        if not skipped:
            break
        found.position += len(skipped)
    assert isinstance(found.cursor, OwnedCursor)
    return page(ctx, call, found.cursor, found.batch_size, found.position, locator)


def register(router: Router) -> None:
    more = r"(?P<locator>01g[A-Za-z0-9]+)(?:-(?P<position>\d+))?"
    router.add("GET", "query/" + more, query_more)
    router.add("GET", "queryAll/" + more, query_more)
    router.add("GET", "query", query)
    router.add("GET", "queryAll", query_all)
