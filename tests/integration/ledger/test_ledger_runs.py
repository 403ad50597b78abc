from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from lockstep.ledger import ExceptionEntry, Ledger

if TYPE_CHECKING:
    from conftest import Clock


def test_a_run_starts_and_finishes(ledger: Ledger, clock: Clock) -> None:
    run = ledger.start_run("migrate", ["customer", "contact"], "cfg-1")
    assert re.fullmatch(r"20261124T010203Z-[0-9a-f]{6}", run.run_id)
    assert (run.status, run.entities, run.config_hash) == (
        "running",
        ("customer", "contact"),
        "cfg-1",
    )
    assert ledger.run(run.run_id) == run

    clock.advance(minutes=3)
    summary = {"counts": {"created": 10, "failed": 1}, "api_calls": {"salesforce": 4}}
    done = ledger.finish_run(run.run_id, "done", summary)
    assert (done.status, done.summary, done.finished_at) == ("done", summary, clock())
    assert done.started_at == run.started_at
    assert ledger.run(run.run_id) == done
    assert ledger.run("nope") is None
    with pytest.raises(KeyError):
        ledger.finish_run("nope", "done")


def test_run_ids_sort_by_start_time(ledger: Ledger, clock: Clock) -> None:
    ids = []
    for _ in range(3):
        ids.append(ledger.start_run("sync", []).run_id)
        clock.advance(seconds=1)
    assert ids == sorted(ids)


def test_last_run_by_mode_entity_and_status(ledger: Ledger, clock: Clock) -> None:
    assert ledger.last_run("migrate") is None
    older = ledger.start_run("migrate", ["customer"])
    ledger.finish_run(older.run_id, "done")
    clock.advance(minutes=1)
    newer = ledger.start_run("migrate", ["contact"])
    ledger.finish_run(newer.run_id, "done")
    clock.advance(minutes=1)
    failed = ledger.start_run("migrate", ["customer"])
    ledger.finish_run(failed.run_id, "failed")

    last = ledger.last_run("migrate")
    assert last is not None and last.run_id == newer.run_id
    for_customer = ledger.last_run("migrate", entity="customer")
    assert for_customer is not None and for_customer.run_id == older.run_id
    any_status = ledger.last_run("migrate", entity="customer", status=None)
    assert any_status is not None and any_status.run_id == failed.run_id
    assert ledger.last_run("migrate", entity="case") is None
    assert ledger.last_run("reconcile") is None


def test_interrupted_runs(ledger: Ledger, clock: Clock) -> None:
    crashed = ledger.start_run("sync", ["customer"])
    clock.advance(seconds=1)
    stopped = ledger.start_run("sync", ["customer"])
    ledger.finish_run(stopped.run_id, "interrupted")
    clock.advance(seconds=1)
    ledger.finish_run(ledger.start_run("sync", []).run_id, "done")

    found = ledger.interrupted_runs()
    assert [r.run_id for r in found] == [crashed.run_id, stopped.run_id]
    ledger.finish_run(crashed.run_id, "interrupted", {"reason": "process gone"})
    assert [r.status for r in ledger.interrupted_runs()] == ["interrupted", "interrupted"]


def test_exceptions_are_recorded_listed_and_resolved(ledger: Ledger, clock: Clock) -> None:
    first = ledger.start_run("migrate", ["customer", "contact"]).run_id
    second = ledger.start_run("migrate", ["customer"]).run_id
    assert (
        ledger.record_exceptions(
            first,
            [
                ExceptionEntry("customer", "salesforce", "42", "REQUIRED_FIELD_MISSING", "Name"),
                ExceptionEntry("contact", "salesforce", "7", "DUPLICATE_VALUE", "dup", "750x"),
            ],
        )
        == 2
    )
    ledger.record_exceptions(second, [ExceptionEntry("customer", "sql", "9", "SQL_X", "bad")])
    ledger.record_exceptions(None, [ExceptionEntry("customer", "sql", "10", "SQL_X", "sync")])

    everything = ledger.exceptions()
    assert [e.key for e in everything] == ["42", "7", "9", "10"]
    assert everything[1].job_id == "750x"
    assert everything[0].job_id is None
    assert everything[0].created_at == clock()
    assert [e.key for e in ledger.exceptions(first)] == ["42", "7"]
    assert [e.key for e in ledger.exceptions(entity="customer")] == ["42", "9", "10"]
    assert [e.key for e in ledger.exceptions(first, "contact")] == ["7"]

    clock.advance(hours=1)
    assert ledger.resolve_exceptions(first) == 2
    assert ledger.resolve_exceptions(first) == 0
    assert [e.key for e in ledger.exceptions()] == ["9", "10"]
    assert ledger.resolve_exceptions([everything[2].id, everything[0].id]) == 1
    assert [e.key for e in ledger.exceptions()] == ["10"]
    resolved = ledger.exceptions(first, unresolved_only=False)
    assert all(e.resolved_at == clock() for e in resolved)
