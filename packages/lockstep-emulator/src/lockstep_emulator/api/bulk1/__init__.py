"""Bulk API 1.0 (``/services/async/VER/``): jobs and batches in CSV, XML and JSON,
run in the background as Salesforce runs them.

    client ──▶ calls (jobs, batches, results) ──▶ service (jobs in memory, one worker)
                                                      │
        DML:   wire (CSV / <sObjects> / JSON → rows) ─▶ process ─▶ bulk2 Chunk ─▶ store.batch*
        query: process ─▶ query (bulk2's compiler and flattening) ─▶ rows in the job's format

Modules: ``model`` (job and batch values, their states and info fields), ``wire`` (the
three formats, errors), ``process`` (one batch), ``query`` (query batches),
``service`` (the jobs and the worker), ``calls`` (the routes).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lockstep_emulator.api.bulk1 import calls, wire
from lockstep_emulator.api.bulk1.service import Bulk1Jobs
from lockstep_emulator.api.sessions import require_session
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.org import MAX_API_VERSION, MIN_API_VERSION

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

log = logging.getLogger("lockstep_emulator.bulk1")

_VERSION = re.compile(r"^(\d{2})\.0$")
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


def routes(ctx: ApiContext) -> list[BaseRoute]:
    service: list[Bulk1Jobs] = []

    def jobs() -> Bulk1Jobs:
        """The service, started on the first Bulk API 1.0 call."""
        if not service:
            service.append(Bulk1Jobs(ctx.org))
            ctx.on_close.append(service[0].close)
            ctx.on_refresh.append(service[0].forget_all)
        return service[0]

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        call: calls.Call | None = None
        try:
            version = request.path_params["version"]
            match = _VERSION.match(version)
            if match is None or not MIN_API_VERSION <= int(match.group(1)) <= MAX_API_VERSION:
                raise wire.Bulk1Error(
                    "InvalidVersion", f"Invalid api version: {version}", status=404
                )
            session = require_session(ctx.org, request)
            ctx.usage.count(ctx.org.clock.now())
            call = calls.Call(
                method=request.method,
                parts=request.path_params.get("path", "").strip("/").split("/"),
                version=version,
                content_type=content_type,
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
                session=session,
                jobs=jobs(),
                json_errors=wire.wants_json(content_type),
            )
            status, raw, media = calls.dispatch(call)
        except SalesforceError as exc:
            error = wire.Bulk1Error.of(exc)
            json = call.json_errors if call is not None else wire.wants_json(content_type)
            raw, media = wire.error_body(error, json)
            status = error.status
        except Exception:
            log.exception("emulator bug on %s %s", request.method, request.url.path)
            error = wire.Bulk1Error("Unknown", "An unexpected error occurred.", status=500)
            json = call.json_errors if call is not None else wire.wants_json(content_type)
            raw, media = wire.error_body(error, json)
            status = 500
        headers = {"Content-Type": media, "Sforce-Limit-Info": ctx.usage.header()}
        return Response(raw, status, headers)

    return [
        Route("/services/async/{version}", endpoint, methods=_METHODS),
        Route("/services/async/{version}/{path:path}", endpoint, methods=_METHODS),
    ]
