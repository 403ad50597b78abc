"""The emulator's ASGI application: Starlette adapts HTTP to ``dispatch.Call``.

Every data call is authenticated, counted against the daily allocation and answered
with ``Sforce-Limit-Info``. A client's mistake becomes a Salesforce error body; only
a bug in the emulator can produce a 500, and even then the body is Salesforce-shaped.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import orjson
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from lockstep_emulator import soql
from lockstep_emulator.api import admin, auth, bulk1, faults, rest, streaming
from lockstep_emulator.api.context import ApiContext
from lockstep_emulator.api.credentials import instance_url
from lockstep_emulator.api.dispatch import Call, Reply, Router, error_reply
from lockstep_emulator.api.sessions import require_session
from lockstep_emulator.api.usage import ApiUsage
from lockstep_emulator.errors import NotFound, SalesforceError
from lockstep_emulator.org import MAX_API_VERSION, MIN_API_VERSION, Org, api_versions

log = logging.getLogger("lockstep_emulator")

_VERSION = re.compile(r"^v(\d{2})\.0$")


async def _on_loop(hook: Callable[[], None]) -> None:
    """Run an after-response hook on the event loop thread, where every handler runs,
    so it never interleaves with the next request's handler."""
    hook()


def render(reply: Reply, extra_headers: dict[str, str] | None = None) -> Response:
    headers = {**reply.headers, **(extra_headers or {})}
    after = BackgroundTask(_on_loop, reply.after) if reply.after is not None else None
    if reply.raw is not None:
        return Response(reply.raw, reply.status, headers, reply.media_type, background=after)
    if reply.body is None and reply.status in (204, 304):
        return Response(b"", reply.status, headers, background=after)
    body = orjson.dumps(reply.body)
    return Response(body, reply.status, headers, reply.media_type, background=after)


def build_app(org: Org) -> ASGIApp:
    """The ASGI app serving one org."""
    used = int(org.db.get_meta("api:used") or "0")
    start = org.db.get_meta("api:window_start")
    usage = ApiUsage(
        org.settings.daily_api_limit, used, datetime.fromisoformat(start) if start else None
    )
    router = Router()
    rest.register(router)
    soql.parse("SELECT Id FROM Account")  # build the parser now, not on a client's first query
    ctx = ApiContext(org=org, usage=usage, router=router, started_at=org.clock.now())

    async def versions(request: Request) -> Response:
        body = [
            {"label": _label(v), "url": f"/services/data/v{v}", "version": v}
            for v in api_versions()
        ]
        return render(Reply(200, body))

    async def data(request: Request) -> Response:
        version_text = request.path_params["version"]
        path = request.path_params.get("path", "")
        match = _VERSION.match(version_text)
        if match is None or not MIN_API_VERSION <= int(match.group(1)) <= MAX_API_VERSION:
            return render(error_reply(NotFound()))
        try:
            session = require_session(org, request)
            ctx.usage.count(org.clock.now())
        except SalesforceError as exc:
            return render(error_reply(exc))
        call = Call(
            method=request.method,
            path=path.strip("/"),
            version=version_text[1:],
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
            session=session,
            base_url=instance_url(request),
            job_failure=request.scope.get(faults.JOB_FAILURE),
        )
        try:
            reply = ctx.router.dispatch(ctx, call)
        except Exception:
            log.exception("emulator bug on %s %s", request.method, request.url.path)
            reply = Reply(
                500,
                [{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred."}],
            )
        return render(reply, {"Sforce-Limit-Info": ctx.usage.header()})

    routes: list[BaseRoute] = [
        Route("/services/data", versions, methods=["GET"]),
        Route("/services/data/", versions, methods=["GET"]),
        Route("/services/data/{version}", data, methods=_ALL),
        Route("/services/data/{version}/{path:path}", data, methods=_ALL),
        *auth.routes(org),
        *admin.routes(ctx),
        *streaming.routes(ctx),
        *bulk1.routes(ctx),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        ctx.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _method_not_allowed},
    )
    app.state.ctx = ctx
    return faults.wrap(app, ctx)


_ALL = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"]


async def _not_found(request: Request, exc: Exception) -> Response:
    """No route matched (Starlette's own 404 would be plain text)."""
    return render(error_reply(NotFound()))


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    error = SalesforceError(
        "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed.", status=405
    )
    return render(error_reply(error))


_RELEASES = {
    31: "Summer '14",
    32: "Winter '15",
    33: "Spring '15",
    34: "Summer '15",
    35: "Winter '16",
    36: "Spring '16",
    37: "Summer '16",
    38: "Winter '17",
    39: "Spring '17",
    40: "Summer '17",
    41: "Winter '18",
    42: "Spring '18",
    43: "Summer '18",
    44: "Winter '19",
    45: "Spring '19",
    46: "Summer '19",
    47: "Winter '20",
    48: "Spring '20",
    49: "Summer '20",
    50: "Winter '21",
    51: "Spring '21",
    52: "Summer '21",
    53: "Winter '22",
    54: "Spring '22",
    55: "Summer '22",
    56: "Winter '23",
    57: "Spring '23",
    58: "Summer '23",
    59: "Winter '24",
    60: "Spring '24",
    61: "Summer '24",
    62: "Winter '25",
    63: "Spring '25",
    64: "Summer '25",
    65: "Winter '26",
    66: "Spring '26",
}


def _label(version: str) -> str:
    return _RELEASES.get(int(float(version)), f"Version {version}")
