"""Placeholder: fault injection wraps the whole app (the emulator's part-two issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp

if TYPE_CHECKING:
    from lockstep.emulator.api.context import ApiContext


def wrap(app: ASGIApp, ctx: ApiContext) -> ASGIApp:
    return app
