"""Summary: aware times, contract order, and a round trip through JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from report_values import STARTED, summary

from lockstep.core.plan import FINDINGS
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


def test_a_reconcile_run_counts_its_findings_by_class_for_the_run_and_each_entity() -> None:
    customer = {**dict.fromkeys(FINDINGS, 0), "missing": 2, "field_mismatch": 1}
    contact = {**dict.fromkeys(FINDINGS, 0), "field_mismatch": 4, "locked_different": 1}
    s = summary(mode="reconcile", findings={"customer": customer, "contact": contact})

    data = json.loads(s.to_json())

    assert list(data)[8:11] == ["deferred", "extra", "findings"]
    assert data["findings"] == {
        **dict.fromkeys(FINDINGS, 0),
        "missing": 2,
        "field_mismatch": 5,
        "locked_different": 1,
    }
    assert list(data["findings"]) == list(FINDINGS)  # every class, in one order
    assert data["by_entity"]["customer"]["findings"] == customer
    assert data["by_entity"]["contact"]["selected"] == 3  # the counts as before
    assert Summary.from_json(s.to_json()) == s


def test_other_runs_have_no_findings() -> None:
    data = json.loads(summary(mode="migrate").to_json())

    assert "findings" not in data
    assert "findings" not in data["by_entity"]["customer"]
