"""Seed 000 (case sync and reconciliation), narrated: Cases are entered in Salesforce,
the case system (SQLite here) is their source of truth, and each side keeps the
other's id and a sync status.

Each step is one library call of ``lockstep sync --once`` or ``lockstep reconcile``,
and every claim is checked with SOQL or SQL:

1. Cases entered in Salesforce reach the case system, and a case opened there reaches
   Salesforce: each side holds the other's id and "Success";
2. a Case entered without a Subject fails: Salesforce says "Failed" and why;
3. a reconcile right after shows exactly that one difference (the case system lacks
   it); the others agree, their statuses included;
4. the Subject is added in Salesforce: the next pass carries it, the Case says
   "Success", and its exception is closed;
5. a re-drive (``--retry-failed``) does not resend the superseded failure;
6. the case system closes a case: Salesforce gets it with "Success";
7. a reconcile is clean.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from lockstep_emulator.client import connect, start_emulator

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.demo.environment import copy_example, count, emulator_env
from lockstep.demo.narrator import Narrator
from lockstep.ledger import Ledger
from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.runs.paths import resolve_paths
from lockstep.sync.run import Options, sync_once
from lockstep.validation.live import validate

ENTERED = ("Printer jams on page 2", "VPN drops every hour", "Invoice shows the wrong VAT")


def case_sync_scenario(n: Narrator, example: Path, work: Path) -> None:
    n.title("Seed 000 — Cases entered in Salesforce, decided in the case system, reconciled")
    copy_example(example, work, "lockstep.yaml", "org.yaml", "cases.sql")
    db = work / "cases.db"
    with sqlite3.connect(db) as conn:
        conn.executescript((work / "cases.sql").read_text())
    conn.close()
    with start_emulator("--schema", str(work / "org.yaml")) as process:
        info = process.info
        env = {**emulator_env("SF", info), "CASES_DATABASE_URL": f"sqlite:///{db}"}
        loaded = load_config(work / "lockstep.yaml", environ=env)
        sf: Any = connect(info)
        checked = validate(loaded)
        n.check(
            "`lockstep validate` finds the config right against the org and the case system",
            checked.ok and not checked.problems,
        )
        _sync(loaded)  # the first pass installs the case system's capture
        for subject in ENTERED:
            sf.Case.create({"Subject": subject, "Priority": "High"})
        bad = sf.Case.create({"Priority": "Low", "Description": "no subject"})["id"]
        _sql(
            db,
            "INSERT INTO cases (subject, priority, status) VALUES (?, 'low', 'new')",
            "Call back",
        )
        n.step(
            "agents enter 4 Cases in Salesforce (one without a Subject); the case system opens 1"
        )

        n.summary(_sync(loaded))
        synced = _sql(
            db,
            "SELECT COUNT(*) FROM cases "
            "WHERE salesforce_id IS NOT NULL AND sync_status = 'Success'",
        )
        n.check(
            f"the case system holds every good case with its Case Id and 'Success' ({synced})",
            synced == 4,
        )
        ok = count(
            sf,
            "SELECT COUNT() FROM Case "
            "WHERE External_Case_Id__c != null AND Sync_Status__c = 'Success'",
        )
        n.check(
            f"Salesforce holds the case system's id and 'Success' on the same 4 ({ok})", ok == 4
        )
        failed = sf.Case.get(bad)
        n.check(
            f"the Case without a Subject says Failed, and why ({failed['Sync_Error__c']})",
            failed["Sync_Status__c"] == "Failed" and "subject" in (failed["Sync_Error__c"] or ""),
        )

        found = _reconcile(loaded)
        n.summary(found)
        n.check(
            "a reconcile finds that one Case missing in the case system, the rest in agreement",
            (found.counts.created, found.counts.updated, found.counts.unchanged) == (1, 0, 8),
        )

        sf.Case.update(bad, {"Subject": "Screen flickers"})
        n.step("the agent adds the Subject in Salesforce")
        n.summary(_sync(loaded))
        fixed = sf.Case.get(bad)
        row = _one(db, "SELECT id, sync_status FROM cases WHERE salesforce_id = ?", bad)
        n.check(
            "the next pass carries it: the Case says Success and holds the case system's id",
            fixed["Sync_Status__c"] == "Success"
            and fixed["Sync_Error__c"] is None
            and row is not None
            and fixed["External_Case_Id__c"] == str(row[0]),
        )
        n.check("its exception is closed: nothing needs a person", _open_exceptions(loaded) == 0)

        redrive = _sync(loaded, retry_failed=True)
        n.step("a re-drive of what failed (`lockstep sync --once --retry-failed`)")
        n.check(
            "the superseded failure is not sent again: the Case still says Success",
            sf.Case.get(bad)["Sync_Status__c"] == "Success"
            and any(note.startswith("--retry-failed: 0 failed") for note in redrive.notes)
            and redrive.counts.failed == 0
            and _open_exceptions(loaded) == 0,
        )

        _sql(db, "UPDATE cases SET status = 'closed' WHERE subject = ?", ENTERED[0])
        n.step("the case system closes a case")
        n.summary(_sync(loaded))
        closed = sf.query(f"SELECT Status, Sync_Status__c FROM Case WHERE Subject = '{ENTERED[0]}'")
        record = closed["records"][0]
        n.check(
            "Salesforce has it Closed, with 'Success'",
            (record["Status"], record["Sync_Status__c"]) == ("Closed", "Success"),
        )

        clean = _reconcile(loaded)
        n.summary(clean)
        n.check(
            "a reconcile is clean: 5 cases agree on both sides, statuses included",
            (clean.counts.created, clean.counts.updated, clean.extra, clean.counts.unchanged)
            == (0, 0, 0, 10),
        )


def _sync(loaded: LoadedConfig, *, retry_failed: bool = False) -> Summary:
    return sync_once(loaded, Options(retry_failed=retry_failed), progress=Progress())


def _reconcile(loaded: LoadedConfig) -> Summary:
    return reconcile(loaded, ReconcileOptions(), progress=Progress())


def _open_exceptions(loaded: LoadedConfig) -> int:
    url, _ = resolve_paths(loaded)
    ledger = Ledger.open(url)
    try:
        return len(ledger.exceptions())
    finally:
        ledger.close()


def _sql(db: Path, statement: str, *params: Any) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute(statement, params).fetchone()
    conn.close()
    return int(row[0]) if row else 0


def _one(db: Path, statement: str, *params: Any) -> tuple[Any, ...] | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute(statement, params).fetchone()
    conn.close()
    return tuple(row) if row else None
