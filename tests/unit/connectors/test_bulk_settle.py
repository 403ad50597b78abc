"""An aborted Bulk job is read until its processed count has stood still for longer
than one of its batches takes, however slow that batch is."""

from __future__ import annotations

from typing import Any

from lockstep.connectors.salesforce.bulk import SETTLE_CAP, SETTLE_FLOOR, BulkJob, settle_window


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedJob:
    """Answers ``GET jobs/ingest/{id}`` from a timeline: (from time, processed)."""

    system = "org"

    def __init__(self, clock: Clock, timeline: list[tuple[float, int]], spent_ms: int) -> None:
        self.clock = clock
        self.timeline = timeline
        self.spent_ms = spent_ms
        self.reads = 0

    def rest(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        assert (method, path) == ("GET", "jobs/ingest/J")
        self.reads += 1
        processed = max(n for t, n in self.timeline if t <= self.clock.now)
        return {
            "state": "Aborted",
            "numberRecordsProcessed": processed,
            "totalProcessingTime": self.spent_ms,
        }


def settle(timeline: list[tuple[float, int]], spent_ms: int, poll: float = 0.05) -> int:
    clock = Clock()
    client = ScriptedJob(clock, timeline, spent_ms)
    job = BulkJob(
        client,  # type: ignore[arg-type]
        poll_seconds=poll,
        timeout_seconds=1,
        sleep=clock.sleep,
        clock=clock,
    )
    return int(job._settled("J")["numberRecordsProcessed"])


def test_a_batch_slower_than_two_polls_is_waited_for() -> None:
    # 4,000 rows took 2 s, so a batch can take 5 s; the last one commits at 0.6 s
    assert settle([(0, 4_000), (0.6, 7_500)], spent_ms=2_000) == 7_500
    assert settle([(0, 4_000), (4.5, 7_500)], spent_ms=2_000) == 7_500


def test_a_still_job_is_settled_after_the_window() -> None:
    assert settle([(0, 4_000)], spent_ms=400) == 4_000


def test_the_window_follows_the_pace_within_bounds() -> None:
    assert settle_window({"numberRecordsProcessed": 4_000, "totalProcessingTime": 2_000}, 0.05) == 5
    assert settle_window({"numberRecordsProcessed": 4_000, "totalProcessingTime": 10}, 0.05) == (
        SETTLE_FLOOR
    )
    assert settle_window({"numberRecordsProcessed": 0, "totalProcessingTime": 0}, 2.0) == 4.0
    slow = {"numberRecordsProcessed": 10, "totalProcessingTime": 600_000}
    assert settle_window(slow, 0.05) == SETTLE_CAP


def test_a_job_that_never_stands_still_is_given_up_at_the_cap() -> None:
    moving = [(t / 10, t) for t in range(0, 10 * int(SETTLE_CAP) + 100)]
    assert settle(moving, spent_ms=1) >= 10 * SETTLE_CAP
