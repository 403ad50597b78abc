"""Telemetry, capture cursors and settings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from lockstep.ledger import Ledger

if TYPE_CHECKING:
    from conftest import Clock


def test_metrics_are_recorded_queried_and_pruned(ledger: Ledger, clock: Clock) -> None:
    start = clock()
    ledger.record_metric("salesforce", "api_calls", 3, {"object": "Account"})
    clock.advance(days=3)
    ledger.record_metric("salesforce", "failures", 1)
    clock.advance(days=5)
    ledger.record_metric("sql", "api_calls", 2.5)

    every = ledger.metrics(start)
    assert [(m.system, m.metric, m.value) for m in every] == [
        ("salesforce", "api_calls", 3.0),
        ("salesforce", "failures", 1.0),
        ("sql", "api_calls", 2.5),
    ]
    assert every[0].labels == {"object": "Account"}
    assert every[1].labels is None
    assert every[0].at == start
    assert [m.system for m in ledger.metrics(start, metric="api_calls")] == ["salesforce", "sql"]
    assert [m.metric for m in ledger.metrics(start, system="salesforce")] == [
        "api_calls",
        "failures",
    ]
    assert len(ledger.metrics(start + timedelta(days=1))) == 2

    assert ledger.prune_telemetry() == 1  # older than 7 days
    assert ledger.prune_telemetry(timedelta(days=1)) == 1
    assert [m.system for m in ledger.metrics(start)] == ["sql"]


def test_record_metric_at_a_given_time(ledger: Ledger, clock: Clock) -> None:
    earlier = clock() - timedelta(hours=2)
    ledger.record_metric("sql", "lag_seconds", 0.5, at=earlier)
    (metric,) = ledger.metrics(earlier)
    assert metric.at == earlier


def test_cursors(ledger: Ledger) -> None:
    assert ledger.cursor("salesforce", "Account") is None
    ledger.save_cursor("salesforce", "Account", "2026-11-24T01:02:03.000Z")
    ledger.save_cursor("salesforce", "Account", "2026-11-24T02:00:00.000Z")
    ledger.save_cursor("salesforce", "Contact", "c1")
    ledger.save_cursor("sql", "customers", "1234")
    assert ledger.cursor("salesforce", "Account") == "2026-11-24T02:00:00.000Z"
    assert ledger.cursor("sql", "customers") == "1234"

    assert ledger.drop_cursors("salesforce") == 2
    assert ledger.cursor("salesforce", "Contact") is None
    assert ledger.cursor("sql", "customers") == "1234"


def test_settings(ledger: Ledger) -> None:
    assert ledger.setting("paused") is None
    ledger.put_setting("paused", {"systems": ["salesforce"], "since": Decimal("1.5")})
    assert ledger.setting("paused") == {"systems": ["salesforce"], "since": Decimal("1.5")}
    ledger.put_setting("paused", [])
    assert ledger.setting("paused") == []
    ledger.put_setting("paused", None)
    assert ledger.setting("paused") is None
