"""plan, migrate and relink in chunks of 7 source records (writes sent 11 at a time) give
what they give in one chunk: the same diff.csv and duplicates.csv rows in the same
order, the same processed and exception rows, the same counts, the same records on both
sides and the same links in the ledger.

The world is two SQLite databases, an app (owner) and a CRM, with companies (a match
rule on name and city, a parent company filled by relink) and people (a match rule on
email, an employer), spread so that what a chunk decides depends on other chunks:
source duplicates far apart, CRM records matched (one company by two of them) and one
found by its external id, children planned far from their parents, a CRM contact
linked to one person and matching a newer one (see the constants below and
``change``). Writes go back into the app (``write_back``), gathered across chunks too.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

import lockstep.migrate.execute as execute_module
import lockstep.migrate.run as run_module
import lockstep.migrate.workfile as workfile_module
from lockstep.cli.app import main

COMPANIES, PEOPLE = 60, 300
DUPLICATE_COMPANY = (5, 45)  # 45 repeats 5 (case and spaces differ)
SHARED_EMAIL = (10, 290)  # two people of the app, one email
EXTERNAL_ID = 12  # in the CRM already under its external id, not linked
MATCHED_COMPANY = 30  # in the CRM already, found by name and city
TWICE_IN_CRM = 50  # two CRM accounts match it
MATCHED_PEOPLE = range(110, 120)  # in the CRM already, found by email
NO_EMPLOYER = 77  # employed by a company the app lacks
NO_LAST_NAME = 88  # required field empty
EMPLOYED_BY_DUPLICATE = 150  # employer is company 45, held as a duplicate

APP_SCHEMA = """
CREATE TABLE company (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT,
                      parent_id INTEGER, crm_id TEXT);
CREATE TABLE person (id INTEGER PRIMARY KEY, first TEXT, last TEXT, email TEXT,
                     company_id INTEGER, crm_id TEXT);
"""
CRM_SCHEMA = """
CREATE TABLE account (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, city TEXT,
                      parent_id INTEGER, source_id TEXT UNIQUE);
CREATE TABLE contact (id INTEGER PRIMARY KEY AUTOINCREMENT, first TEXT, last TEXT,
                      email TEXT, account_id INTEGER);
"""
CONFIG: dict[str, Any] = {
    "version": 1,
    "systems": {"app": {"kind": "sql"}, "crm": {"kind": "sql"}},
    "entities": {
        "company": {
            "owner": "app",
            "fields": {"name": {"type": "string", "required": True}, "city": "string"},
            "references": {"parent": "company"},
            "match": [{"fields": ["name", "city"], "normalize": ["case", "whitespace"]}],
            "bindings": {
                "app": {
                    "table": "company",
                    "fields": {"name": "name", "city": "city", "parent": "parent_id"},
                    "write_back": {"ids": {"crm": "crm_id"}},
                },
                "crm": {
                    "table": "account",
                    "external_id": "source_id",
                    "fields": {"name": "name", "city": "city", "parent": "parent_id"},
                },
            },
        },
        "person": {
            "owner": "app",
            "fields": {
                "first": "string",
                "last": {"type": "string", "required": True},
                "email": "string",
            },
            "references": {"employer": "company"},
            "match": [{"fields": ["email"], "normalize": ["email"]}],
            "bindings": {
                "app": {
                    "table": "person",
                    "fields": {
                        "first": "first",
                        "last": "last",
                        "email": "email",
                        "employer": "company_id",
                    },
                    "write_back": {"ids": {"crm": "crm_id"}},
                },
                "crm": {
                    "table": "contact",
                    "fields": {
                        "first": "first",
                        "last": "last",
                        "email": "email",
                        "employer": "account_id",
                    },
                },
            },
        },
    },
    "run": {},
}


def city(n: int) -> str:
    return ("Leeds", "York", "Hull")[n % 3]


def build(directory: Path) -> Path:
    """The two databases and the config, in ``directory``."""
    directory.mkdir()
    app = sqlite3.connect(directory / "app.db")
    app.executescript(APP_SCHEMA)
    for n in range(1, COMPANIES + 1):
        name, town = f"Company {n}", city(n)
        if n == DUPLICATE_COMPANY[1]:
            name, town = f"  company   {DUPLICATE_COMPANY[0]} ", city(DUPLICATE_COMPANY[0])
        parent = n - 9 if n % 10 == 0 else None
        app.execute("INSERT INTO company VALUES (?, ?, ?, ?, NULL)", (n, name, town, parent))
    for n in range(1, PEOPLE + 1):
        email = f"p{n}@example.org"
        if n == SHARED_EMAIL[1]:
            email = f"P{SHARED_EMAIL[0]}@Example.org"
        employer = 1 + n % COMPANIES
        if n == NO_EMPLOYER:
            employer = 999
        if n == EMPLOYED_BY_DUPLICATE:
            employer = DUPLICATE_COMPANY[1]
        last = "" if n == NO_LAST_NAME else f"Last{n}"
        app.execute(
            "INSERT INTO person VALUES (?, ?, ?, ?, ?, NULL)",
            (n, f"First{n}", last, email, employer),
        )
    app.commit()
    app.close()

    crm = sqlite3.connect(directory / "crm.db")
    crm.executescript(CRM_SCHEMA)
    crm.execute(
        "INSERT INTO account (name, city, source_id) VALUES (?, ?, ?)",
        (f"Old name of {EXTERNAL_ID}", city(EXTERNAL_ID), str(EXTERNAL_ID)),
    )
    crm.execute(
        "INSERT INTO account (name, city) VALUES (?, ?)",
        (f"COMPANY {MATCHED_COMPANY}", city(MATCHED_COMPANY)),
    )
    for _ in range(2):
        crm.execute(
            "INSERT INTO account (name, city) VALUES (?, ?)",
            (f"Company {TWICE_IN_CRM}", city(TWICE_IN_CRM)),
        )
    for n in MATCHED_PEOPLE:
        crm.execute(
            "INSERT INTO contact (first, last, email) VALUES (?, ?, ?)",
            (f"First{n}", f"Last{n}", f"P{n}@EXAMPLE.ORG"),
        )
    crm.commit()
    crm.close()

    config = json.loads(json.dumps(CONFIG))
    config["systems"]["app"]["url"] = f"sqlite:///{directory / 'app.db'}"
    config["systems"]["crm"]["url"] = f"sqlite:///{directory / 'crm.db'}"
    config["run"] = {
        "ledger": f"sqlite:///{directory / 'ledger.db'}",
        "reports": str(directory / "reports"),
    }
    path = directory / "lockstep.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def change(directory: Path) -> None:
    """After the first migrate: a person sharing the email of one already linked (the
    CRM contact it matches is taken), one found in the CRM, and an edit."""
    app = sqlite3.connect(directory / "app.db")
    app.execute("INSERT INTO person VALUES (301, 'New', 'Person', 'p120@example.org', 3, NULL)")
    app.execute("INSERT INTO person VALUES (302, 'In', 'Crm', 'p302@example.org', 4, NULL)")
    app.execute("UPDATE person SET last = 'Edited' WHERE id = 5")
    app.commit()
    app.close()
    crm = sqlite3.connect(directory / "crm.db")
    crm.execute("INSERT INTO contact (first, last, email) VALUES ('In', 'Crm', 'p302@example.org')")
    crm.commit()
    crm.close()


def lockstep(directory: Path, command: str) -> dict[str, Any]:
    """``lockstep <command>`` in-process; its summary and report rows (global ids left
    out: each run draws its own)."""
    reports = directory / "reports"
    before = set(reports.iterdir()) if reports.exists() else set()
    with pytest.raises(SystemExit) as exit_:
        main([command, "-c", str(directory / "lockstep.yaml")])
    (run,) = set(reports.iterdir()) - before
    summary = json.loads((run / "summary.json").read_text())

    def rows(name: str) -> list[dict[str, str]]:
        with (run / name).open(encoding="utf-8-sig", newline="") as f:
            return [{k: v for k, v in r.items() if k != "global_id"} for r in csv.DictReader(f)]

    def key(row: dict[str, str]) -> str:
        return json.dumps(row, sort_keys=True)

    return {
        "exit": exit_.value.code,
        "counts": summary["by_entity"],
        "deferred": summary.get("deferred"),
        "diff": rows("diff.csv"),
        "duplicates": rows("duplicates.csv"),
        "processed": sorted(rows("processed.csv"), key=key),
        "exceptions": sorted(rows("exceptions.csv"), key=key),
    }


def tables(directory: Path) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for db, names in (("app.db", ("company", "person")), ("crm.db", ("account", "contact"))):
        conn = sqlite3.connect(directory / db)
        for name in names:
            found[name] = conn.execute(f"SELECT * FROM {name} ORDER BY id").fetchall()
        conn.close()
    return found


def links(directory: Path) -> set[tuple[str, str, str]]:
    """(entity, app id, CRM id) of every global id linked in both."""
    conn = sqlite3.connect(directory / "ledger.db")
    rows = conn.execute(
        "SELECT a.entity, a.native_id, c.native_id FROM ls_xrefs a JOIN ls_xrefs c"
        " ON c.entity = a.entity AND c.global_id = a.global_id"
        " WHERE a.system = 'app' AND c.system = 'crm'"
    ).fetchall()
    conn.close()
    return set(rows)


def story(directory: Path) -> dict[str, Any]:
    """plan, migrate, then changes, plan, migrate, relink, migrate: what each gave."""
    build(directory)
    steps: dict[str, Any] = {}
    steps["plan"] = lockstep(directory, "plan")
    steps["migrate"] = lockstep(directory, "migrate")
    change(directory)
    steps["plan again"] = lockstep(directory, "plan")
    steps["migrate again"] = lockstep(directory, "migrate")
    steps["relink"] = lockstep(directory, "relink")
    steps["migrate last"] = lockstep(directory, "migrate")
    steps["tables"] = tables(directory)
    steps["links"] = links(directory)
    return steps


def test_chunks_of_seven_give_what_one_chunk_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = story(tmp_path / "whole")
    monkeypatch.setattr(run_module, "PLAN_CHUNK", 7)
    monkeypatch.setattr(execute_module, "CHUNK", 11)
    chunked = story(tmp_path / "chunked")

    for step in whole:
        assert chunked[step] == whole[step], step
    # ...and the story is the one it means to tell.
    plan = {r["source_key"]: r for r in whole["plan"]["diff"] if r["entity"] == "person"}
    companies = {r["source_key"]: r for r in whole["plan"]["diff"] if r["entity"] == "company"}
    assert companies[str(EXTERNAL_ID)]["action"] == "link"
    assert companies[str(EXTERNAL_ID)]["reason"] == "found by its external id"
    assert companies[str(MATCHED_COMPANY)]["action"] == "link"
    assert companies[str(TWICE_IN_CRM)]["action"] == "duplicate"
    assert {companies[str(k)]["action"] for k in DUPLICATE_COMPANY} == {"duplicate"}
    assert {plan[str(k)]["action"] for k in SHARED_EMAIL} == {"duplicate"}
    assert {plan[str(k)]["action"] for k in MATCHED_PEOPLE} == {"link"}
    assert plan[str(NO_EMPLOYER)]["action"] == "missing_parent"
    assert plan[str(EMPLOYED_BY_DUPLICATE)]["action"] == "missing_parent"
    assert plan[str(NO_LAST_NAME)]["action"] == "invalid"
    assert plan["200"]["action"] == "create"  # its employer is created by the same plan
    kinds = [(g["entity"], g["kind"]) for g in whole["plan"]["duplicates"]]
    assert kinds == [
        ("company", "source_duplicates"),
        ("company", "target_matches"),
        ("person", "source_duplicates"),
    ]
    again = {r["source_key"]: r for r in whole["plan again"]["diff"] if r["entity"] == "person"}
    assert again["301"]["action"] == "create"  # p120's contact is linked to person 120
    assert again["302"]["action"] == "link"
    assert again["5"]["action"] == "update"
    assert whole["relink"]["counts"]["company"]["processed"] == 5  # every 10th has a parent
    last = whole["migrate last"]["counts"]
    assert last["person"]["created"] == last["company"]["created"] == 0
    assert last["person"]["updated"] == last["company"]["updated"] == 0


def test_a_work_file_with_no_room_stops_the_run_with_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = build(tmp_path / "world")
    full = (*workfile_module.PRAGMAS, "max_page_count = 8")  # a folder with no room left
    monkeypatch.setattr(workfile_module, "PRAGMAS", full)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["migrate", "-c", str(config)])
    assert exit_.value.code == 3
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if "work file" in line]
    assert line.startswith("lockstep: error: the run's work file failed: database or disk is full")
    assert "SQLITE_TMPDIR" in line
    assert "Traceback" not in err
    crm = tables(tmp_path / "world")
    assert len(crm["account"]) == 4 and len(crm["contact"]) == len(MATCHED_PEOPLE)
