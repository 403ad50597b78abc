"""Repairs Salesforce cannot take right now are delayed, not lost: ``--apply`` leaves
them waiting in sync's queue (the app's rows ``In Progress``), and the sync pass after
their retry time delivers them. A read Salesforce breaks off half-way is never compared
as if it were whole: the run fails (exit 3) before any repair is queued."""

from __future__ import annotations

import csv
import subprocess
import sys
from typing import Any

from reconcile_helpers import World, accounts, csv_rows, data_writes

DOWN = {
    "kind": "http_error",
    "status": 503,
    "error_code": "SERVER_UNAVAILABLE",
    "message": "down for maintenance",
    "match": {"path": "composite/"},  # reads work, every write is refused
}

STALE_STATUS_BUG = (
    "sync/apply.py Writes._house skips a write-back value equal to the one in the "
    "change's payload (the row as read before the drain wrote 'In Progress' on the "
    "deferral): when the retried repair goes through, 'Success' is never written and, "
    "capture being absent, the row stays 'In Progress'"
)


def drifted_while_salesforce_refuses_writes(world: World) -> dict[int, dict[str, Any]]:
    """Customer 1 renamed in Salesforce, customer 9 saved in the app while capture is
    absent; then ``reconcile --apply`` while Salesforce refuses every write."""
    world.insert(
        "customers",
        [{"id": 1, "name": "Cust 1", "phone": "1"}, {"id": 2, "name": "Cust 2", "phone": "2"}],
    )
    world.settle()
    rows = world.rows("customers")
    world.sf.Account.update(rows[1]["sf_id"], {"Name": "Renamed in Salesforce"})
    world.drop_capture()
    world.insert("customers", [{"id": 9, "name": "Never synced", "phone": None}])
    world.admin.set_faults([DOWN])

    summary = world.reconcile(apply=True)

    assert summary.status == "done"
    assert summary.counts.created == summary.counts.updated == 1  # what was found
    assert summary.counts.failed == 0
    assert summary.notes == ("--apply: 0 created, 0 updated, 0 failed, 2 waiting for a retry",)
    assert csv_rows(summary, "exceptions.csv") == []
    world.admin.clear_faults()
    return rows


def test_repairs_salesforce_refuses_for_now_wait_and_arrive_with_the_next_sync(
    world: World,
) -> None:
    before = drifted_while_salesforce_refuses_writes(world)
    waiting = world.rows("customers")
    assert waiting[9]["sync_status"] == waiting[1]["sync_status"] == "In Progress"
    assert waiting[9]["sf_id"] is None
    assert {a["Name"] for a in accounts(world.sf).values()} == {
        "Renamed in Salesforce",
        "Cust 2",
    }
    with world.ledger() as ledger:
        assert ledger.queue_counts()["pending"] == 2

    assert world.let_retries_come_due() == 2
    delivered = world.sync()

    assert delivered.counts.failed == 0
    rows = world.rows("customers")
    found = accounts(world.sf)
    assert len(found) == 3
    assert found[before[1]["sf_id"]]["Name"] == "Cust 1"
    assert found[rows[9]["sf_id"]]["Name"] == "Never synced"
    assert rows[9]["sync_status"] == "Success"
    with world.ledger() as ledger:
        assert ledger.queue_counts()["pending"] == 0
    again = world.reconcile()
    assert again.counts.unchanged == again.counts.selected == 6, again.as_dict()


def test_a_repair_delivered_on_retry_ends_with_success_written_back(world: World) -> None:
    drifted_while_salesforce_refuses_writes(world)
    world.let_retries_come_due()
    world.sync()

    assert world.rows("customers")[1]["sync_status"] == "Success"


# -- a read lost half-way ----------------------------------------------------------------

PAGE = 2000  # the records a query page holds (what lockstep asks for)
LOST_PAGE = {  # Salesforce forgets the query's cursor: every next page is refused
    "kind": "http_error",
    "status": 400,
    "error_code": "INVALID_QUERY_LOCATOR",
    "message": "invalid query locator",
    "match": {"path": "/query/.", "method": "GET"},  # the pages after the first
}


def test_a_read_lost_half_way_is_never_compared_and_apply_queues_nothing(world: World) -> None:
    """The Contacts' read fails on its second page (a page holds 2,000), after the
    customers were compared and their repair planned: the run fails (exit 3), nothing
    is queued or written, no contact is compared (no diff row, as if the first page were
    all), and no ``summary.json`` says the run was done."""
    world.insert("customers", [{"id": 1, "name": "Cust 1", "phone": "1"}])
    world.settle()
    renamed = world.rows("customers")[1]["sf_id"]
    world.sf.Account.update(renamed, {"Name": "Renamed in Salesforce"})
    world.admin.seed({"Contact": [{"LastName": f"Made by hand {n}"} for n in range(PAGE + 1)]})
    with world.ledger() as ledger:
        queue = ledger.queue_counts()
    world.admin.set_faults([LOST_PAGE])
    world.admin.reset_stats()
    world.write_config()
    reports = world.directory / "reports"
    before = set(reports.iterdir()) if reports.exists() else set()

    done = subprocess.run(
        [sys.executable, "-m", "lockstep", "reconcile", "--apply", "-c", str(world.config_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 3, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("lockstep")]
    assert len(errors) == 1 and "INVALID_QUERY_LOCATOR" in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    assert data_writes(world.admin.stats()) == {}
    assert accounts(world.sf)[renamed]["Name"] == "Renamed in Salesforce"
    with world.ledger() as ledger:
        assert ledger.queue_counts() == queue  # the customer's repair was not queued
        last = ledger.last_run("reconcile", status=None)
        assert last is not None and last.status == "failed"
    (run,) = set(reports.iterdir()) - before
    assert not (run / "summary.json").exists()
    with (run / "diff.csv").open(encoding="utf-8-sig", newline="") as f:
        entities = {row["entity"] for row in csv.DictReader(f)}
    assert entities == {"customer"}  # the contacts' first page alone was never compared

    world.admin.clear_faults()
    whole = world.reconcile()

    assert whole.by_entity["contact"].selected == PAGE + 1
    assert (whole.found["extra"], whole.found["field_mismatch"]) == (PAGE + 1, 1)
