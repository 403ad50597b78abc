"""Delayed, not lost (seed 001): while Salesforce is down, the app's changes wait in the
ledger's queue (pending, available again later) and Salesforce's own wait behind the
ledger's cursor; once it is back and the retry time has passed, the next pass delivers
each change exactly once.

Two outages: an emulator fault that answers 503 to every data call from the moment the
pass has connected (Salesforce goes down mid-pass), and the emulator process stopped
before a pass and started again on the same data directory and port.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import requests
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, EmulatorProcess, connect, start_emulator
from simple_salesforce.api import Salesforce

from tests.support.looks import soql
from tests.support.sync_world import (
    CLIENT_SECRET,
    DOWN,
    ORG_SCHEMA,
    World,
    config_of,
    create_app,
    down_after_connecting,
)


def assert_waiting(world: World, keys: list[int]) -> None:
    """Each of ``keys`` waits: In Progress in the app, its change pending for later."""
    rows = world.rows("customers")
    assert {rows[k]["sync_status"] for k in keys} == {"In Progress"}
    assert all(rows[k]["sf_id"] is None for k in keys)
    with world.ledger() as ledger:
        pending = ledger.queue_items(states=("pending",), entity="customer")
        assert sorted(int(i.native_id) for i in pending if i.origin == "app") == keys
        for item in pending:
            assert item.available_at > ledger.now()
            assert item.attempts == 1
            assert item.last_error is not None and item.last_error.startswith("UNREACHABLE")
        assert ledger.queue_counts()["failed"] == 0


def assert_delivered_once(world: World, keys: list[int]) -> None:
    rows = world.rows("customers")
    accounts = {
        r["Global_Customer_Id__c"]: r
        for r in soql(world.sf, "SELECT Id, Name, Global_Customer_Id__c FROM Account")
    }
    assert len(accounts) == len(soql(world.sf, "SELECT Id FROM Account")) == len(rows)
    for key in keys:
        row = rows[key]
        assert row["sync_status"] == "Success"
        assert accounts[row["gid"]]["Id"] == row["sf_id"]
        assert accounts[row["gid"]]["Name"] == row["name"]
    with world.ledger() as ledger:
        counts = ledger.queue_counts()
        assert (counts["pending"], counts["in_flight"], counts["failed"]) == (0, 0, 0)


def test_salesforce_down_mid_pass_delays_changes_and_loses_none(world: World) -> None:
    world.insert("customers", [{"id": 1, "name": "Cust 1", "phone": "555-0001"}])
    world.sync()
    world.sync()
    sf_id = world.rows("customers")[1]["sf_id"]
    world.sf.Account.update(sf_id, {"Phone": "555-9999"})  # waits in Salesforce
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in (2, 3)])

    down = world.sync(connect=down_after_connecting("crm", lambda: world.admin.set_faults([DOWN])))

    assert down.status == "interrupted"
    assert down.deferred == 2
    assert down.by_entity["customer"].skipped == 2 and down.counts.failed == 0
    assert any("wait for a retry" in note for note in down.notes), down.notes
    assert any("capture of customer (crm) stopped" in note for note in down.notes), down.notes
    assert world.exceptions(down) == []  # waiting is not an exception
    assert_waiting(world, [2, 3])
    assert world.rows("customers")[1]["phone"] == "555-0001"

    world.admin.clear_faults()
    assert world.let_retries_come_due() == 2
    back = world.sync()

    assert back.status == "done", back.notes
    assert back.by_entity["customer"].created == 2
    assert world.rows("customers")[1]["phone"] == "555-9999"  # read once it was back
    assert_delivered_once(world, [1, 2, 3])
    settled = world.sync()
    assert settled.counts.processed == 0
    assert_delivered_once(world, [1, 2, 3])


# -- the org stopped and started again ------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Restartable:
    """An org of its own that can be stopped and started again: same data directory,
    same port, so the config's login URL and CA stay right."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: EmulatorProcess | None = None

    def start(self) -> EmulatorInfo:
        self.process = start_emulator(
            "--schema", str(ORG_SCHEMA), "--client-secret", CLIENT_SECRET,
            data_dir=self.directory, port=self.port,
        )  # fmt: skip
        return self.process.info

    def stop(self) -> None:
        if self.process is not None:
            self.process.close()
            self.process = None


@pytest.fixture
def own_org(tmp_path: Path) -> Iterator[Restartable]:
    org = Restartable(tmp_path / "org")
    org.start()
    try:
        yield org
    finally:
        org.stop()


def client(info: EmulatorInfo, http: requests.Session) -> Salesforce:
    http.verify, http.trust_env = info.ca_cert, False
    return connect(info, http)


def test_salesforce_stopped_then_started_again_gets_every_change_once(
    tmp_path: Path, own_org: Restartable
) -> None:
    assert own_org.process is not None
    info = own_org.process.info
    with requests.Session() as http, closing(AdminClient.for_info(info)) as admin:
        world = World(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", info, client(info, http), admin)
        create_app(world.sql_url)
        world.config = config_of(info, world.sql_url, tmp_path)
        assert world.sync().status == "done"
        world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": None} for i in (1, 2)])

        own_org.stop()
        down = world.sync()

        assert down.status == "interrupted"
        assert any("crm is unreachable" in note for note in down.notes), down.notes
        assert down.deferred == 2 and down.counts.failed == 0
        assert_waiting(world, [1, 2])

    info = own_org.start()
    with requests.Session() as http, closing(AdminClient.for_info(info)) as admin:
        world.sf, world.admin = client(info, http), admin
        assert world.let_retries_come_due() == 2
        back = world.sync()

        assert back.status == "done", back.notes
        assert back.by_entity["customer"].created == 2
        assert_delivered_once(world, [1, 2])
