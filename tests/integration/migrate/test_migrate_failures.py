"""Bad input and bad systems: each failure is reported where a person finds it, the
rest goes through, and the exit code says which kind of run it was."""

from __future__ import annotations

import json
import socket

import pytest
from migrate_helpers import (
    REFUSED,
    SHARED_EMAIL,
    SOURCE_DUPLICATES,
    Workspace,
    employees,
    write_config,
)

from tests.support.looks import count


def test_refused_records_and_missing_parents_are_exceptions_the_rest_goes_through(
    ws: Workspace,
) -> None:
    result = ws.cli("migrate")

    assert result.code == 1
    rows = {(r["entity"], r["key"]): r for r in result.csv("exceptions.csv")}
    refused = rows[("company", REFUSED)]
    assert refused["system"] == "crm"
    assert refused["error_code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert refused["message"] == "Annual dues cannot be negative."
    for company in (REFUSED, *SOURCE_DUPLICATES):
        for person in employees(int(company)):
            row = rows[("individual", person)]
            assert row["error_code"] == "MISSING_PARENT"
            assert f"company {company}" in row["message"]
    people = [p for c in (REFUSED, *SOURCE_DUPLICATES) for p in employees(int(c))]
    assert len(people) == 3 + 4 + 4
    assert len(rows) == 1 + len(people)  # nothing else failed
    assert result.counts("company")["failed"] == 1
    assert result.counts("individual")["failed"] == 11
    assert count(ws.sf, "Account") == 60 - 3 == result.counts("company")["created"]
    assert count(ws.sf, "Contact") == 200 - 2 - 11 == result.counts("individual")["created"]
    companies = ws.rows("company")
    assert companies[REFUSED]["sync_status"] == "Failed"
    assert companies[REFUSED]["sf_account_id"] is None
    assert all(
        r["sync_status"] == "Success"
        for k, r in companies.items()
        if k not in {REFUSED, *SOURCE_DUPLICATES}
    )


@pytest.mark.parametrize("ams_url", ["sqlite"], indirect=True)
def test_a_record_refused_in_a_bulk_job_is_reported_with_the_job_id(ws: Workspace) -> None:
    write_config(ws.directory, ws.info, ws.sql_url, bulk_threshold=10)  # Bulk API 2.0

    result = ws.cli("migrate")

    assert result.code == 1
    [refused] = [r for r in result.csv("exceptions.csv") if r["entity"] == "company"]
    assert (refused["key"], refused["error_code"]) == (REFUSED, "FIELD_CUSTOM_VALIDATION_EXCEPTION")
    assert refused["message"] == "Annual dues cannot be negative."
    assert refused["bulk_job_id"].startswith("750")  # a Bulk job's id, to look it up by
    stats = ws.admin.stats()
    assert any(
        route.startswith("POST /services/data/v{version}/jobs/ingest")
        for route in stats["by_route"]
    )
    assert count(ws.sf, "Account") == 57
    assert count(ws.sf, "Contact") == 187


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("ams_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("down", ["crm", "ams"])
def test_an_unreachable_system_stops_the_run_before_anything_is_recorded(
    ws: Workspace, down: str, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()

    def take_down() -> None:
        if down == "crm":
            url = f"https://127.0.0.1:{port}"
            write_config(ws.directory, ws.info, ws.sql_url, login_url=url)
        else:
            write_config(ws.directory, ws.info, f"mysql+pymysql://root@127.0.0.1:{port}/ams")

    take_down()
    before = ws.rows("company"), ws.rows("individual")

    for command in ("plan", "migrate"):
        result = ws.cli(command)

        assert result.code == 3, command
        err = capsys.readouterr().err
        assert f"{down}:" in err
        assert "Traceback" not in err
        assert result.summary is None
    # checked before anything is recorded: not even the ledger or the reports exist
    assert not (ws.directory / "ledger.db").exists()
    assert not ws.reports.exists()
    assert (ws.rows("company"), ws.rows("individual")) == before
    assert count(ws.sf, "Account") == count(ws.sf, "Contact") == 0

    # After a migrate, relink is allowed to run: it too stops before recording a thing.
    write_config(ws.directory, ws.info, ws.sql_url)
    assert ws.cli("migrate").code == 1
    runs, links = ws.table_count("ls_runs"), ws.table_count("ls_xrefs")
    reports = sorted(ws.reports.iterdir())
    take_down()
    relink = ws.cli("relink")

    assert relink.code == 3
    assert f"{down}:" in capsys.readouterr().err
    assert (ws.table_count("ls_runs"), ws.table_count("ls_xrefs")) == (runs, links)
    assert sorted(ws.reports.iterdir()) == reports


@pytest.mark.parametrize("ams_url", ["sqlite"], indirect=True)
def test_exit_codes_say_whether_records_failed(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ws.cli("plan").code == 0  # a plan fails no record, even with flaws ahead
    capsys.readouterr()

    # Without its flaws (a distinct company 8, positive dues for 13, an e-mail of
    # 22's own) the data migrates cleanly.
    ws.execute("UPDATE company SET company_name = 'Another 8' WHERE company_id = 8")
    ws.execute(f"UPDATE company SET annual_dues = 10 WHERE company_id = {REFUSED}")
    ws.execute(
        "UPDATE individual SET email = 'own22@members.example.org' WHERE customer_id = :k",
        k=int(SHARED_EMAIL[1]),
    )
    clean = ws.cli("migrate", "--json")

    assert clean.code == 0
    assert json.loads(capsys.readouterr().out) == clean.summary
    assert clean.counts()["failed"] == 0
    assert clean.counts()["created"] == 260

    ws.execute("UPDATE company SET annual_dues = -1 WHERE company_id = 1")
    dirty = ws.cli("migrate")

    assert dirty.code == 1
    assert dirty.counts()["failed"] == 1
    assert dirty.csv("exceptions.csv")[0]["error_code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
