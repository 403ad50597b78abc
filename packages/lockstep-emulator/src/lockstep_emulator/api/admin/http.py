"""What every admin route shares: the bearer token, JSON in and out, 400s that name
the field at fault.

Errors have Salesforce's REST shape, as every admin route's do (``/_emulator/cdc/…``
too): ``[{"errorCode", "message", "fields"}, …]``, one entry per problem, all at once.
A problem's place in the body is written as a path (``rules[0].status``), which leads
its message and is its ``fields``. A missing or bad token answers exactly as a data
call does (401 ``INVALID_SESSION_ID``), since it is the same token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lockstep_emulator.api.sessions import Session, require_session
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.faults.rules import KINDS

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

M = TypeVar("M", bound=BaseModel)
PREFIX = "/_emulator"
_JSON = "application/json"
_PARSER = "JSON_PARSER_ERROR"

Handler = Callable[[Request, bytes, Session], Any]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: where (``""`` for the whole body), what, its code."""

    field: str
    message: str
    error_code: str = "INVALID_FIELD"

    def as_rest(self) -> dict[str, Any]:
        text = f"{self.field}: {self.message}" if self.field else self.message
        fields = [self.field] if self.field else []
        return {"errorCode": self.error_code, "message": text, "fields": fields}


class AdminError(Exception):
    """A bad admin request, with every problem found in it."""

    def __init__(self, problems: Sequence[Problem], status: int = 400) -> None:
        self.problems = list(problems)
        self.status = status
        super().__init__("; ".join(p.as_rest()["message"] for p in self.problems))


def admin_route(ctx: ApiContext, path: str, methods: list[str], handler: Handler) -> Route:
    """``/_emulator/<path>``: checks the token, runs ``handler``, answers its result as JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            session = require_session(ctx.org, request)
        except SalesforceError as exc:
            return json_response([exc.as_rest()], exc.status)
        body = await request.body()
        try:
            return json_response(handler(request, body, session))
        except AdminError as exc:
            return json_response([p.as_rest() for p in exc.problems], exc.status)

    return Route(f"{PREFIX}/{path}", endpoint, methods=methods)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type=_JSON)


def json_body(body: bytes, *, empty: Any = None) -> Any:
    """The body as JSON (``empty`` when there is none), or a 400 saying where it broke."""
    if not body.strip():
        if empty is None:
            raise AdminError([Problem("", "the request body is empty; send JSON", _PARSER)])
        return empty
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise AdminError([Problem("", f"the body is not JSON: {exc}", _PARSER)]) from None


def parse(model: type[M], data: Any) -> M:
    """``data`` as ``model``, or a 400 listing each field that is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise AdminError(problems_of(exc)) from None


def problems_of(exc: ValidationError) -> list[Problem]:
    """pydantic's errors as problems at ``rules[0].status`` and the like."""
    out = []
    for error in exc.errors(include_url=False):
        loc = _without_tags(error["loc"])
        kind = error["type"]
        message = str(error["msg"]).removeprefix("Value error, ")
        if kind == "union_tag_invalid":
            loc = (*loc, "kind")
            expected = error["ctx"]["expected_tags"].replace("'", "")
            message = f"unknown kind {error['ctx']['tag']!r}; expected one of: {expected}"
        elif kind == "union_tag_not_found":
            loc = (*loc, "kind")
            message = "missing: every rule needs a kind"
        elif kind == "missing":
            message = "missing"
        elif kind == "extra_forbidden":
            message = "unknown field"
        out.append(Problem(field_path(loc), message))
    return out


def field_path(loc: Sequence[str | int]) -> str:
    """``("rules", 0, "status")`` → ``rules[0].status``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _without_tags(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """pydantic puts a tagged union's tag in the path (``rules.0.http_error.status``)."""
    return tuple(
        part
        for i, part in enumerate(loc)
        if not (part in KINDS and i > 0 and isinstance(loc[i - 1], int))
    )
