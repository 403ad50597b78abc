"""``kill -9`` of a sync pass in the middle of its writes to Salesforce, twice, then a
pass to the end: exactly one Account per app row, every row written back.

Twice over: with customers synced both ways (Salesforce polled too), and one way (the
Account binding captures nothing), where the Accounts a dead pass made are not read
back from Salesforce.

The pass runs as its own process (``python -c`` over ``sync_once``, as ``lockstep sync
--once`` would), with the same worker name as the final pass, which therefore takes up
what the dead ones left in flight. Each sObject Collections write is slowed down by an
emulator latency fault, so that the kill lands while Accounts are being written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lockstep.ledger import QueueEntry
from tests.support.looks import count, soql
from tests.support.sync_world import WORKER, World

ROWS = 1_200  # six sObject Collections calls of 200
SLOW_WRITES = {"kind": "latency", "ms": 300, "match": {"path": "composite/sobjects"}}

PASS = """
import sys
from pathlib import Path
from lockstep.config.loader import load_config
from lockstep.reports.progress import Progress
from lockstep.sync.run import Options, sync_once
summary = sync_once(load_config(Path(sys.argv[1])), Options(worker=sys.argv[2]),
                    progress=Progress())
print(summary.status, flush=True)
"""


def start_pass(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", PASS, str(config), WORKER],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200"},
        )


def kill_when_more_than(process: subprocess.Popen[bytes], world: World, seen: int) -> int:
    """SIGKILL ``process`` as soon as the org holds more than ``seen`` Accounts (but not
    all of them: the process must still be running); how many there were."""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, f"the pass ended ({process.returncode}) too soon"
            now = count(world.sf, "Account")
            if now > seen:
                process.send_signal(signal.SIGKILL)
                assert process.wait(10) == -signal.SIGKILL
                return now
            time.sleep(0.02)
        raise AssertionError(f"no more than {seen} Accounts within 60 s")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    "crm_capture",
    [
        pytest.param(
            "poll",
            id="both-ways",
        ),
        pytest.param("none", id="one-way"),
    ],
)
def test_kill_9_mid_pass_then_rerun_creates_each_account_once(
    world: World, crm_capture: str
) -> None:
    world.config["entities"]["customer"]["bindings"]["crm"]["capture"] = {"mode": crm_capture}
    world.insert(
        "customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in range(1, ROWS + 1)]
    )
    world.write_config()
    log = world.directory / "passes.log"
    world.admin.set_faults([SLOW_WRITES])

    first = kill_when_more_than(start_pass(world.config_path, log), world, 0)
    second = kill_when_more_than(start_pass(world.config_path, log), world, first)
    world.admin.clear_faults()
    final = world.sync()

    assert 0 < first < second < ROWS, (first, second, log.read_text()[-3000:])
    assert any("left in flight" in note for note in final.notes), final.notes
    assert final.counts.failed == 0

    duplicated = soql(
        world.sf,
        "SELECT Global_Customer_Id__c, COUNT(Id) n FROM Account "
        "GROUP BY Global_Customer_Id__c HAVING COUNT(Id) > 1",
    )
    assert duplicated == []
    accounts = {
        r["Id"]: r for r in soql(world.sf, "SELECT Id, Name, Global_Customer_Id__c FROM Account")
    }
    assert len(accounts) == ROWS
    rows = world.rows("customers")
    assert {r["sync_status"] for r in rows.values()} == {"Success"}
    for key, row in rows.items():
        account = accounts[row["sf_id"]]
        assert (account["Name"], account["Global_Customer_Id__c"]) == (f"Cust {key}", row["gid"])
    with world.ledger() as ledger:
        counts = ledger.queue_counts()
        assert (counts["pending"], counts["in_flight"], counts["failed"]) == (0, 0, 0)
        assert ledger.count_xrefs("customer", "crm") == ROWS

    echoes = world.sync()
    assert echoes.counts.processed == 0 and echoes.counts.failed == 0
    assert count(world.sf, "Account") == ROWS
    assert len(world.rows("customers")) == ROWS


def test_a_pass_that_takes_up_a_dead_passs_changes_and_carries_them_is_done(
    world: World,
) -> None:
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in (1, 2)])
    with world.ledger() as ledger:  # what a pass that died after capturing them leaves
        changes = [
            {"values": {"name": f"Cust {i}", "phone": None}, "refs": {}, "house": {}}
            for i in (1, 2)
        ]
        ledger.enqueue(
            QueueEntry("customer", "app", str(i), "upsert", change, str(i))
            for i, change in zip((1, 2), changes, strict=True)
        )
        assert len(ledger.claim(10, WORKER)) == 2

    summary = world.sync()

    assert any("left in flight" in note for note in summary.notes), summary.notes
    assert summary.by_entity["customer"].created == 2
    assert summary.status == "done"
