"""Change Data Capture over CometD at ``/cometd/VER``, and the admin routes that drive it.

Building the app installs the change log's recorder on the org, so every write from
then on is logged in its own transaction (``cdc/recorder.py``). Bayeux requests are
answered by ``cdc/bayeux.py``; this module only adapts HTTP to it: the API version in
the path, the JSON body, and the session, checked on every request (clients send
``Authorization: OAuth <token>`` or ``Bearer <token>``).

Admin routes, with the same bearer token:

- ``POST /_emulator/cdc/gap``: ``{"entity", "changeType": "GAP_…", "recordIds"}`` logs a
  gap event now; ``{"gapNext": N}`` turns the next N changes into gap events.
- ``POST /_emulator/cdc/expire``: ``{"throughReplayId": N}`` (or ``{}`` for all) removes
  events as retention would, so a client holding those ids gets the replay error.
- ``GET /_emulator/cdc/events?after=N&limit=M&entity=E``: the log as JSON.
- ``POST /_emulator/cdc/drop-clients``: forget every CometD client, as Salesforce does
  when it drops sessions; each gets ``403::Unknown client`` and must handshake again.

Long polls end as soon as the server starts stopping: ``stop(org)`` is called then.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lockstep_emulator.api.sessions import require_session, token_of
from lockstep_emulator.cdc import table
from lockstep_emulator.cdc.bayeux import Auth, BayeuxServer, reply
from lockstep_emulator.cdc.channels import ALL_CHANGES, Channels
from lockstep_emulator.cdc.events import GAP_TYPES
from lockstep_emulator.cdc.recorder import Recorder
from lockstep_emulator.cdc.wakeup import Wakeup
from lockstep_emulator.errors import InvalidSession, SalesforceError
from lockstep_emulator.org import MAX_API_VERSION, Org

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

MIN_COMETD_VERSION = 23
_JSON = "application/json"


@dataclass
class Streaming:
    """The CDC machinery of one running app."""

    org: Org
    recorder: Recorder
    reader: table.LogReader
    wakeup: Wakeup
    server: BayeuxServer

    def close(self) -> None:
        """End the long polls and stop logging (the app is shutting down)."""
        self.wakeup.close()
        self.recorder.uninstall()
        self.reader.close()
        if _running.get(self.org) is self:
            del _running[self.org]


_running: weakref.WeakKeyDictionary[Org, Streaming] = weakref.WeakKeyDictionary()


def streaming_of(org: Org) -> Streaming | None:
    """The CDC machinery serving ``org``, if an app for it is running."""
    return _running.get(org)


def stop(org: Org) -> None:
    """The server is stopping: answer held long polls now rather than at their timeout."""
    state = _running.get(org)
    if state is not None:
        state.wakeup.close()


def routes(ctx: ApiContext) -> list[BaseRoute]:
    org = ctx.org
    previous = _running.get(org)
    if previous is not None:
        previous.close()
    recorder = Recorder(org)
    recorder.install()
    table.purge(org.db, org.clock.now())
    wakeup = Wakeup()
    recorder.on_commit = wakeup.notify_threadsafe
    reader = table.LogReader(org.db)

    async def prune() -> None:
        await asyncio.to_thread(table.purge, org.db, org.clock.now())

    server = BayeuxServer(reader, Channels.of(org.schema), wakeup, prune)
    state = _running[org] = Streaming(org, recorder, reader, wakeup, server)
    ctx.on_close.append(state.close)
    ctx.on_refresh.append(table.forget_all)

    async def cometd(request: Request) -> Response:
        messages = _messages(await request.body())
        if messages is None:
            return _json([{"successful": False, "error": "400::Invalid JSON"}], 400)
        error = _version_error(request.path_params.get("version", ""))
        if error is not None:
            refused = [
                reply(m if isinstance(m, dict) else {}, False, error=error) for m in messages
            ]
            return _json(refused, 400)
        return _json(await server.handle(messages, _auth(org, request)))

    async def gap(request: Request) -> Response:
        try:
            require_session(org, request)
            body = _object(await request.body())
            if "gapNext" in body:
                count = body["gapNext"]
                if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                    raise _bad("gapNext", "a whole number of changes, 0 or more")
                await asyncio.to_thread(recorder.gap_next, count)
                return _json({"gapNext": count})
            entity, change_type, ids = _gap(org, body)
            replay_id = await asyncio.to_thread(recorder.inject_gap, entity, change_type, ids)
            return _json({"replayId": replay_id}, 201)
        except SalesforceError as exc:
            return _json([exc.as_rest()], exc.status)

    async def expire(request: Request) -> Response:
        try:
            require_session(org, request)
            body = _object(await request.body() or b"{}")
            through = body.get("throughReplayId")
            if through is not None and (not isinstance(through, int) or isinstance(through, bool)):
                raise _bad("throughReplayId", "a replay id")
            removed = await asyncio.to_thread(table.expire_through, org.db, through)
            return _json({"expired": removed, "floor": reader.bounds().floor})
        except SalesforceError as exc:
            return _json([exc.as_rest()], exc.status)

    async def events(request: Request) -> Response:
        try:
            require_session(org, request)
            after = _int_param(request, "after", 0)
            limit = _int_param(request, "limit", 2000)
        except SalesforceError as exc:
            return _json([exc.as_rest()], exc.status)
        found = reader.after(after, request.query_params.get("entity"), limit)
        return _json({"events": [e.message(ALL_CHANGES) for e in found], "bounds": _bounds(reader)})

    async def drop_clients(request: Request) -> Response:
        try:
            require_session(org, request)
        except SalesforceError as exc:
            return _json([exc.as_rest()], exc.status)
        dropped = server.clients.clear()
        wakeup.notify()  # their held connects answer now
        return _json({"dropped": dropped})

    return [
        Route("/cometd", cometd, methods=["POST"]),
        Route("/cometd/{version}", cometd, methods=["POST"]),
        Route("/cometd/{version}/{suffix:path}", cometd, methods=["POST"]),
        Route("/_emulator/cdc/gap", gap, methods=["POST"]),
        Route("/_emulator/cdc/expire", expire, methods=["POST"]),
        Route("/_emulator/cdc/events", events, methods=["GET"]),
        Route("/_emulator/cdc/drop-clients", drop_clients, methods=["POST"]),
    ]


def _auth(org: Org, request: Request) -> Auth:
    if not token_of(request):
        return Auth(None, "401::Request requires authentication")
    try:
        return Auth(require_session(org, request).user_id)
    except InvalidSession:
        return Auth(None)


def _version_error(text: str) -> str | None:
    """Salesforce's error for a missing or unsupported version in ``/cometd/VER``."""
    example = f"URI format: '/cometd/{MAX_API_VERSION}.0'"
    try:
        version = float(text)
    except ValueError:
        return f"400::API version in the URI is mandatory. {example}"
    if not MIN_COMETD_VERSION <= version < MAX_API_VERSION + 1:
        return (
            f"400::Unsupported API version. Only API versions '{MIN_COMETD_VERSION}.0' "
            f"and above are supported. {example}"
        )
    return None


def _messages(body: bytes) -> list[Any] | None:
    """A Bayeux request body: an array of messages, or one message."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if isinstance(parsed, dict):
        return [parsed]
    return parsed if isinstance(parsed, list) else None


def _object(body: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise SalesforceError("JSON_PARSER_ERROR", "The request body is not JSON.") from None
    if not isinstance(parsed, dict):
        raise SalesforceError("JSON_PARSER_ERROR", "The request body must be a JSON object.")
    return parsed


def _gap(org: Org, body: dict[str, Any]) -> tuple[str, str, list[str]]:
    """(entity, changeType, recordIds) of a gap request, or 400 naming the bad field."""
    obj = org.schema.get(str(body.get("entity", "")))
    if obj is None:
        raise _bad("entity", "the API name of an object of this org")
    change_type = body.get("changeType")
    if change_type not in GAP_TYPES:
        raise _bad("changeType", "one of " + ", ".join(sorted(GAP_TYPES)))
    ids = body.get("recordIds", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _bad("recordIds", "a list of record ids")
    if not ids and change_type != "GAP_OVERFLOW":
        raise _bad("recordIds", f"at least one record id for {change_type}")
    return obj.name, str(change_type), ids


def _bad(field: str, expected: str) -> SalesforceError:
    return SalesforceError("INVALID_FIELD", f"{field}: expected {expected}", fields=[field])


def _int_param(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise _bad(name, "a whole number") from None


def _bounds(reader: table.LogReader) -> dict[str, int]:
    bounds = reader.bounds()
    return {"floor": bounds.floor, "latest": bounds.latest}


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type=_JSON)
