"""The outermost ASGI layer: count every call, and inject the faults the rules decide.

It sits outside Starlette so that it sees every request (REST, Bulk, CometD, logins)
and can do what no route can: hold a request forever, or run it and then close the
connection before a single byte of the answer. Admin calls (``/_emulator/``) are
counted but never faulted, so the faults can always be turned off.

Closing a connection without an answer needs the transport, which ASGI does not
expose: uvicorn's ``send`` is a method of the request's cycle object, which holds it
(``_transport_of``). Raising instead would make uvicorn answer 500; starting a
response and not finishing it would send the status line. Once the transport is
aborted, the layer waits for uvicorn to see the disconnect, so uvicorn does not try
to answer either. Run in-process (no transport), a drop raises ``ConnectionDropped``,
which the test client sees as a failed request.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lockstep_emulator.api.sessions import store_for, token_of
from lockstep_emulator.faults import rules
from lockstep_emulator.faults.facts import MAX_BODY, record_id_in, request_facts
from lockstep_emulator.org import Org

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

ADMIN_PREFIX = "/_emulator/"
# The scope key a ``job_failed`` rule sets: the errorMessage of the job the request starts.
JOB_FAILURE = "lockstep_emulator.job_failure"
DISCONNECT_WAIT = 5.0  # seconds to wait for uvicorn to notice an aborted connection


class ConnectionDropped(Exception):
    """In-process stand-in for a connection closed before any answer."""


def wrap(app: ASGIApp, ctx: ApiContext) -> FaultInjector:
    """``app`` behind the call counter and the fault injector."""
    injector = FaultInjector(app, ctx)
    _running[ctx.org] = injector
    return injector


def stop(org: Org) -> None:
    """The server is stopping: hanging requests give up their connections now."""
    injector = _running.get(org)
    if injector is not None:
        injector.stop()


class FaultInjector:
    def __init__(self, app: ASGIApp, ctx: ApiContext) -> None:
        self.app = app
        self.ctx = ctx
        self.stopping = False
        self._hanging: set[asyncio.Event] = set()

    def stop(self) -> None:
        self.stopping = True
        for event in list(self._hanging):
            event.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        self.ctx.stats.count(scope["method"], path)
        engine = self.ctx.faults
        if not engine.active or path.startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        facts = request_facts(scope["method"], path, scope.get("query_string", b""))
        body: bytes | None = None
        if engine.wants_body(facts):
            body = await _read_body(receive)
            facts = facts.with_body(body)
            receive = _replay(body, receive)
        fired = engine.decide(facts)
        for rule in fired:
            if isinstance(rule, rules.Latency):
                await asyncio.sleep(rule.ms / 1000)
        last = fired[-1] if fired else None
        if last is None or isinstance(last, rules.Latency):
            await self.app(scope, receive, send)
        elif isinstance(last, rules.Hang):
            await self._hang(receive, send)
        elif isinstance(last, rules.DropAfterCommit):
            await self.app(scope, receive, _swallow)
            await _drop(receive, send)
        elif isinstance(last, rules.JobFailed):
            await self.app({**scope, JOB_FAILURE: last.message}, receive, send)
        elif isinstance(last, rules.ExpireSession):
            token = token_of(Request(scope))
            if token:
                store_for(self.ctx.org).revoke(token)
            await self.app(scope, receive, send)
        else:
            if isinstance(last, rules.UnableToLockRow) and body is None:
                body = await _read_body(receive, MAX_BODY)
            status, payload = error_answer(last, path, body or b"")
            await _answer(send, status, payload)

    async def _hang(self, receive: Receive, send: Send) -> None:
        """Wait for the client to leave, or for the server to stop (then drop it)."""
        stopped = asyncio.Event()
        self._hanging.add(stopped)
        if self.stopping:
            stopped.set()
        left = asyncio.ensure_future(_disconnect(receive))
        stop_wait = asyncio.ensure_future(stopped.wait())
        try:
            await asyncio.wait({left, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._hanging.discard(stopped)
            stop_wait.cancel()
        if not left.done():
            _abort(send)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(left, DISCONNECT_WAIT)
        left.cancel()


def error_answer(rule: rules.FaultRule, path: str, body: bytes) -> tuple[int, Any]:
    """The status and body an error-kind rule answers with (Bulk 1.0 has its own shape)."""
    if isinstance(rule, rules.HttpError):
        status, code, message = rule.status, rule.error_code, rule.message
    elif isinstance(rule, rules.UnableToLockRow):
        record = record_id_in(path, body) or ""
        status, code = 400, "UNABLE_TO_LOCK_ROW"
        message = f"unable to obtain exclusive access to this record or 1 records: {record}"
    elif isinstance(rule, rules.RequestLimitExceeded):
        status, code, message = 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
    else:
        status, code = 400, "QUERY_TIMEOUT"
        message = "Your query request was running for too long."
    if path.startswith("/services/async/"):
        return status, {"exceptionCode": code, "exceptionMessage": message}
    return status, [{"errorCode": code, "message": message}]


async def _answer(send: Send, status: int, payload: Any) -> None:
    body = orjson.dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json;charset=UTF-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int | None = None) -> bytes:
    """The request body; with ``limit``, reading stops once that much has come."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False) or (limit is not None and size >= limit):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the already-read body first, then defers to the real one."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


async def _swallow(message: Message) -> None:
    """A ``send`` that discards the answer: the request runs, nothing reaches the client."""


async def _disconnect(receive: Receive) -> None:
    """Return once the client has gone (draining any body it still sends)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _drop(receive: Receive, send: Send) -> None:
    if not _abort(send):
        raise ConnectionDropped("drop_after_commit: the connection closed before any answer")
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(_disconnect(receive), DISCONNECT_WAIT)


def _abort(send: Send) -> bool:
    """Close the connection at once, without an answer; False when there is no transport."""
    transport = _transport_of(send)
    if transport is None:
        return False
    transport.abort()
    return True


def _transport_of(send: Callable[[Message], Awaitable[None]]) -> Any:
    """The transport behind uvicorn's ``send`` (its cycle object holds it), or None."""
    return getattr(getattr(send, "__self__", None), "transport", None)


_running: weakref.WeakKeyDictionary[Org, FaultInjector] = weakref.WeakKeyDictionary()
