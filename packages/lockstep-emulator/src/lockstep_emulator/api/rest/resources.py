"""The version root's resource list, ``limits``, ``limits/recordCount`` and ``recent``.

The root ("Resources by Version") lists only the resources the emulator serves, and
the user's ``identity`` URL, as Salesforce does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockstep_emulator.api.dispatch import Call, Reply, Router
from lockstep_emulator.errors import SalesforceError

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

RESOURCES = (
    "sobjects",
    "query",
    "queryAll",
    "limits",
    "composite",
    "search",
    "recent",
    "jobs",
)


def resources(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    listed = {r: f"/services/data/v{call.version}/{r}" for r in RESOURCES}
    identity = f"{call.base_url}/id/{ctx.org.org_id}/{call.session.user_id}"
    return Reply(200, {**listed, "identity": identity})


def _limit(maximum: int, remaining: int) -> dict[str, int]:
    return {"Max": maximum, "Remaining": remaining}


def limits(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    usage = ctx.usage
    return Reply(
        200,
        {
            "DailyApiRequests": _limit(usage.limit, usage.remaining),
            "DailyBulkApiBatches": _limit(15000, 15000),
            "DailyBulkV2QueryJobs": _limit(10000, 10000),
            "DailyBulkV2QueryFileStorageMB": _limit(976562, 976562),
            "DataStorageMB": _limit(1024, 1024),
            "FileStorageMB": _limit(1024, 1024),
            "ConcurrentAsyncGetReportInstances": _limit(200, 200),
            "DailyAsyncApexExecutions": _limit(250000, 250000),
            "DailyStreamingApiEvents": _limit(10000, 10000),
            "DailyDurableStreamingApiEvents": _limit(10000, 10000),
            "HourlyPublishedPlatformEvents": _limit(50000, 50000),
            "MonthlyPlatformEventsUsageEntitlement": _limit(300000, 300000),
            "SingleEmail": _limit(15, 15),
        },
    )


def record_count(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    schema = ctx.org.schema
    wanted = [n for n in call.query.get("sObjects", "").split(",") if n.strip()]
    objects = []
    for name in wanted or schema.names():
        obj = schema.get(name.strip())
        if obj is None:
            raise SalesforceError(
                "INVALID_TYPE", f"sObject type '{name.strip()}' is not supported."
            )
        objects.append(obj)
    return Reply(
        200, {"sObjects": [{"count": ctx.org.store.count(o), "name": o.name} for o in objects]}
    )


def recent(ctx: ApiContext, call: Call, p: dict[str, str]) -> Reply:
    """Recently viewed items: records a user viewed in the UI, or queried ``FOR VIEW``.

    The emulator has no UI and records no views, so the list is always empty.
    """
    return Reply(200, [])


def register(router: Router) -> None:
    router.add("GET", "", resources)
    router.add("GET", "recent", recent)
    router.add("GET", "limits", limits)
    router.add("GET", "limits/recordCount", record_count)
