"""Bad config is refused by every command before anything is touched.

One table: each mistake a user makes in ``lockstep.yaml`` (a misspelt field or column,
a table or object that does not exist, a filter the system rejects, settings nothing
implements, a SQLite path that leads nowhere) against each command that runs work.
Every row runs the command and ``lockstep validate`` on the same folder and expects
the same of both: exit 2, the problem at its file:line, the same problem lines, and
nothing written: the app database holds the tables it held (no lockstep triggers, no
change table), the folder holds what it held (no ledger, no reports folder, no new
database file), and the org took no write.

The org (``WIDGET_ORG``) runs once for the session and the app database is made once
for the module, then copied into each row's folder.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo

from lockstep.cli.app import main
from tests.support.looks import data_writes

APP_SCHEMA = """
    CREATE TABLE companies (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, revenue NUMERIC,
        sf_id VARCHAR(18), global_id VARCHAR(40), sync_status VARCHAR(20));
    CREATE TABLE gadgets (
        id INTEGER PRIMARY KEY, label TEXT, amount NUMERIC, code VARCHAR(40) UNIQUE,
        updated_at TIMESTAMP);
    INSERT INTO companies (id, name, revenue) VALUES (1, 'Acme', 1000);
    INSERT INTO gadgets (id, label, amount, code, updated_at)
        VALUES (1, 'Sprocket', 5, 'G-1', '2024-01-01 00:00:00');
"""

GOOD = """\
systems:
  crm:
    kind: salesforce
    login_url: {login_url}
    ca_cert: {ca_cert}
    auth:
      flow: password
      client_id: {client_id}
      client_secret: {client_secret}
      username: {username}
      password: {password}
  app:
    kind: sql
    url: sqlite:///{folder}/app.db
entities:
  customer:
    fields:
      name: {{type: string, required: true}}
      revenue: decimal
    owner: app
    bindings:
      app:
        table: companies
        global_id_field: global_id
        fields: {{name: name, revenue: revenue}}
        capture: {{mode: triggers}}
        write_back:
          ids: {{crm: sf_id}}
          status: {{field: sync_status}}
      crm:
        object: Account
        external_id: External_Id__c
        global_id_field: Global_Customer_Id__c
        fields: {{name: Name, revenue: AnnualRevenue}}
        filter: "Name != null"
        capture: {{mode: poll}}
  gadget:
    fields: {{label: string, amount: decimal}}
    owner: crm
    bindings:
      crm:
        object: Widget__c
        external_id: Ext__c
        fields: {{label: Name, amount: Amount__c}}
        capture: {{mode: poll, interval_seconds: 60}}
      app:
        table: gadgets
        external_id: code
        fields: {{label: label, amount: amount}}
        capture: {{mode: watermark, column: updated_at}}
"""

SCHEDULES = """\
run:
  schedules:
    - {name: hourly, cron: "0 * * * *", command: sync}
"""


@dataclass(frozen=True)
class Mistake:
    """``old`` replaced by ``new`` in the good config; the problem is reported on the
    line holding ``new`` (at its ``at`` when given), with ``says`` in its message."""

    old: str
    new: str
    says: str
    at: str | None = None


MISTAKES = {
    "misspelt Salesforce field": Mistake(
        "revenue: AnnualRevenue}",
        "revenue: AnualRevenue}",
        "field 'AnualRevenue' does not exist on Account; did you mean 'AnnualRevenue'?",
    ),
    "misspelt SQL column": Mistake(
        "fields: {name: name, revenue: revenue}",
        "fields: {name: nmae, revenue: revenue}",
        "field 'nmae' does not exist on companies; did you mean 'name'?",
    ),
    "missing table": Mistake(
        "table: gadgets", "table: gizmos", "table 'gizmos' does not exist in app"
    ),
    "missing Salesforce object": Mistake(
        "object: Widget__c", "object: Wigdet__c", "object 'Wigdet__c' does not exist in crm"
    ),
    "filter the org rejects": Mistake(
        'filter: "Name != null"', 'filter: "Nmae != null"', "crm rejected the filter"
    ),
    "misspelt watermark column": Mistake(
        "column: updated_at}",
        "column: updatd_at}",
        "field 'updatd_at' does not exist on gadgets; did you mean 'updated_at'?",
    ),
    "capture mode cdc": Mistake(
        "capture: {mode: poll}",
        "capture: {mode: cdc}",
        "not supported yet: Change Data Capture ('cdc') is not read yet",
    ),
    "run.schedules": Mistake(
        "        capture: {mode: watermark, column: updated_at}\n",
        "        capture: {mode: watermark, column: updated_at}\n" + SCHEDULES,
        "not supported yet: schedules are for `lockstep run`",
        at="  schedules:",
    ),
    "a setting the capture mode does not read": Mistake(
        "capture: {mode: triggers}",
        "capture: {mode: triggers, lookback_seconds: 30}",
        "capture mode 'triggers' does not read 'lookback_seconds'",
        at="lookback_seconds",
    ),
    "wrong SQLite path": Mistake(
        "/app.db\n", "/ap.db\n", "no such database file ", at="sqlite:///"
    ),
}

COMMANDS = {
    "plan": ["plan"],
    "migrate": ["migrate"],
    "relink": ["relink"],
    "sync --once": ["sync", "--once"],
    "sync (loop)": ["sync"],  # checked once, at its start
    "reconcile": ["reconcile"],
}
LOOP_TIMEOUT = 20  # seconds: a loop that was not refused keeps going, and fails the row


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def app_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app database, made once for the module: rows copy it."""
    path = tmp_path_factory.mktemp("app") / "app.db"
    with sqlite3.connect(path) as db:
        db.executescript(APP_SCHEMA)
    db.close()
    return path


def write_config(folder: Path, org: EmulatorInfo, mistake: Mistake | None) -> Path:
    text = GOOD.format(
        login_url=org.login_url,
        ca_cert=org.ca_cert,
        client_id=org.client_id,
        client_secret=org.client_secret,
        username=org.username,
        password=org.password + org.security_token,
        folder=folder,
    )
    if mistake is not None:
        assert text.count(mistake.old) == 1, mistake.old
        text = text.replace(mistake.old, mistake.new)
    path = folder / "lockstep.yaml"
    path.write_text(text)
    return path


def line_of(path: Path, mistake: Mistake) -> int:
    """The line of the config the mistake is on."""
    marker = mistake.at or mistake.new.strip().splitlines()[0]
    lines = path.read_text().splitlines()
    found = [n for n, line in enumerate(lines, start=1) if marker.strip() in line]
    assert len(found) == 1, (marker, found)
    return found[0]


def lockstep(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    out, err = capsys.readouterr()
    code = exit_.value.code
    return Ran(code if isinstance(code, int) else 1, out, err)


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """SIGALRM after ``seconds`` (the loop, were it not refused, would keep going): it
    raises inside the command, which then ends with a code other than 2."""

    def ring(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def folder_state(folder: Path) -> dict[str, object]:
    """Every file under ``folder`` and the app database's schema (its tables, indexes
    and triggers), which a command must leave as they were."""
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    app = folder / "app.db"
    with sqlite3.connect(f"file:{app}?mode=ro", uri=True) as db:
        schema = sorted(db.execute("SELECT type, name FROM sqlite_master").fetchall())
    db.close()
    return {"files": files, "schema": schema}


def problem_lines(ran: Ran) -> list[str]:
    """The problem lines, without the closing count ("lockstep …: N problems")."""
    lines = ran.err.splitlines()
    assert lines and re.fullmatch(r"lockstep \S+: \d+ problems?", lines[-1]), ran.err
    return lines[:-1]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", MISTAKES)
def test_bad_config_is_refused_before_anything_is_touched(
    name: str,
    command: str,
    tmp_path: Path,
    org: EmulatorInfo,
    admin: AdminClient,
    app_template: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mistake = MISTAKES[name]
    shutil.copy(app_template, tmp_path / "app.db")
    config = write_config(tmp_path, org, mistake)
    before = folder_state(tmp_path)
    where = f"{config}:{line_of(config, mistake)}:"
    admin.reset_stats()

    validated = lockstep(capsys, "validate", "-c", str(config))
    assert validated.code == 2, validated
    assert any(
        line.startswith(where) and mistake.says in line for line in validated.err.splitlines()
    ), validated.err
    assert folder_state(tmp_path) == before

    args = [*COMMANDS[command], "-c", str(config)]
    with deadline(LOOP_TIMEOUT):
        ran = lockstep(capsys, *args)
    assert ran.code == 2, ran
    assert problem_lines(ran) == problem_lines(validated)
    assert ran.err.splitlines()[-1].startswith(f"lockstep {COMMANDS[command][0]}: ")
    assert "Traceback" not in ran.err
    assert folder_state(tmp_path) == before
    assert data_writes(admin.stats()) == {}


def test_the_good_config_runs_and_is_described_once(
    tmp_path: Path,
    org: EmulatorInfo,
    empty_org: AdminClient,
    app_template: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The table's config without its mistake passes, and a pass reuses what its check
    described: each bound object is described once, and the check's calls are counted
    in the run's summary."""
    shutil.copy(app_template, tmp_path / "app.db")
    config = write_config(tmp_path, org, None)
    assert lockstep(capsys, "validate", "-c", str(config)).code == 0

    empty_org.reset_stats()
    ran = lockstep(capsys, "sync", "--once", "--json", "-c", str(config))
    stats = empty_org.stats()

    assert ran.code in (0, 1), ran  # it ran (a gadget the org refuses may fail)
    summary = json.loads(ran.out)
    describes = {r: n for r, n in stats["by_route"].items() if r.endswith("/describe")}
    assert sum(describes.values()) == 2, describes  # Account and Widget__c, once each
    families = stats["by_family"]
    assert summary["api_calls"]["crm"] == stats["total"] - families["auth"] - families["admin"]
    after = folder_state(tmp_path)
    assert {".lockstep/ledger.db", "reports"} <= set(after["files"])  # type: ignore[operator]
    assert any(
        kind == "trigger" and name.startswith("lockstep")
        for kind, name in after["schema"]  # type: ignore[attr-defined]
    )
