"""Values the report tests share: a plan item, an outcome, a summary (imported by
name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lockstep.core.counts import Counts
from lockstep.core.plan import Outcome, PlanItem
from lockstep.core.status import RunMode as Mode
from lockstep.reports.summary import Summary

STARTED = datetime(2026, 11, 24, 1, 2, 3, tzinfo=UTC)


def item(key: str = "42", action: Any = "create", **changes: Any) -> PlanItem:
    fields: dict[str, Any] = {
        "entity": "customer",
        "source": "sql",
        "target": "salesforce",
        "source_key": key,
        "action": action,
        "global_id": f"g-{key}",
    }
    fields.update(changes)
    return PlanItem(**fields)


def outcome(key: str = "42", **changes: Any) -> Outcome:
    fields: dict[str, Any] = {
        "item": item(key),
        "ok": True,
        "target_key": f"001000000000{key}AAA",
        "created": True,
    }
    fields.update(changes)
    return Outcome(**fields)


def summary(run_id: str = "r1", mode: Mode = "migrate", **changes: Any) -> Summary:
    customer = Counts(selected=10_000, processed=9_824, created=9_812, failed=12)
    contact = Counts(selected=3, processed=3, updated=2, unchanged=1)
    fields: dict[str, Any] = {
        "run_id": run_id,
        "mode": mode,
        "status": "done",
        "started_at": STARTED,
        "finished_at": STARTED + timedelta(minutes=3, seconds=7),
        "counts": Counts(
            selected=10_003, processed=9_827, created=9_812, updated=2, unchanged=1, failed=12
        ),
        "by_entity": {"customer": customer, "contact": contact},
        "api_calls": {"sql": 3, "salesforce": 57},
    }
    fields.update(changes)
    return Summary(**fields)
