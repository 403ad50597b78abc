"""``/_emulator/undelete``, ``/_emulator/reset`` and ``/_emulator/seed``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.routing import Route

from lockstep_emulator.api.admin.http import AdminError, Problem, admin_route, json_body, parse
from lockstep_emulator.api.sessions import Session
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.store.records import canonical_id
from lockstep_emulator.store.reset import reset
from lockstep_emulator.store.seed import SeedError, rows_from_csv, seed

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

MAX_UNDELETE = 10_000
_PARSER = "JSON_PARSER_ERROR"


class Undelete(BaseModel):
    """Records to take out of the recycle bin."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ids: list[str] = Field(
        min_length=1, max_length=MAX_UNDELETE, description="Record ids (15 or 18 characters)."
    )


def routes(ctx: ApiContext) -> list[Route]:
    org = ctx.org

    def undelete(request: Request, body: bytes, session: Session) -> Any:
        wanted = parse(Undelete, json_body(body))
        results = []
        with org.db.transaction():
            for record_id in wanted.ids:
                try:
                    with org.db.transaction():
                        org.store.undelete(record_id, session.user_id)
                except SalesforceError as exc:
                    results.append({"id": record_id, "success": False, "errors": [exc.as_status()]})
                else:
                    results.append({"id": canonical_id(record_id), "success": True, "errors": []})
        return results

    def wipe(request: Request, body: bytes, session: Session) -> Any:
        deleted = reset(org)
        ctx.locators.close_all()
        return {"deleted": deleted}

    def seed_records(request: Request, body: bytes, session: Session) -> Any:
        records = _records(request, body)
        try:
            created = seed(org.store, records, session.user_id)
        except SeedError as exc:
            raise AdminError(
                [
                    Problem(".".join([p.where, *p.fields[:1]]), p.message, p.error_code)
                    for p in exc.problems
                ]
            ) from None
        return {"created": sum(len(v) for v in created.values()), "ids": created}

    return [
        admin_route(ctx, "undelete", ["POST"], undelete),
        admin_route(ctx, "reset", ["POST"], wipe),
        admin_route(ctx, "seed", ["POST"], seed_records),
    ]


def _records(request: Request, body: bytes) -> dict[str, list[Any]]:
    """The records of a seed body: JSON ``{"Object": [{…}, …]}``, or CSV with ``?object=``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "text/csv":
        name = request.query_params.get("object", "").strip()
        if not name:
            raise AdminError([Problem("object", "a CSV seed needs ?object=<sObject name>")])
        try:
            return {name: list(rows_from_csv(body.decode("utf-8-sig")))}
        except UnicodeDecodeError:
            raise AdminError([Problem("", "the CSV is not UTF-8", _PARSER)]) from None
        except ValueError as exc:
            raise AdminError([Problem("", f"bad CSV: {exc}", _PARSER)]) from None
    data = json_body(body)
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise AdminError([Problem("", 'expected {"<Object>": [<record>, …], …}', _PARSER)])
    return data
