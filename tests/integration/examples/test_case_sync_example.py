"""Seed 000's example (examples/case-sync): Cases entered in Salesforce, a case system in
SQL as their source of truth, each side keeping the other's id and a sync status.

Everything runs through the real ``lockstep`` command against an emulator org with the
example's org.yaml and a case system made from its cases.sql, and every claim is read
back with SOQL and SQL: the status rule on both sides (docs/sync.md, "The sync
status"), a reconcile that is clean right after a clean sync, a reconcile that shows
what only one side has, and ``in_progress`` written into a change's origin before the
change is carried.
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce import Salesforce

from tests.support.emulators import OrgSpec

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "case-sync"
SOQL = "SELECT Id, Subject, Priority, External_Case_Id__c, Sync_Status__c, Sync_Error__c FROM Case"


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return OrgSpec(EXAMPLE / "org.yaml")


@dataclass
class Cases:
    """The example in a folder: its config, its case system, and the org."""

    folder: Path
    env: dict[str, str]
    sf: Salesforce

    def lockstep(self, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **({"LOCKSTEP_KILL_AT": kill_at} if kill_at else {})}
        return subprocess.run(
            [sys.executable, "-m", "lockstep", *args],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def sync(self, *args: str) -> None:
        done = self.lockstep("sync", "--once", *args)
        assert done.returncode in (0, 1), done.stderr

    def sql(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.folder / "cases.db") as conn:
            rows = conn.execute(statement, params).fetchall()
        conn.close()
        return rows

    def rows(self) -> dict[int, tuple[Any, ...]]:
        found = self.sql(
            "SELECT id, subject, salesforce_id, sync_status, sync_error FROM cases ORDER BY id"
        )
        return {row[0]: row[1:] for row in found}

    def org(self) -> dict[str, dict[str, Any]]:
        return {r["Id"]: r for r in self.sf.query(SOQL)["records"]}

    def diff(self, done: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
        reports = sorted((self.folder / "reports").iterdir(), key=lambda p: p.stat().st_mtime)
        with (reports[-1] / "diff.csv").open(encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))


@pytest.fixture
def cases(tmp_path: Path, org: EmulatorInfo, sf: Salesforce) -> Iterator[Cases]:
    for name in ("lockstep.yaml", "org.yaml", "cases.sql"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    with sqlite3.connect(tmp_path / "cases.db") as conn:
        conn.executescript((EXAMPLE / "cases.sql").read_text())
    conn.close()
    env = {
        **os.environ,
        "SF_LOGIN_URL": org.login_url,
        "SF_CA_CERT": org.ca_cert,
        "SF_CLIENT_ID": org.client_id,
        "SF_CLIENT_SECRET": org.client_secret,
        "CASES_DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}",
    }
    env.pop("LOCKSTEP_KILL_AT", None)
    world = Cases(tmp_path, env, sf)
    world.sync()  # the first pass installs the case system's capture
    yield world


def test_a_clean_sync_leaves_success_on_both_sides_and_a_clean_reconcile(cases: Cases) -> None:
    """Defect: sync wrote the status only into a change's origin, and reconcile expected
    it on every side, so it reported "write-back missing" right after a clean sync."""
    made = [cases.sf.Case.create({"Subject": f"Case {n}", "Priority": "High"})["id"] for n in "AB"]
    cases.sql(
        "INSERT INTO cases (subject, priority, status) "
        "VALUES ('From the case system', 'low', 'new')"
    )

    cases.sync()

    org = cases.org()
    rows = cases.rows()
    assert len(org) == 3 and len(rows) == 3
    assert {r["Sync_Status__c"] for r in org.values()} == {"Success"}
    assert {r["Sync_Error__c"] for r in org.values()} == {None}
    assert {row[2] for row in rows.values()} == {"Success"}  # sync_status
    by_sf = {row[1]: key for key, row in rows.items()}
    for sf_id in made:  # each side holds the other's id
        assert org[sf_id]["External_Case_Id__c"] == str(by_sf[sf_id])
    reconciled = cases.lockstep("reconcile", "--all")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert {r["action"] for r in cases.diff(reconciled)} == {"unchanged"}
    assert cases.diff(cases.lockstep("reconcile")) == []  # only differences, by default


def test_a_missing_status_is_repaired_once_and_reported(cases: Cases) -> None:
    cases.sf.Case.create({"Subject": "Case A"})
    cases.sync()
    cases.sql("UPDATE cases SET sync_status = NULL")  # as if the write-back was lost

    found = cases.lockstep("reconcile")
    assert found.returncode == 1
    (row,) = [r for r in cases.diff(found) if r["action"] != "unchanged"]
    assert (row["target_system"], row["action"], row["reason"], row["finding"]) == (
        "cases",
        "update",
        "write-back missing",
        "writeback_missing",
    )

    repaired = cases.lockstep("reconcile", "--apply", "--json")
    assert repaired.returncode == 0, repaired.stderr
    assert "--apply: 0 created, 1 updated, 0 failed" in repaired.stdout
    assert [row[2] for row in cases.rows().values()] == ["Success"]
    again = cases.lockstep("reconcile", "--apply", "--json")
    assert "--apply: 0 created, 0 updated, 0 failed" in again.stdout  # idempotent
    assert cases.lockstep("reconcile").returncode == 0


def test_a_failed_case_says_why_on_its_origin_and_a_later_fix_says_success(cases: Cases) -> None:
    bad = cases.sf.Case.create({"Priority": "Low"})["id"]  # no Subject: required

    cases.sync()

    record = cases.org()[bad]
    assert record["Sync_Status__c"] == "Failed"
    assert record["Sync_Error__c"] == "INVALID: required field 'subject' is empty"
    assert cases.rows() == {}
    found = cases.lockstep("reconcile")  # it never reached its owner: a difference
    assert found.returncode == 1
    assert {(r["target_system"], r["action"], r["finding"]) for r in cases.diff(found)} == {
        ("salesforce", "skip", ""),  # see the owner's create
        ("cases", "create", "missing"),
    }

    cases.sf.Case.update(bad, {"Subject": "Now it has one"})
    cases.sync()

    record = cases.org()[bad]
    assert (record["Sync_Status__c"], record["Sync_Error__c"]) == ("Success", None)
    ((key, row),) = cases.rows().items()
    assert row == ("Now it has one", bad, "Success", None)
    assert record["External_Case_Id__c"] == str(key)
    assert cases.lockstep("reconcile").returncode == 0


def test_the_origin_says_in_progress_before_its_change_is_carried(cases: Cases) -> None:
    """Seed 000: every new update resets the status to In Progress. The pass is killed
    right after that write: the Case says In Progress; the next pass carries it."""
    case = cases.sf.Case.create({"Subject": "Case A"})["id"]
    cases.sync()
    assert cases.org()[case]["Sync_Status__c"] == "Success"
    cases.sf.Case.update(case, {"Subject": "Case A, edited"})

    killed = cases.lockstep("sync", "--once", kill_at="after_in_progress:salesforce")

    assert killed.returncode == -9
    assert cases.org()[case]["Sync_Status__c"] == "In Progress"
    assert [row[:3] for row in cases.rows().values()] == [("Case A", case, "Success")]
    cases.sync()
    assert cases.org()[case]["Sync_Status__c"] == "Success"
    assert [row[:3] for row in cases.rows().values()] == [("Case A, edited", case, "Success")]


def test_a_case_only_in_salesforce_after_its_owner_lost_it_is_a_difference(cases: Cases) -> None:
    """Defect: reconcile exited 0 while a record existed only in a system that does not
    own it, so the damage of a record resurrected in Salesforce could not be seen."""
    kept = cases.sf.Case.create({"Subject": "Kept"})["id"]
    lost = cases.sf.Case.create({"Subject": "Lost by the case system"})["id"]
    cases.sync()
    cases.sql("DROP TRIGGER IF EXISTS " + _trigger(cases, "delete"))  # the delete is not seen
    cases.sql("DELETE FROM cases WHERE salesforce_id = ?", lost)

    for args in (("reconcile",), ("reconcile", "--apply")):
        found = cases.lockstep(*args)
        assert found.returncode == 1, found.stdout + found.stderr
        extra = [r for r in cases.diff(found) if r["action"] == "extra"]
        assert [(r["target_system"], r["target_key"]) for r in extra] == [("salesforce", lost)]
        assert "delete it, or restore it in cases" in extra[0]["reason"]
    assert set(cases.org()) == {kept, lost}  # never deleted by reconcile


def _trigger(cases: Cases, kind: str) -> str:
    (name,) = cases.sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases' "
        "AND sql LIKE ?",
        f"%AFTER {kind.upper()}%",
    )[0]
    return str(name)
