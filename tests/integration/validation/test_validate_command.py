"""``lockstep validate`` against a live emulator org and a SQLite database."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest
from lockstep_emulator.client import EmulatorInfo

from lockstep.cli.app import main


def app_db(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE companies (
                id INTEGER PRIMARY KEY, name TEXT NOT NULL, revenue NUMERIC,
                sf_id VARCHAR(18) UNIQUE, parent_id INTEGER, global_id VARCHAR(40),
                sync_status VARCHAR(20), updated_at TIMESTAMP);
            CREATE TABLE gadgets (id INTEGER PRIMARY KEY, label TEXT, amount NUMERIC,
                code VARCHAR(40) UNIQUE, colour VARCHAR(10), due DATE);
            """
        )
    return f"sqlite:///{path}"


def write_config(tmp_path: Path, org: EmulatorInfo, body: str) -> Path:
    head = f"""\
        systems:
          crm:
            kind: salesforce
            login_url: {org.login_url}
            ca_cert: {org.ca_cert}
            auth:
              flow: password
              client_id: {org.client_id}
              client_secret: ${{SF_SECRET}}
              username: {org.username}
              password: ${{SF_PASSWORD}}
          app:
            kind: sql
            url: {app_db(tmp_path / "app.db")}
        """
    path = tmp_path / "lockstep.yaml"
    path.write_text(textwrap.dedent(head) + textwrap.dedent(body))
    return path


GOOD = """\
    entities:
      customer:
        fields:
          name: {type: string, required: true}
          revenue: decimal
        references:
          parent: customer
        owner: app
        bindings:
          app:
            table: companies
            external_id: sf_id
            global_id_field: global_id
            fields: {name: name, revenue: revenue, parent: parent_id}
            capture: {mode: triggers}
            write_back:
              ids: {crm: sf_id}
              status: {field: sync_status}
          crm:
            object: Account
            external_id: External_Id__c
            global_id_field: Global_Customer_Id__c
            fields: {name: Name, revenue: AnnualRevenue, parent: ParentId}
            filter: "Name != null"
      gadget:
        fields: {label: string, amount: decimal, colour: string, due: date}
        owner: crm
        bindings:
          crm:
            object: Widget__c
            external_id: Ext__c
            fields:
              label: Name
              amount: Amount__c
              due: Due__c
              colour: {field: Category__c, values: {r: red, g: green}}
          app:
            table: gadgets
            external_id: code
            fields: {label: label, amount: amount, colour: colour, due: due}
    """


def run(path: Path, *args: str) -> int:
    with pytest.raises(SystemExit) as exit_:
        main(["validate", "-c", str(path), *args])
    return int(exit_.value.code or 0)


@pytest.fixture(autouse=True)
def secrets(org: EmulatorInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_SECRET", org.client_secret)
    monkeypatch.setenv("SF_PASSWORD", org.password + org.security_token)


def test_a_good_config_is_clean_and_notes_the_cycle(
    tmp_path: Path, org: EmulatorInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, org, GOOD)
    assert run(path) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "OK (against the live systems): 2 systems, 2 entities, 4 bindings" in out
    assert "reference cycle customer -> customer" in out
    assert "relink" in out


def test_every_mismatch_with_the_systems_is_reported_at_its_line(
    tmp_path: Path, org: EmulatorInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        GOOD.replace("revenue: AnnualRevenue", "revenue: AnualRevenue")
        .replace("external_id: External_Id__c", "external_id: Name")
        .replace("{r: red, g: green}", "{r: red, g: mauve}")
        .replace('filter: "Name != null"', 'filter: "Nmae != null"')
        .replace("label: Name", "label: Amount__c")
        .replace("table: gadgets", "table: gizmos")
    )
    path = write_config(tmp_path, org, body)
    assert run(path) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    name = str(path)
    assert lines == [
        f"{name}:35:22: entities.customer.bindings.crm.external_id: 'Name' on Account is not "
        "an external id (mark it External ID and Unique in Salesforce)",
        f"{name}:37:39: entities.customer.bindings.crm.fields.revenue: field 'AnualRevenue' "
        "does not exist on Account; did you mean 'AnnualRevenue'?",
        f"{name}:38:17: entities.customer.bindings.crm.filter: crm rejected the filter: "
        + lines[2].split("crm rejected the filter: ", 1)[-1],
        f"{name}:47:18: entities.gadget.bindings.crm.fields.label: 'Amount__c' on Widget__c is "
        "double (decimal); it cannot hold the canonical string 'label'",
        f"{name}:50:60: entities.gadget.bindings.crm.fields.colour.values.g: 'mauve' is not a "
        "value of the picklist Widget__c.Category__c (red, green, blue)",
        f"{name}:52:16: entities.gadget.bindings.app.table: table 'gizmos' does not exist in app",
        "lockstep validate: 6 problems",
    ]
    assert "INVALID_FIELD" in lines[2] and "Nmae" in lines[2]
    assert out.count("OK") == 0


def test_an_unreachable_system_exits_3_and_names_it(
    tmp_path: Path, org: EmulatorInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, org, GOOD)
    text = path.read_text().replace(f"login_url: {org.login_url}", "login_url: https://127.0.0.1:9")
    path.write_text(text)
    assert run(path) == 3
    _, err = capsys.readouterr()
    assert "cannot reach crm" in err
    assert "could not check: crm" in err
    assert org.client_secret not in err


def test_offline_checks_the_file_only(
    tmp_path: Path, org: EmulatorInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, org, GOOD.replace("table: gadgets", "table: gizmos"))
    assert run(path, "--offline") == 0
    assert "OK (offline)" in capsys.readouterr().out


def test_a_missing_environment_variable_exits_2_and_writes_nothing(
    tmp_path: Path,
    org: EmulatorInfo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SF_PASSWORD")
    path = write_config(tmp_path, org, GOOD)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run(path) == 2
    _, err = capsys.readouterr()
    assert f"{path}:11:17: systems.crm.auth.password: " in err
    assert "environment variable 'SF_PASSWORD' is not set" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_offline_refuses_what_nothing_implements_yet(
    tmp_path: Path, org: EmulatorInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    body = GOOD.replace(
        "capture: {mode: triggers}", "capture: {mode: triggers, column: updated_at}"
    )
    body = (
        body.rstrip(" ") + '    run:\n      schedules:\n        - {name: hourly, cron: "@hourly"}\n'
    )
    body = body.replace(
        'filter: "Name != null"', 'filter: "Name != null"\n            capture: {mode: cdc}'
    )
    path = write_config(tmp_path, org, body)
    assert run(path, "--offline") == 2
    out, err = capsys.readouterr()
    name = str(path)
    assert err.splitlines() == [
        f"{name}:29:35: entities.customer.bindings.app.capture.column: capture mode "
        "'triggers' does not read 'column' (only watermark and poll do); remove it",
        f"{name}:39:25: entities.customer.bindings.crm.capture.mode: not supported yet: "
        "Change Data Capture ('cdc') is not read yet; use 'poll' (SystemModstamp polling)",
        f"{name}:57:3: run.schedules: not supported yet: schedules are for `lockstep run`, "
        "which does not exist yet; run `lockstep sync` (a pass every --interval seconds) "
        "and the other commands from your own scheduler (cron, a CI job) meanwhile",
        "lockstep validate: 3 problems",
    ]
    assert "OK" not in out
