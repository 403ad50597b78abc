"""Clean interruption: ``lockstep sync --once`` sent SIGINT or SIGTERM in capture, in the
drain and in the write-back (and a second signal at once), then one pass of another
worker, brings every change across: nothing lost, nothing duplicated.

The signal is sent by the process to itself at a named point (``LOCKSTEP_SIGNAL_AT``,
``lockstep.sync.killpoints``), as Ctrl-C or ``kill`` would send it, so it lands where
the test says. The stopped pass runs as ``sync-tests``; the pass after it as another
worker, which cannot take what the first left claimed: so the stopped pass must have
put it back in the queue.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lockstep.sync.killpoints import SIGNAL_ENV
from tests.support.looks import soql
from tests.support.sync_world import WORKER, World

pytestmark = pytest.mark.slow

SEEDED = range(1, 41)  # synced before the stopped pass
CREATED = range(41, 101)
RENAMED = range(21, 41)  # in the app
PHONED = range(1, 16)  # in Salesforce (11-15 renamed in the app too)
OTHER = "another-worker"


def lockstep(world: World, *args: str, env: dict[str, str] | None = None) -> Any:
    command = [sys.executable, "-m", "lockstep", *args, "--config", str(world.config_path)]
    clean = {k: v for k, v in os.environ.items() if k != SIGNAL_ENV}
    return subprocess.run(
        command,
        env={**clean, **(env or {}), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def until_quiet(world: World) -> None:
    for _ in range(6):
        summary = world.sync()
        assert summary.counts.failed == 0, (summary.as_dict(), summary.notes)
        if summary.counts.selected == 0:
            return
    raise AssertionError("sync does not settle")


def the_batch(world: World) -> dict[int, tuple[str, str | None]]:
    """Creates, renames in the app, phones in Salesforce; each row's expected values."""
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in SEEDED])
    until_quiet(world)
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in CREATED])
    world.execute(
        "UPDATE customers SET name = :name WHERE id = :id",
        [{"id": i, "name": f"Cust {i} v2"} for i in RENAMED],
    )
    rows = world.rows("customers")
    for i in PHONED:
        world.sf.Account.update(rows[i]["sf_id"], {"Phone": f"555-{i:04}"})
    world.write_config()
    return {
        i: (f"Cust {i} v2" if i in RENAMED else f"Cust {i}", f"555-{i:04}" if i in PHONED else None)
        for i in (*SEEDED, *CREATED)
    }


def assert_in_step(world: World, expected: dict[int, tuple[str, str | None]]) -> None:
    """Each row once in Salesforce with the values expected, the same in the app, its
    status Success: nothing lost, nothing duplicated."""
    accounts = soql(world.sf, "SELECT Id, Name, Phone, Global_Customer_Id__c FROM Account")
    rows = world.rows("customers")
    assert len(accounts) == len(rows) == len(expected)
    by_id = {a["Id"]: a for a in accounts}
    wrong = {}
    for key, row in rows.items():
        account = by_id.get(row["sf_id"] or "", {})
        held = (account.get("Name"), account.get("Phone"), account.get("Global_Customer_Id__c"))
        app = (row["name"], row["phone"], row["gid"])
        if not (held == app == (*expected[key], row["gid"]) and row["sync_status"] == "Success"):
            wrong[key] = (app, held, row["sync_status"])
    assert wrong == {}


# Where the signal lands, and what the stopped pass has done by then.
CASES = {
    # capture: the app's page read is stored, then the pass stops (Salesforce unread)
    "capture": ("after_capture_read:app:INT", signal.SIGINT),
    "capture, second binding": ("after_capture_read:crm:TERM", signal.SIGTERM),
    # drain: Salesforce written, not recorded yet: the record is made, then it stops
    "drain": ("after_side_write:crm:INT", signal.SIGINT),
    "drain, a batch claimed": ("after_claim:TERM", signal.SIGTERM),
    # write-back: the ids and statuses written into the app, the batch recorded
    "write-back": ("after_origin_writeback:app:TERM", signal.SIGTERM),
    # a second signal stops at once: after a write not recorded, inside a ledger commit
    "second signal after a write": (
        "after_side_write:crm:INT,after_side_write:crm:INT",
        signal.SIGINT,
    ),
    "second signal inside a commit": ("mid_finish:INT,mid_finish:INT", signal.SIGINT),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_pass_stopped_by_a_signal_ends_interrupted_and_the_next_brings_everything(
    world: World, case: str
) -> None:
    spec, sig = CASES[case]
    expected = the_batch(world)

    stopped = lockstep(
        world, "sync", "--once", "--json", "--worker", WORKER, env={SIGNAL_ENV: spec}
    )

    assert stopped.returncode == 128 + sig, stopped.stderr
    summary = json.loads(stopped.stdout)
    run_id = summary["run_id"]
    how = "stopped at once by a second signal" if "," in spec else f"stopped by {sig.name}"
    assert stopped.stderr.splitlines() == [
        f"lockstep sync: {how}; run {run_id} interrupted; the next pass resumes"
    ]
    assert summary["status"] == "interrupted"
    written = json.loads((Path(summary["reports"]) / "summary.json").read_text())
    assert (written["run_id"], written["status"]) == (run_id, "interrupted")
    status = lockstep(world, "status", "--json")
    assert json.loads(status.stdout)["runs"]["sync"]["status"] == "interrupted"
    with world.ledger() as ledger:
        assert ledger.queue_counts()["in_flight"] == 0  # put back for any worker

    after = lockstep(world, "sync", "--once", "--json", "--worker", OTHER)

    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["status"] == "done"
    assert_in_step(world, expected)
    until_quiet(world)  # the echoes of the write-back: nothing more to carry
    assert_in_step(world, expected)
    with world.ledger() as ledger:
        counts = ledger.queue_counts()
        assert {s: n for s, n in counts.items() if s != "done" and n} == {}


def test_a_reconcile_apply_stopped_in_its_repairs_is_taken_up_by_the_next(world: World) -> None:
    """Salesforce drifts (Accounts deleted, names edited there, where the app owns them);
    ``reconcile --apply`` is stopped by SIGINT once its repairs are written but not
    recorded; the next ``reconcile --apply`` finishes them, and a reconcile finds every
    record in step, each once."""
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in SEEDED])
    until_quiet(world)
    rows = world.rows("customers")
    for i in range(1, 11):
        world.sf.Account.delete(rows[i]["sf_id"])
    for i in range(11, 21):
        world.sf.Account.update(rows[i]["sf_id"], {"Name": f"Drifted {i}"})
    world.write_config()
    # a quarter of the Accounts gone: past the mass-delete guard, repaired on purpose
    args = ("reconcile", "--apply", "--allow-mass-delete", "--json", "--worker", WORKER)

    stopped = lockstep(world, *args, env={SIGNAL_ENV: "after_side_write:crm:INT"})

    assert stopped.returncode == 130, stopped.stderr
    summary = json.loads(stopped.stdout)
    assert summary["status"] == "interrupted"
    assert stopped.stderr.splitlines() == [
        f"lockstep reconcile: stopped by SIGINT; run {summary['run_id']} interrupted; "
        "run `lockstep reconcile` again (repairs queued are carried by it or by the next "
        "sync pass)"
    ]
    with world.ledger() as ledger:
        run = ledger.last_run("reconcile", status=None)
        assert run is not None and (run.run_id, run.status) == (summary["run_id"], "interrupted")
        assert ledger.queue_counts()["in_flight"] == 0

    again = lockstep(
        world, "reconcile", "--apply", "--allow-mass-delete", "--json", "--worker", OTHER
    )
    assert again.returncode == 0, again.stderr
    check = lockstep(world, "reconcile", "--json")
    assert check.returncode == 0, check.stdout
    counts = {k: v for k, v in json.loads(check.stdout)["counts"].items() if v}
    assert counts == {"selected": 2 * len(SEEDED), "unchanged": 2 * len(SEEDED)}
    expected = {i: (f"Cust {i}", None) for i in SEEDED}
    assert_in_step(world, expected)
