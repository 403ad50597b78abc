"""Repairs Salesforce cannot take right now are delayed, not lost: ``--apply`` leaves
them waiting in sync's queue (the app's rows ``In Progress``), and the sync pass after
their retry time delivers them."""

from __future__ import annotations

from typing import Any

from reconcile_helpers import World, accounts, csv_rows

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
