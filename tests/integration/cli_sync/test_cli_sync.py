"""``lockstep sync`` from the command line: a SQLite app table of customers and an
emulator org's Accounts, one ``lockstep.yaml`` in ``tmp_path`` (ledger and reports
beside it). The app owns the customers (Salesforce owns their phone); both sides
capture. ``--once`` runs in-process through ``lockstep.cli.app.main``; the loop runs
as a real process, stopped by a signal.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce.api import Salesforce

from lockstep.cli.app import main
from lockstep.ledger import Ledger
from lockstep.ledger.tables import queue as queue_table
from tests.support.emulators import OrgSpec

ORG_SCHEMA = Path(__file__).parents[3] / "examples" / "ams-migration" / "org.yaml"
CLIENT_SECRET = "cli-sync-tests-secret"
PASS_LINE = re.compile(
    r"^\S+Z sync (\S+): created \d+, updated \d+, deleted \d+, unchanged \d+, "
    r"failed \d+, waiting \d+ \(",
    re.M,
)
ANY_PASS_LINE = re.compile(r"^\S+Z sync (\S+):(?: interrupted:)? created \d+", re.M)


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return OrgSpec(ORG_SCHEMA, CLIENT_SECRET)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def summary(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.out)
        return result


@dataclass
class Setting:
    directory: Path
    config: Path
    db: Path
    sf: Salesforce
    capsys: pytest.CaptureFixture[str]

    def cli(self, *args: str, command: str = "sync") -> Run:
        """``lockstep <command> -c <config> <args>`` in-process (``sync`` by default)."""
        self.capsys.readouterr()
        try:
            main([command, "-c", str(self.config), *args])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        else:
            raise AssertionError("main() returned instead of exiting")
        out, err = self.capsys.readouterr()
        return Run(code, out, err)

    def execute(self, statement: str, *params: Any) -> None:
        with sqlite3.connect(self.db) as conn:
            conn.execute(statement, params)
        conn.close()

    def rows(self) -> dict[int, tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            found = conn.execute("SELECT id, name, phone, sf_id, sync_status FROM customer")
            rows = {r[0]: r[1:] for r in found}
        conn.close()
        return rows

    def accounts(self) -> dict[str, tuple[Any, ...]]:
        records = self.sf.query_all("SELECT Id, Name, Phone FROM Account")["records"]
        return {r["Id"]: (r["Name"], r["Phone"]) for r in records}


def write_config(
    directory: Path,
    info: EmulatorInfo,
    db: Path,
    *,
    capture: bool = True,
    login_url: str | None = None,
    interval: float = 60,
) -> Path:
    app: dict[str, Any] = {
        "table": "customer",
        "key": "id",
        "global_id_field": "gid",
        "fields": {"name": "name", "phone": "phone"},
        "write_back": {"ids": {"crm": "sf_id"}, "status": {"field": "sync_status"}},
    }
    crm: dict[str, Any] = {
        "object": "Account",
        "external_id": "Global_Customer_Id__c",
        "global_id_field": "Global_Customer_Id__c",
        "fields": {"name": "Name", "phone": "Phone"},
    }
    if capture:
        app["capture"] = {"mode": "triggers", "interval_seconds": interval}
        crm["capture"] = {"mode": "poll", "interval_seconds": interval * 2}
    config = {
        "version": 1,
        "systems": {
            "app": {"kind": "sql", "url": f"sqlite:///{db}"},
            "crm": {
                "kind": "salesforce",
                "login_url": login_url or info.login_url,
                "ca_cert": info.ca_cert,
                "auth": {
                    "flow": "client_credentials",
                    "client_id": info.client_id,
                    "client_secret": info.client_secret,
                },
            },
        },
        "entities": {
            "customer": {
                "owner": "app",
                "field_owners": {"phone": "crm"},
                "fields": {"name": {"type": "string", "required": True}, "phone": "string"},
                "bindings": {"app": app, "crm": crm},
            }
        },
        "run": {"ledger": "sqlite:///ledger.db", "reports": "reports"},
    }
    path = directory / "lockstep.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def setting(
    tmp_path: Path, org: EmulatorInfo, sf: Salesforce, capsys: pytest.CaptureFixture[str]
) -> Setting:
    """Two customers already in the app (the initial load's job, not sync's)."""
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, phone TEXT, "
            "sf_id TEXT, sync_status TEXT, gid TEXT)"
        )
        conn.executemany(
            "INSERT INTO customer (id, name, phone) VALUES (?, ?, ?)",
            [(1, "Before 1", "555-1"), (2, "Before 2", "555-2")],
        )
    conn.close()
    return Setting(tmp_path, write_config(tmp_path, org, db), db, sf, capsys)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- --once ------------------------------------------------------------------------------


def test_once_json_prints_a_summary_whose_counts_match_what_happened(setting: Setting) -> None:
    first = setting.cli("--once", "--json")

    assert first.code == 0, first.err
    summary = first.summary()
    assert summary["mode"] == "sync" and summary["status"] == "done"
    assert summary["counts"]["selected"] == 0  # rows from before the triggers: migrate's
    assert (Path(summary["reports"]) / "summary.json").read_text() == first.out

    setting.execute("INSERT INTO customer (id, name, phone) VALUES (3, 'New 3', '555-3')")
    setting.execute("INSERT INTO customer (id, name, phone) VALUES (4, 'New 4', '555-4')")
    setting.execute("UPDATE customer SET name = 'Before 1, changed' WHERE id = 1")
    second = setting.cli("--once", "--json")

    assert second.code == 0, second.err
    counts = second.summary()["counts"]
    # id 1 was never linked, so its first change creates it too
    assert (counts["created"], counts["updated"], counts["failed"]) == (3, 0, 0)
    assert second.summary()["by_entity"]["customer"] == counts
    assert second.summary()["deferred"] == 0
    rows = setting.rows()
    assert sorted(setting.accounts().values()) == [
        ("Before 1, changed", "555-1"),
        ("New 3", "555-3"),
        ("New 4", "555-4"),
    ]
    accounts = setting.accounts()
    for i in (1, 3, 4):  # written back: the Salesforce Id and the sync status
        assert accounts[rows[i][2]][0] == rows[i][0]
        assert rows[i][3] == "Success"
    assert rows[2][2:] == (None, None)

    echo = setting.cli("--once", "--json").summary()["counts"]  # the writes come back

    # the 3 Accounts; the write-back of ids and status into the rows is not captured
    assert echo["unchanged"] == echo["selected"] == 3
    assert echo["created"] == echo["updated"] == echo["deleted"] == echo["failed"] == 0

    sf_id = rows[3][2]
    setting.execute("UPDATE customer SET name = 'New 3, renamed' WHERE id = 3")
    setting.execute("DELETE FROM customer WHERE id = 4")
    third = setting.cli("--once")  # the table, for people

    assert third.code == 0, third.err
    assert re.search(r"^sync \S+: done in ", third.out, re.M)
    total = next(line for line in third.out.splitlines() if line.strip().startswith("total"))
    # selected, created, updated, deleted, unchanged, failed
    assert total.split()[1:] == ["2", "0", "1", "1", "0", "0"]
    assert setting.accounts()[sf_id] == ("New 3, renamed", "555-3")
    assert len(setting.accounts()) == 2


def test_a_failed_record_exits_1(setting: Setting) -> None:
    assert setting.cli("--once").code == 0
    setting.execute("INSERT INTO customer (id, name, phone) VALUES (5, ?, '555-5')", "x" * 300)

    run = setting.cli("--once", "--json")

    assert run.code == 1, run.err
    assert run.summary()["counts"]["failed"] == 1
    assert setting.rows()[5][3] == "Failed"


def test_retry_failed_sends_the_failed_changes_again(setting: Setting, admin: AdminClient) -> None:
    assert setting.cli("--once").code == 0
    # an Account made in Salesforce, which the app refuses (a trigger of its own) until
    # someone lifts the refusal
    setting.execute(
        "CREATE TRIGGER refuse_six BEFORE INSERT ON customer WHEN NEW.name = 'Six' "
        "BEGIN SELECT RAISE(ABORT, 'no Six here'); END"
    )
    setting.sf.Account.create({"Name": "Six", "Phone": "555-6"})
    failed = setting.cli("--once", "--json")
    assert failed.code == 1, failed.err
    assert failed.summary()["counts"]["failed"] == 1
    setting.execute("DROP TRIGGER refuse_six")
    assert setting.cli("--once", "--json").summary()["counts"]["created"] == 0  # stays failed
    assert "Six" not in [name for name, *_ in setting.rows().values()]

    retried = setting.cli("--once", "--json", "--retry-failed")

    assert retried.code == 0, retried.err
    summary = retried.summary()
    assert summary["counts"]["created"] == 1
    assert "--retry-failed: 1 failed changes sent again" in summary["notes"]
    assert [name for name, *_ in setting.rows().values()].count("Six") == 1
    assert [name for name, _ in setting.accounts().values()].count("Six") == 1


def test_a_write_refused_as_a_whole_waits_and_exits_3(setting: Setting, admin: AdminClient) -> None:
    # no record is to blame for a whole write refused (a field the org lacks): the
    # change waits, the pass is interrupted, and once the refusal is lifted it lands
    assert setting.cli("--once").code == 0
    setting.execute("INSERT INTO customer (id, name, phone) VALUES (6, 'Six', '555-6')")
    writes = {"method": "PATCH", "object": "Account"}  # upserts by external id
    refused = {"kind": "http_error", "status": 400, "error_code": "INVALID_FIELD", "match": writes}
    admin.set_faults([refused])
    stopped = setting.cli("--once", "--json")
    admin.clear_faults()
    assert stopped.code == 3, stopped.err
    assert stopped.summary()["counts"]["failed"] == 0
    assert "crm refused the writes" in stopped.err
    assert setting.rows()[6][3] == "In Progress"
    ledger_url = f"sqlite:///{setting.directory / 'ledger.db'}"
    with Ledger.open(ledger_url) as ledger, ledger.transaction() as conn:  # the retry time passes
        conn.execute(sa.update(queue_table).values(available_at=ledger.now()))

    back = setting.cli("--once", "--json")

    assert back.code == 0, back.err
    assert back.summary()["counts"]["created"] == 1
    assert setting.rows()[6][3] == "Success"
    assert [name for name, _ in setting.accounts().values()].count("Six") == 1


def test_retry_failed_is_for_one_pass(setting: Setting) -> None:
    run = setting.cli("--retry-failed")
    assert run.code == 2 and "--retry-failed" in run.err and "--once" in run.err


def test_a_system_failing_while_read_exits_3_naming_it(
    setting: Setting, admin: AdminClient
) -> None:
    assert setting.cli("--once").code == 0
    admin.set_faults([{"kind": "http_error", "status": 503, "match": {"path": "/query"}}])

    run = setting.cli("--once", "--json")

    assert run.code == 3
    assert run.summary()["status"] == "interrupted"
    error = [line for line in run.err.splitlines() if "error" in line]
    assert len(error) == 1 and "interrupted" in error[0] and "(crm)" in error[0], run.err
    assert "Traceback" not in run.err

    admin.clear_faults()
    assert setting.cli("--once").code == 0


# -- refusals ----------------------------------------------------------------------------


def test_no_binding_capturing_exits_2_saying_so(setting: Setting, org: EmulatorInfo) -> None:
    write_config(setting.directory, org, setting.db, capture=False)

    for args in (["--once"], []):
        run = setting.cli(*args)

        assert run.code == 2, args
        assert "no binding of customer captures changes" in run.err
        assert "capture: {mode: triggers}" in run.err
        assert "Traceback" not in run.err


@pytest.mark.parametrize("args", [["--once"], ["--once", "--json"], []])
def test_an_unknown_entity_exits_2(setting: Setting, args: list[str]) -> None:
    run = setting.cli("-e", "customer", "-e", "nope", *args)

    assert run.code == 2
    assert "unknown entity: nope" in run.err
    assert not (setting.directory / "reports").exists()


@pytest.mark.parametrize(
    "args", [["--once", "--interval", "5"], ["--interval", "0"], ["--interval", "-1"]]
)
def test_a_bad_interval_exits_2(setting: Setting, args: list[str]) -> None:
    run = setting.cli(*args)

    assert run.code == 2
    assert run.err.startswith("lockstep") and "--interval" in run.err
    assert len(run.err.strip().splitlines()) == 1


@pytest.mark.parametrize("as_json", [False, True])
def test_salesforce_unreachable_at_start_exits_3_with_one_line(
    setting: Setting, org: EmulatorInfo, as_json: bool
) -> None:
    assert setting.cli("--once").code == 0
    setting.execute("INSERT INTO customer (id, name, phone) VALUES (3, 'New 3', '555-3')")
    url = f"https://127.0.0.1:{closed_port()}"
    write_config(setting.directory, org, setting.db, login_url=url)

    run = setting.cli("--once", *(["--json"] if as_json else []))

    assert run.code == 3
    assert "Traceback" not in run.err
    errors = [line for line in run.err.splitlines() if line.startswith("lockstep")]
    assert len(errors) == 1, run.err
    assert errors[0].startswith("lockstep sync: error: run ")
    assert "interrupted: crm is unreachable (" in errors[0]
    if as_json:  # no progress lines: the error is stderr's only line
        assert run.err == errors[0] + "\n"
        summary = run.summary()
        assert summary["status"] == "interrupted"
        assert summary["counts"]["selected"] == 1  # the app's change is read, and waits
        assert summary["deferred"] == 1
    else:
        assert "crm is unreachable" in run.out  # the notes, under the table

    write_config(setting.directory, org, setting.db)
    after = setting.cli("--once", "--json")

    assert after.code == 0, after.err
    if ("New 3", "555-3") not in setting.accounts().values():  # not lost: it waits its turn
        with Ledger.open(f"sqlite:///{setting.directory / 'ledger.db'}") as ledger:
            assert ledger.queue_counts(entity="customer")["pending"] == 1


# -- the loop ----------------------------------------------------------------------------


def start_loop(setting: Setting) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """``lockstep sync -c <config>`` as a process; its stdout and stderr files."""
    out, err = setting.directory / "out.txt", setting.directory / "err.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "lockstep", "sync", "-c", str(setting.config)],
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "COLUMNS": "200"},
        )
    return process, out, err


def wait_for(text: str, file: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while text not in file.read_text():
        assert process.poll() is None, f"ended ({process.returncode}) before {text!r}"
        assert time.monotonic() < deadline, f"no {text!r} within 30 s"
        time.sleep(0.02)


def sync_runs(setting: Setting) -> dict[str, str]:
    """Every sync run in the ledger: its status by run id (none before the ledger is)."""
    try:
        with sqlite3.connect(setting.directory / "ledger.db") as conn:
            rows = conn.execute("SELECT run_id, status FROM ls_runs WHERE mode = 'sync'")
            found = dict(rows.fetchall())
        conn.close()
    except sqlite3.OperationalError:  # no runs table yet
        return {}
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_loop_stops_cleanly_on_a_signal(
    setting: Setting, org: EmulatorInfo, sig: signal.Signals
) -> None:
    """The signal lands in a pass or in the pause between two: either way the loop ends
    with one line on stderr and exit 128 + the signal, and no run is left running."""
    write_config(setting.directory, org, setting.db, interval=0.2)
    process, out, err = start_loop(setting)
    try:
        deadline = time.monotonic() + 30
        while not PASS_LINE.search(out.read_text()):
            assert process.poll() is None, err.read_text()
            assert time.monotonic() < deadline, out.read_text() + err.read_text()
            time.sleep(0.05)
        setting.execute("INSERT INTO customer (id, name, phone) VALUES (7, 'Loop 7', '555-7')")
        while "Loop 7" not in [name for name, _ in setting.accounts().values()]:
            assert time.monotonic() < deadline, out.read_text() + err.read_text()
            time.sleep(0.05)
        process.send_signal(sig)
        code = process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    printed, errors = out.read_text(), err.read_text()
    assert code == 128 + sig, errors
    lines = printed.strip().splitlines()
    assert (
        lines[0] == "lockstep sync: a pass every 0.2 s (every entity); Ctrl-C or SIGTERM stops it"
    )
    passes = PASS_LINE.findall(printed)  # the passes that ended done
    every = ANY_PASS_LINE.findall(printed)  # and the one a signal stopped, if it did
    assert len(every) >= 2 and len(set(every)) == len(every)  # one run id per pass
    assert re.search(r"created 1, .*failed 0, waiting 0", printed)
    runs = sync_runs(setting)
    assert set(runs) == set(every)
    assert "running" not in runs.values()
    in_pause = (
        f"lockstep sync: stopped by {sig.name} after {len(passes)} passes; the next pass resumes"
    )
    stopped = [run for run, status in runs.items() if status == "interrupted"]
    in_pass = (
        f"lockstep sync: stopped by {sig.name}; run {''.join(stopped)} interrupted; "
        "the next pass resumes"
    )
    assert errors.splitlines() == [in_pass if stopped else in_pause]
    assert len(stopped) <= 1


def wait_for_a_run(setting: Setting, process: subprocess.Popen[bytes]) -> str:
    """The id of the first sync run, once the process has started it."""
    deadline = time.monotonic() + 30
    while not (runs := sync_runs(setting)):
        assert process.poll() is None, f"ended ({process.returncode}) before a run started"
        assert time.monotonic() < deadline, "no run within 30 s"
        time.sleep(0.02)
    return next(iter(runs))


@pytest.mark.parametrize("signals", [1, 2])
def test_a_signal_mid_pass_stops_it_at_its_next_step_and_a_second_one_at_once(
    setting: Setting, admin: AdminClient, signals: int
) -> None:
    """Every SOQL query answers 1.5 s late: the first pass is reading Salesforce when the
    signals come. One: the read ends, and the pass stops after it; two: at once."""
    admin.set_faults([{"kind": "latency", "ms": 1500, "match": {"path": "/query"}}])
    process, out, err = start_loop(setting)
    try:
        run_id = wait_for_a_run(setting, process)
        time.sleep(0.3)
        for _ in range(signals):
            process.send_signal(signal.SIGINT)
            time.sleep(0.1)
        code = process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    printed, errors = out.read_text(), err.read_text()
    assert code == 130
    how = "stopped by SIGINT" if signals == 1 else "stopped at once by a second signal"
    assert errors.splitlines() == [
        f"lockstep sync: {how}; run {run_id} interrupted; the next pass resumes"
    ]
    assert not PASS_LINE.search(printed)  # no pass ended as done
    assert f"sync {run_id}: interrupted: " in printed  # its line, as far as it got
    assert sync_runs(setting) == {run_id: "interrupted"}
    admin.clear_faults()
    after = setting.cli("--once")
    assert after.code == 0, after.err  # the ledger is fine
    assert ("Before 1", "555-1") not in setting.accounts().values()  # not captured (migrate's)


# -- reconcile ---------------------------------------------------------------------------


def test_reconcile_reports_drift_exits_1_then_apply_repairs_it(setting: Setting) -> None:
    assert setting.cli("--once").code == 0
    setting.execute("INSERT INTO customer (id, name, phone) VALUES (7, 'Seven', '555-7')")
    assert setting.cli("--once").code == 0
    sf_id = setting.rows()[7][2]
    setting.sf.Account.update(sf_id, {"Name": "Drifted"})  # no sync pass reads it

    found = setting.cli("--json", command="reconcile")

    assert found.code == 1, found.err
    counts = found.summary()["counts"]
    # customers 1 and 2 were in the app before the triggers: never synced (seed 000's
    # records without a Salesforce id), so missing in Salesforce
    assert (counts["updated"], counts["created"], counts["failed"]) == (1, 2, 0)
    diff = (Path(found.summary()["reports"]) / "diff.csv").read_text(encoding="utf-8-sig")
    assert "name: Drifted -> Seven" in diff
    assert diff.count("never synced from app") == 2
    assert setting.accounts()[sf_id][0] == "Drifted"  # a report writes nothing
    assert len(setting.accounts()) == 1

    repaired = setting.cli("--apply", command="reconcile")
    assert repaired.code == 0, repaired.err
    assert "--apply: 2 created, 1 updated, 0 failed" in repaired.out
    assert setting.accounts()[sf_id][0] == "Seven"
    assert sorted(name for name, _ in setting.accounts().values()) == [
        "Before 1",
        "Before 2",
        "Seven",
    ]
    assert {row[3] for row in setting.rows().values()} == {"Success"}
    assert setting.cli(command="reconcile").code == 0


def diff_rows(run: Run) -> list[dict[str, str]]:
    with (Path(run.summary()["reports"]) / "diff.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_reconcile_apply_refuses_a_mass_detach_until_allowed(setting: Setting) -> None:
    assert setting.cli("--once").code == 0
    setting.execute("INSERT INTO customer (id, name, phone) VALUES (7, 'Seven', '555-7')")
    assert setting.cli("--once").code == 0
    setting.sf.Account.delete(setting.rows()[7][2])  # the one linked customer's Account

    found = setting.cli("--json", command="reconcile")
    every = setting.cli("--json", "--all", command="reconcile")

    assert found.code == every.code == 1
    findings = {k: n for k, n in found.summary()["findings"].items() if n}
    assert findings == {"missing": 2, "link_broken": 1}  # Before 1 and 2, never synced
    assert {r["finding"] for r in diff_rows(found)} == {"missing", "link_broken"}
    assert [r["action"] for r in diff_rows(every)].count("unchanged") == 1  # 7 in the app
    assert len(diff_rows(every)) == len(diff_rows(found)) + 1

    refused = setting.cli("--apply", "--json", command="reconcile")

    assert refused.code == 3
    assert refused.summary()["status"] == "failed"
    assert refused.err.count("\n") == 1 and refused.err.startswith("lockstep: error: ")
    assert "customer: 1 of 1 linked records (100%)" in refused.err
    assert "pass --allow-mass-delete" in refused.err
    assert len(setting.accounts()) == 0  # nothing created, nothing else written

    allowed = setting.cli("--apply", "--allow-mass-delete", command="reconcile")

    assert allowed.code == 0, allowed.err
    assert "--apply: 3 created, 0 updated, 0 failed" in allowed.out
    assert len(setting.accounts()) == 3
    assert setting.cli(command="reconcile").code == 0
