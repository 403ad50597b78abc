"""``/_emulator/refresh`` (a sandbox refresh) and ``/_emulator/clock`` (time travel)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.routing import Route

from lockstep_emulator.api.admin.http import admin_route, json_body, parse
from lockstep_emulator.api.sessions import Session, store_for
from lockstep_emulator.store.layout import format_datetime
from lockstep_emulator.store.refresh import refresh

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

MAX_ADVANCE = timedelta(days=3650)


class ClockAdvance(BaseModel):
    """How far to move the org's clock forward; the amounts given are added up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    advance_seconds: float = Field(0, ge=0, description="Seconds to move forward.")
    advance_minutes: float = Field(0, ge=0, description="Minutes to move forward.")
    advance_hours: float = Field(0, ge=0, description="Hours to move forward.")
    advance_days: float = Field(0, ge=0, description="Days to move forward.")

    @model_validator(mode="after")
    def _bounded(self) -> ClockAdvance:
        if self.delta > MAX_ADVANCE:
            raise ValueError(f"the clock moves at most {MAX_ADVANCE.days} days at a time")
        return self

    @property
    def delta(self) -> timedelta:
        return timedelta(
            seconds=self.advance_seconds,
            minutes=self.advance_minutes,
            hours=self.advance_hours,
            days=self.advance_days,
        )


def routes(ctx: ApiContext) -> list[Route]:
    org = ctx.org

    def post_refresh(request: Request, body: bytes, session: Session) -> Any:
        sessions = store_for(org)
        done = refresh(org, [lambda conn: sessions.invalidate_all(), *ctx.on_refresh])
        ctx.locators.close_all()
        return asdict(done)

    def clock(request: Request, body: bytes, session: Session) -> Any:
        return _clock_state(ctx)

    def advance(request: Request, body: bytes, session: Session) -> Any:
        step = parse(ClockAdvance, json_body(body))
        org.clock.advance(step.delta)
        with org.db.transaction():
            purged = org.store.purge_recycle_bin()
        return {**_clock_state(ctx), "purged": purged}

    return [
        admin_route(ctx, "refresh", ["POST"], post_refresh),
        admin_route(ctx, "clock", ["GET"], clock),
        admin_route(ctx, "clock", ["POST"], advance),
    ]


def _clock_state(ctx: ApiContext) -> dict[str, Any]:
    clock = ctx.org.clock
    return {"now": format_datetime(clock.now()), "offset_seconds": clock.offset.total_seconds()}
