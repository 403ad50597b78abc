"""Placeholder: routes for this family are added by the emulator's part-two issue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from lockstep.emulator.api.context import ApiContext


def routes(ctx: ApiContext) -> list[BaseRoute]:
    return []
