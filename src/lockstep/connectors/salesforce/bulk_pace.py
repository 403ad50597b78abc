"""When to poll a running Bulk API 2.0 ingest job again.

Every poll is an API call, so the aim is one poll when the job has ended and few
before. The first comes after ``bulk_poll_seconds``. From then on, once the job shows
progress (``numberRecordsProcessed``, failed rows included, of the rows uploaded), the
next wait is the time the rows left should take at the job's rate, 15 % over
(a job's rate wanders by about that much as it runs), between ``bulk_poll_seconds``
and ``MAX_ESTIMATED``. The rate is the highest of:

- the rows done over the time since the job was closed (which includes its time in
  the queue, so it understates the rate early on);
- the rows done over the job's ``totalProcessingTime`` (no queue; where Salesforce
  sums parallel batches, it understates the rate too);
- the rows done between the last two polls that both showed progress.

A rate taken too high costs one more poll, not latency. While a job shows no
progress (queued, or no batch of it committed yet), the wait grows 1.5x a poll up to
``MAX_BLIND``, as it would without an estimate.

Salesforce counts progress batch by batch, the emulator chunk by chunk (256 KB of
upload), so progress shows early. Against the emulator a 20,000-row upsert (under a
second) is polled twice, a 200,000-row one (about 7 s) two or three times, the last
poll mostly within half a second of the end; growing waits polled that one 6 to 7
times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

GROWTH = 1.5
MAX_BLIND = 10.0
MAX_ESTIMATED = 30.0
MARGIN = 1.15


@dataclass(frozen=True)
class Seen:
    """What one poll showed: ``at`` seconds after the close, ``done`` rows processed,
    ``busy`` seconds of processing reported."""

    at: float
    done: int
    busy: float


@dataclass(frozen=True)
class Pace:
    """The wait before the next poll of a job of ``rows`` rows."""

    rows: int
    floor: float  # bulk_poll_seconds
    wait: float
    last: Seen | None = None  # the last poll that showed progress

    def after(self, info: Mapping[str, Any], at: float) -> Pace:
        """The pace once a poll ``at`` seconds after the close has answered ``info``."""
        done = int(_number(info, "numberRecordsProcessed"))
        seen = Seen(at, done, _number(info, "totalProcessingTime") / 1000)
        if seen.done <= 0:
            return replace(self, wait=min(self.wait * GROWTH, max(MAX_BLIND, self.floor)))
        rate = max(_rates(seen, self.last))
        left = max(self.rows - seen.done, 0) / rate * MARGIN
        wait = min(max(left, self.floor), max(MAX_ESTIMATED, self.floor))
        return replace(self, wait=wait, last=seen)


def pace(rows: int, poll_seconds: float) -> Pace:
    """The pace of a job just closed: its first poll after ``poll_seconds``."""
    return Pace(rows, poll_seconds, poll_seconds)


def _rates(seen: Seen, last: Seen | None) -> list[float]:
    rates = [seen.done / seen.at] if seen.at > 0 else []
    if seen.busy > 0:
        rates.append(seen.done / seen.busy)
    if last is not None and seen.done > last.done and seen.at > last.at:
        rates.append((seen.done - last.done) / (seen.at - last.at))
    return rates or [float("inf")]


def _number(info: Mapping[str, Any], name: str) -> float:
    try:
        return float(info.get(name) or 0)
    except (TypeError, ValueError):
        return 0
