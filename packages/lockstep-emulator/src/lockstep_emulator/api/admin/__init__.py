"""The admin API under ``/_emulator/``: what tests and benchmarks need from an org that
Salesforce does not offer (faults, a refresh on demand, time travel, undelete,
reset, seeding, call counts). Same bearer token as data calls; JSON in and out.

Other families add their own admin routes (``/_emulator/cdc/…`` in ``streaming``), so
this package adds no catch-all route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from lockstep_emulator.api.admin import faults, org, records

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext


def routes(ctx: ApiContext) -> list[BaseRoute]:
    return [*faults.routes(ctx), *org.routes(ctx), *records.routes(ctx)]
