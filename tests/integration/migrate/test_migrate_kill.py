"""``kill -9`` in the middle of ``lockstep migrate``, then a rerun: nothing is created
twice, nothing is lost, every written-back id is true.

The data is big enough to be caught mid-flight: 5,000 companies go through sObject
Collections (below the bulk threshold) and 10,000 individuals through Bulk API 2.0. The
run is killed once while Accounts are being written, rerun and killed again while
Contacts are, then rerun to the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from migrate_helpers import Workspace, create_ams, write_config
from simple_salesforce.api import Salesforce

from tests.support.looks import count, soql

COMPANIES, INDIVIDUALS = 5_000, 10_000
BULK_THRESHOLD = 6_000  # companies (< 5,000 writes) by Collections, individuals by Bulk


def start_migrate(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "lockstep", "migrate", "-c", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200"},
        )


def kill_when_written(process: subprocess.Popen[bytes], sf: Salesforce, obj: str) -> int:
    """SIGKILL ``process`` as soon as the org holds some ``obj`` records (but not all of
    them: the process must still be running); how many there were."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"migrate ended ({process.returncode}) before {obj}s"
        seen = count(sf, obj)
        if seen:
            process.send_signal(signal.SIGKILL)
            assert process.wait(10) == -signal.SIGKILL
            return seen
        time.sleep(0.02)
    process.kill()
    raise AssertionError(f"no {obj} appeared within 60 s")


def duplicated(sf: Salesforce, obj: str, field: str) -> list[dict[str, object]]:
    return soql(
        sf,
        f"SELECT {field}, COUNT(Id) n FROM {obj} GROUP BY {field} HAVING COUNT(Id) > 1",
    )


def test_kill_9_mid_migrate_then_rerun_creates_each_record_once(
    tmp_path: Path, org: EmulatorInfo, admin: AdminClient, sf: Salesforce, ams_url: str
) -> None:
    create_ams(ams_url, COMPANIES, INDIVIDUALS)
    config = write_config(tmp_path, org, ams_url, bulk_threshold=BULK_THRESHOLD)
    ws = Workspace(tmp_path, config, ams_url, org, sf, admin)
    log = tmp_path / "migrate.log"

    accounts_then = kill_when_written(start_migrate(config, log), sf, "Account")
    contacts_then = kill_when_written(start_migrate(config, log), sf, "Contact")
    final = start_migrate(config, log)
    try:
        code = final.wait(120)
    finally:
        if final.poll() is None:
            final.kill()
            final.wait()

    companies, individuals = ws.rows("company"), ws.rows("individual")
    # Not migratable: 7 and 8 (duplicates), 13 (refused); 21 and 22 (one e-mail) and the
    # employees of 7, 8 and 13 (no employer in Salesforce).
    left_out = {"7", "8", "13"}
    migratable_companies = set(companies) - left_out
    migratable_people = {
        k
        for k, row in individuals.items()
        if k not in {"21", "22"}
        if row["employer_id"] not in left_out
    }
    assert 0 < accounts_then < len(migratable_companies), "not killed mid-flight"
    assert 0 < contacts_then < len(migratable_people), "not killed mid-flight"
    assert code == 1, log.read_text()[-3000:]  # company 13 and its people failed

    for obj, field in [
        ("Account", "External_Id__c"),
        ("Account", "Name"),
        ("Contact", "External_Id__c"),
        ("Contact", "Email"),
    ]:
        assert duplicated(sf, obj, field) == [], (obj, field)
    accounts = {
        r["Id"]: r["External_Id__c"] for r in soql(sf, "SELECT Id, External_Id__c FROM Account")
    }
    contacts = {
        r["Id"]: r["External_Id__c"] for r in soql(sf, "SELECT Id, External_Id__c FROM Contact")
    }
    assert sorted(accounts.values(), key=int) == sorted(migratable_companies, key=int)
    assert sorted(contacts.values(), key=int) == sorted(migratable_people, key=int)

    written = {k: r["sf_account_id"] for k, r in companies.items() if r["sf_account_id"]}
    assert set(written) == migratable_companies
    assert all(accounts.get(sf_id) == key for key, sf_id in written.items())
    written = {k: r["sf_contact_id"] for k, r in individuals.items() if r["sf_contact_id"]}
    assert set(written) == migratable_people
    assert all(contacts.get(sf_id) == key for key, sf_id in written.items())
    assert {r["sync_status"] for k, r in companies.items() if k in migratable_companies} == {
        "Success"
    }
    # The ledger links each migrated record to the one record it made, no other.
    for entity, records in (("company", accounts), ("individual", contacts)):
        links = ws.xrefs(entity)
        in_crm = {links["ams"][gid]: native for gid, native in links["crm"].items()}
        assert len(in_crm) == len(records)
        assert all(records[native] == key for key, native in in_crm.items())
