"""``lockstep sync``'s loop goes on through Salesforce sessions that expire (seed: the
expiry repro, issue 10 item 8): two expiries within one call are two logins, and the
call goes through; a session that keeps expiring whatever the logins is a failure that
may pass (the pass notes it, the next one tries again), never refused credentials that
end the loop."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from lockstep.errors import Transient
from lockstep.reports.summary import Summary
from lockstep.sync.loop import keep_syncing
from tests.support.looks import soql
from tests.support.sync_world import World

PASSES = 4


def loop(world: World, rule: dict[str, Any]) -> tuple[list[Summary], list[Transient]]:
    """``keep_syncing`` on the world, ``PASSES`` passes; ``rule`` is armed after the
    first (a failure of the first pass ends the loop by design) with a new customer to
    carry, and cleared before the last (it must have fired by then)."""
    stop = threading.Event()
    summaries: list[Summary] = []
    failures: list[Transient] = []
    fired: list[int] = []

    def on_pass(summary: Summary) -> None:
        summaries.append(summary)
        if len(summaries) == 1:
            world.insert("customers", [{"id": 1, "name": "during", "phone": None}])
            world.admin.set_faults([rule])
        if len(summaries) + len(failures) == PASSES - 1:
            fired.append(world.admin.faults()["rules"][0]["fired"])
            world.admin.clear_faults()
        if len(summaries) + len(failures) >= PASSES:
            stop.set()

    def on_failure(failure: Transient, wait: float) -> None:
        failures.append(failure)

    passes = keep_syncing(world.sync, stop, 0.0, on_pass=on_pass, on_failure=on_failure)

    assert passes == PASSES
    assert fired and fired[0] == rule.get("count", fired[0]) and fired[0] >= 2, fired
    return summaries, failures


def test_two_expiries_in_one_call_do_not_end_the_loop(world: World) -> None:
    summaries, failures = loop(
        world, {"kind": "expire_session", "count": 2, "match": {"path": "/query"}}
    )

    assert failures == []
    assert [s.status for s in summaries] == ["done"] * PASSES, [s.notes for s in summaries]
    assert [r["Name"] for r in soql(world.sf, "SELECT Name FROM Account")] == ["during"]
    assert world.rows("customers")[1]["sync_status"] == "Success"


@pytest.mark.parametrize("count", [5, None], ids=["count_5", "endless"])
def test_a_session_that_keeps_expiring_is_noted_and_the_loop_goes_on(
    world: World, count: int | None
) -> None:
    rule: dict[str, Any] = {"kind": "expire_session", "match": {"path": "/query"}}
    if count is not None:
        rule["count"] = count

    summaries, failures = loop(world, rule)

    assert failures == []  # a capture that fails is noted, the pass goes on
    notes = [note for s in summaries for note in s.notes]
    assert any("keeps expiring" in note for note in notes), notes
    assert summaries[1].status == "interrupted"
    assert summaries[-1].status == "done"
    assert [r["Name"] for r in soql(world.sf, "SELECT Name FROM Account")] == ["during"]
