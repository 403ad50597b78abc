"""The REST layer's seam: a call comes in as a ``Call`` value, goes out as a ``Reply``.

Starlette only adapts HTTP to this shape (``app.py``), so Composite and Batch can
run their subrequests through exactly the handlers a direct call reaches, without
sockets or a second router.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from lockstep_emulator.errors import SalesforceError

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext
    from lockstep_emulator.api.sessions import Session


@dataclass(frozen=True)
class Call:
    """One REST request under ``/services/data/vNN.0/``."""

    method: str
    path: str  # after the version segment, no leading slash, e.g. "sobjects/Account/001…"
    version: str  # "59.0"
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    session: Session
    base_url: str  # "https://127.0.0.1:8443"
    # Fault injection (``job_failed``): the errorMessage the Bulk job this call starts
    # ends Failed with, instead of running.
    job_failure: str | None = None

    def json(self) -> Any:
        """The body as JSON, or 400 JSON_PARSER_ERROR naming where it broke."""
        if not self.body.strip():
            raise SalesforceError("JSON_PARSER_ERROR", "The request body is empty.")
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise SalesforceError(
                "JSON_PARSER_ERROR", f"Unexpected character in request body: {exc}"
            ) from None

    @property
    def api_number(self) -> float:
        return float(self.version)


@dataclass
class Reply:
    """What a handler answers: status, a JSON-able body (or raw bytes), headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    media_type: str = "application/json;charset=UTF-8"
    after: Callable[[], None] | None = None  # run once the response has been sent

    def json_body(self) -> Any:
        """The body as JSON values, whether the handler built them or encoded them."""
        if self.raw is not None and self.media_type.startswith("application/json"):
            return orjson.loads(self.raw)
        return self.body


Handler = Callable[["ApiContext", Call, dict[str, str]], Reply]


def error_reply(exc: SalesforceError) -> Reply:
    return Reply(exc.status, [exc.as_rest()])


class Router:
    """Ordered (method, path regex) → handler table for REST paths."""

    def __init__(self) -> None:
        self._routes: list[tuple[frozenset[str], re.Pattern[str], Handler]] = []

    def add(self, methods: str, pattern: str, handler: Handler) -> None:
        self._routes.append(
            (frozenset(methods.split()), re.compile("^" + pattern + "/?$", re.I), handler)
        )

    def dispatch(self, ctx: ApiContext, call: Call) -> Reply:
        allowed: set[str] = set()
        for methods, pattern, handler in self._routes:
            match = pattern.match(call.path)
            if match is None:
                continue
            if call.method not in methods:
                allowed |= methods
                continue
            try:
                return handler(ctx, call, match.groupdict())
            except SalesforceError as exc:
                return error_reply(exc)
        if allowed:
            return error_reply(
                SalesforceError(
                    "METHOD_NOT_ALLOWED",
                    f"HTTP Method '{call.method}' not allowed. Allowed are "
                    f"{','.join(sorted(allowed))}",
                    status=405,
                )
            )
        return error_reply(
            SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        )
