"""Crash consistency: a ``lockstep sync --once`` killed (SIGKILL) at each step boundary of
the drain, then passes until quiet, loses, duplicates and leaves behind nothing.

The batch is a realistic one: 200 customers created in the app, 80 renamed there, 30
Accounts' phones changed in Salesforce (10 of them renamed in the app too, so that a
record has changes from both systems), and the write-back of ids and status into the
app. Salesforce refuses the updates by Id (503) during the killed pass, so that some
changes wait for a retry and are written back "In Progress": the point where a dead
pass used to lose them (a released change taken for the echo of that write-back).

The pass runs as its own process (``python -m lockstep sync --once``) with
``LOCKSTEP_KILL_AT`` (``lockstep.sync.killpoints``) naming where it dies, and the same
worker name as the passes after it, which therefore take up what it left in flight.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
from lockstep.reports.progress import Progress
from lockstep.sync.killpoints import ENV
from tests.support.looks import count, soql
from tests.support.sync_world import WORKER, World

pytestmark = pytest.mark.slow

SEEDED = range(1, 101)  # synced before the killed pass
CREATED = range(101, 301)
RENAMED = range(21, 101)  # in the app
PHONED = range(1, 31)  # in Salesforce (21-30: both)
UPDATES_REFUSED = {
    "kind": "http_error",
    "status": 503,
    "error_code": "SERVER_UNAVAILABLE",
    "message": "down for maintenance",
    "match": {"method": "PATCH", "path": "/composite/sobjects$"},
}

# The step boundaries of one batch, in the order a pass reaches them (docs/sync.md).
POINTS = [
    "after_claim",
    "after_ids",
    "after_golden",
    "after_side_write:app",
    "after_record:app",
    "after_side_write:crm",
    "after_record:crm",
    "before_finish",
    "mid_finish",
    "after_finish",
    "after_origin_writeback:app",  # the state before_finish@2 leaves too
    "mid_finish@2",
    "after_finish@2",
]


def killed_pass(world: World, point: str) -> str:
    """A ``sync --once`` that dies at ``point``; its output."""
    env = {**os.environ, ENV: point, "COLUMNS": "200"}
    command = [sys.executable, "-m", "lockstep", "sync", "--once", "--worker", WORKER]
    done = subprocess.run(
        [*command, "--config", str(world.config_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == -signal.SIGKILL, f"not killed at {point}:\n{output[-3000:]}"
    return output


def until_quiet(world: World) -> int:
    """Passes, each after every waiting change is due, until one finds nothing to do;
    how many."""
    for passes in range(1, 9):
        world.let_retries_come_due()
        summary = world.sync()
        assert summary.counts.failed == 0, (summary.as_dict(), summary.notes)
        with world.ledger() as ledger:
            waiting = ledger.queue_counts()["pending"]
        if summary.counts.selected == 0 and waiting == 0:
            return passes
    raise AssertionError("sync does not settle")


def seed(world: World) -> None:
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in SEEDED])
    until_quiet(world)


def the_batch(world: World) -> dict[int, tuple[str, str | None]]:
    """Creates, updates and Salesforce edits; each row's expected (name, phone)."""
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in CREATED])
    world.execute(
        "UPDATE customers SET name = :name WHERE id = :id",
        [{"id": i, "name": f"Cust {i} v2"} for i in RENAMED],
    )
    rows = world.rows("customers")
    for i in PHONED:
        world.sf.Account.update(rows[i]["sf_id"], {"Phone": f"555-{i:04}"})
    return {
        i: (f"Cust {i} v2" if i in RENAMED else f"Cust {i}", f"555-{i:04}" if i in PHONED else None)
        for i in (*SEEDED, *CREATED)
    }


@pytest.mark.parametrize("point", POINTS)
def test_a_pass_killed_at_any_step_loses_and_duplicates_nothing(world: World, point: str) -> None:
    seed(world)
    expected = the_batch(world)
    world.write_config()
    world.admin.set_faults([UPDATES_REFUSED])

    killed_pass(world, point)
    world.admin.clear_faults()
    until_quiet(world)

    duplicated = soql(
        world.sf,
        "SELECT Global_Customer_Id__c, COUNT(Id) n FROM Account "
        "GROUP BY Global_Customer_Id__c HAVING COUNT(Id) > 1",
    )
    assert duplicated == []
    accounts = {
        r["Id"]: r
        for r in soql(world.sf, "SELECT Id, Name, Phone, Global_Customer_Id__c FROM Account")
    }
    rows = world.rows("customers")
    assert len(rows) == len(accounts) == len(expected)
    statuses = {key: row["sync_status"] for key, row in rows.items()}
    assert {k: s for k, s in statuses.items() if s != "Success"} == {}
    lost = {}
    for key, row in rows.items():
        account = accounts.get(row["sf_id"] or "", {})
        held = (account.get("Name"), account.get("Phone"), account.get("Global_Customer_Id__c"))
        app = (row["name"], row["phone"], row["gid"])
        if not (held == app == (*expected[key], row["gid"]) and row["gid"]):
            lost[key] = (app, held)
    assert lost == {}
    with world.ledger() as ledger:
        counts = ledger.queue_counts()
        assert {s: n for s, n in counts.items() if s != "done" and n} == {}
        assert ledger.count_xrefs("customer", "crm") == len(expected)

    checked = reconcile(world.write_config(), ReconcileOptions(worker=WORKER), progress=Progress())
    assert checked.status == "done", checked.notes
    differing = {k: v for k, v in checked.counts.as_dict().items() if v}
    assert differing == {"selected": 2 * len(expected), "unchanged": 2 * len(expected)}


@pytest.mark.parametrize("point", ["mid_finish", "after_origin_writeback:app"])
def test_changes_a_pass_killed_after_writing_in_progress_back_left_reach_salesforce(
    world: World, point: str
) -> None:
    """``repro_kill_echo.sh``: 300 rows, Salesforce down for writes, the pass killed
    while it records the failures or as soon as its "In Progress" write-back is in the
    app. The passes before the retries are due read the echoes of that write-back; none
    may take the place of a change: each row is in Salesforce or has a change waiting,
    and is carried once the retries are due."""
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in CREATED])
    world.write_config()
    world.admin.set_faults([{**UPDATES_REFUSED, "match": {"path": "/composite/sobjects"}}])

    killed_pass(world, point)
    world.admin.clear_faults()
    for _ in range(3):
        assert world.sync().counts.failed == 0

    with world.ledger() as ledger:
        counts = ledger.queue_counts()
        waiting = {i.native_id for i in ledger.queue_items(states=["pending"], limit=10_000)}
    assert (counts["in_flight"], counts["failed"], counts["dead"]) == (0, 0, 0)
    synced = {k for k, r in world.rows("customers").items() if r["sync_status"] == "Success"}
    assert count(world.sf, "Account") == len(synced)
    assert {int(k) for k in waiting} | synced == set(CREATED)
    until_quiet(world)
    rows = world.rows("customers")
    assert {r["sync_status"] for r in rows.values()} == {"Success"}
    accounts = {r["Id"]: r["Name"] for r in soql(world.sf, "SELECT Id, Name FROM Account")}
    assert [accounts.get(r["sf_id"]) for r in rows.values()] == [r["name"] for r in rows.values()]
    assert len(accounts) == len(rows)


def test_the_kill_point_of_a_pass_that_never_reaches_it_does_nothing(
    world: World, tmp_path: Path
) -> None:
    world.insert("customers", [{"id": 1, "name": "Cust 1", "phone": None}])
    env = {**os.environ, ENV: "after_golden@2"}  # one batch: reached once
    command = [sys.executable, "-m", "lockstep", "sync", "--once", "--worker", WORKER]
    done = subprocess.run(
        [*command, "--config", str(world.config_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert world.rows("customers")[1]["sync_status"] == "Success"


def test_a_copy_written_but_not_linked_when_the_pass_died_is_not_made_a_second_record(
    world: World,
) -> None:
    """Contracts created in Salesforce, their owner; the pass dies once their copies are
    in the app and before it links them. Each copy then comes back as a change of the
    app (the trigger saw the insert), which names no global id: only the Salesforce Id
    lockstep put in its external id. That change must be taken for the copy of its
    Salesforce record, not for a new contract to create in Salesforce (the convergence
    test's duplicated contracts). A few copies are also edited in the app before the
    next pass: the owner's values win there."""
    for n in range(1, 41):
        world.sf.Contract__c.create({"Name": f"C{n}", "Status__c": "Draft", "Units__c": n})
    world.write_config()

    killed_pass(world, "after_side_write:app")
    copies = world.rows("contracts")
    assert len(copies) == 40  # written, not linked
    world.execute("UPDATE contracts SET name = name || ' app-edit' WHERE id IN (1, 2, 3)", [{}])
    until_quiet(world)

    contracts = soql(world.sf, "SELECT Id, Name, Units__c FROM Contract__c")
    assert sorted(c["Name"] for c in contracts) == sorted(f"C{n}" for n in range(1, 41))
    held = {r["salesforce_id"]: (r["name"], r["units"]) for r in world.rows("contracts").values()}
    assert held == {c["Id"]: (c["Name"], c["Units__c"]) for c in contracts}
    with world.ledger() as ledger:
        assert ledger.count_xrefs("contract", "app") == 40
        assert ledger.count_xrefs("contract", "crm") == 40
    checked = reconcile(world.write_config(), ReconcileOptions(worker=WORKER), progress=Progress())
    differing = {k: v for k, v in checked.counts.as_dict().items() if v}
    assert differing == {"selected": 80, "unchanged": 80}
