"""``/_emulator/faults`` (the rules in force) and ``/_emulator/stats`` (calls counted)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import Route

from lockstep_emulator.api.admin.http import admin_route, json_body, parse
from lockstep_emulator.api.sessions import Session
from lockstep_emulator.faults.rules import FaultPlan

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext


def routes(ctx: ApiContext) -> list[Route]:
    def list_faults(request: Request, body: bytes, session: Session) -> Any:
        return ctx.faults.listing()

    def put_faults(request: Request, body: bytes, session: Session) -> Any:
        data = json_body(body)
        plan = parse(FaultPlan, {"rules": data} if isinstance(data, list) else data)
        ctx.faults.install(plan)
        return ctx.faults.listing()

    def clear_faults(request: Request, body: bytes, session: Session) -> Any:
        ctx.faults.clear()
        return ctx.faults.listing()

    def stats(request: Request, body: bytes, session: Session) -> Any:
        return ctx.stats.snapshot()

    def reset_stats(request: Request, body: bytes, session: Session) -> Any:
        ctx.stats.reset()
        return ctx.stats.snapshot()

    return [
        admin_route(ctx, "faults", ["GET"], list_faults),
        admin_route(ctx, "faults", ["PUT"], put_faults),
        admin_route(ctx, "faults", ["DELETE"], clear_faults),
        admin_route(ctx, "stats", ["GET"], stats),
        admin_route(ctx, "stats", ["DELETE"], reset_stats),
    ]
