"""Ctrl-C in the middle of ``lockstep migrate``: the target being written is written to
the end and recorded, the run stops before the next entity, ends ``interrupted`` with one
line on stderr and exit 130; running migrate again goes on and creates nothing twice.

Each sObject Collections call answers a second late, so the Accounts take a few seconds
to write and the signal comes while they are being written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from migrate_helpers import Workspace, create_ams, write_config
from simple_salesforce.api import Salesforce

from tests.support.looks import count, soql

COMPANIES, INDIVIDUALS = 1_000, 300
SLOW_WRITES = {"kind": "latency", "ms": 1000, "match": {"path": "/composite/sobjects"}}
LEFT_OUT = {"7", "8", "13"}  # duplicates, and one the org's rule refuses


@pytest.mark.parametrize("ams_url", ["sqlite"], indirect=True)
def test_ctrl_c_mid_migrate_stops_after_the_target_in_progress_and_a_rerun_goes_on(
    tmp_path: Path, org: EmulatorInfo, admin: AdminClient, sf: Salesforce, ams_url: str
) -> None:
    create_ams(ams_url, COMPANIES, INDIVIDUALS)
    config = write_config(tmp_path, org, ams_url)
    ws = Workspace(tmp_path, config, ams_url, org, sf, admin)
    admin.set_faults([SLOW_WRITES])
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "lockstep", "migrate", "--json", "-c", str(config)],
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "COLUMNS": "200"},
        )
    try:
        deadline = time.monotonic() + 60
        while not count(sf, "Account"):
            assert process.poll() is None, err.read_text()
            assert time.monotonic() < deadline, "no Account within 60 s"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        code = process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    summary = json.loads(out.read_text())
    assert code == 130, err.read_text()
    assert err.read_text().splitlines() == [
        f"lockstep migrate: stopped by SIGINT; run {summary['run_id']} interrupted; "
        "run `lockstep migrate` again to go on (what was carried is not carried twice)"
    ]
    assert summary["status"] == "interrupted"
    assert json.loads((Path(summary["reports"]) / "summary.json").read_text())["status"] == (
        "interrupted"
    )
    companies = ws.rows("company")
    migratable = set(companies) - LEFT_OUT
    assert count(sf, "Account") == len(migratable)  # the writes begun were carried out
    assert count(sf, "Contact") == 0  # the next entity was not begun
    written = {k for k, r in companies.items() if r["sf_account_id"]}
    assert written == migratable  # and recorded, and written back

    admin.clear_faults()
    rerun = ws.cli("migrate")
    assert rerun.code == 1  # company 13 and its people fail, as in any migrate

    duplicated = soql(
        sf,
        "SELECT External_Id__c, COUNT(Id) n FROM Account GROUP BY External_Id__c "
        "HAVING COUNT(Id) > 1",
    )
    assert duplicated == []
    assert count(sf, "Account") == len(migratable)
    people = {
        k
        for k, row in ws.rows("individual").items()
        if k not in {"21", "22"} and row["employer_id"] not in LEFT_OUT
    }
    contacts = soql(sf, "SELECT External_Id__c FROM Contact")
    assert sorted(r["External_Id__c"] for r in contacts) == sorted(people)
