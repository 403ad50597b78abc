"""Summary: aware times, contract order, and a round trip through JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from report_values import STARTED, summary

from lockstep.reports.summary import Summary


def test_round_trip() -> None:
    s = summary(notes=("a", "b"), deferred=2, config="c.yaml", reports="reports/r1")
    assert Summary.from_json(s.to_json()) == s


def test_times_are_written_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    s = summary(started_at=STARTED.astimezone(paris))
    assert json.loads(s.to_json())["started_at"] == "2026-11-24T01:02:03Z"
    assert s.duration == timedelta(minutes=3, seconds=7)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        summary(finished_at=datetime(2026, 11, 24, 1, 5))


def test_json_is_stable() -> None:
    assert summary().to_json() == summary().to_json()
    assert summary().to_json().endswith(b"}\n")
