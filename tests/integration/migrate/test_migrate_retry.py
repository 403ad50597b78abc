"""``lockstep migrate --retry-failed`` redoes the records the last migrate could not
carry, and touches nothing else."""

from __future__ import annotations

import pytest
from migrate_helpers import REFUSED, SOURCE_DUPLICATES, Workspace, by_external_id, employees

from lockstep.ledger import Ledger


def test_retry_failed_touches_only_the_failed_records(ws: Workspace) -> None:
    first = ws.cli("migrate")
    failed = {(r["entity"], r["key"]) for r in first.csv("exceptions.csv")}
    refused_people = employees(int(REFUSED))
    orphans = [p for c in SOURCE_DUPLICATES for p in employees(int(c))]
    assert failed == {("company", REFUSED)} | {("individual", k) for k in refused_people + orphans}
    accounts = by_external_id(ws.sf, "Account", ["SystemModstamp", "Annual_Dues__c"])
    contacts = by_external_id(ws.sf, "Contact", ["SystemModstamp"])
    assert REFUSED not in accounts
    assert not set(refused_people) & set(contacts)

    ws.execute("UPDATE company SET annual_dues = 250 WHERE company_id = :k", k=int(REFUSED))
    ws.execute("UPDATE company SET annual_dues = 999 WHERE company_id = 1")  # not failed
    ws.admin.advance_clock(advance_seconds=5)  # any write from here on moves SystemModstamp
    retry = ws.cli("migrate", "--retry-failed")

    assert retry.counts()["selected"] == len(failed)
    assert retry.counts("company")["selected"] == 1
    assert retry.counts("company")["created"] == 1
    assert retry.counts("individual")["created"] == len(refused_people)
    assert retry.counts("individual")["failed"] == len(orphans)  # their employers: still none
    assert retry.counts()["updated"] == 0
    created = {(r["entity"], r["source_key"]) for r in retry.csv("processed.csv")}
    assert created == {("company", REFUSED)} | {("individual", k) for k in refused_people}

    after_accounts = by_external_id(ws.sf, "Account", ["SystemModstamp", "Annual_Dues__c"])
    after_contacts = by_external_id(ws.sf, "Contact", ["SystemModstamp", "AccountId"])
    assert set(after_accounts) == set(accounts) | {REFUSED}
    assert set(after_contacts) == set(contacts) | set(refused_people)
    assert {k: after_accounts[k] for k in accounts} == accounts  # company 1 too: not retried
    assert {
        k: {f: v for f, v in after_contacts[k].items() if f != "AccountId"} for k in contacts
    } == contacts
    assert after_accounts[REFUSED]["Annual_Dues__c"] == 250
    for person in refused_people:
        assert after_contacts[person]["AccountId"] == after_accounts[REFUSED]["Id"]
    company = ws.rows("company")[REFUSED]
    assert (company["sf_account_id"], company["sync_status"]) == (
        after_accounts[REFUSED]["Id"],
        "Success",
    )


@pytest.mark.parametrize("ams_url", ["sqlite"], indirect=True)
def test_retry_failed_after_a_killed_run_retries_the_last_finished_run(ws: Workspace) -> None:
    first = ws.cli("migrate")
    failed = {(r["entity"], r["key"]) for r in first.csv("exceptions.csv")}
    # What a migrate killed (kill -9) right after it started leaves in the ledger: a run
    # still marked running, that recorded nothing.
    with Ledger.open(ws.ledger_url) as ledger:
        ledger.start_run("migrate", ["company", "individual"])

    ws.execute("UPDATE company SET annual_dues = 250 WHERE company_id = :k", k=int(REFUSED))
    retry = ws.cli("migrate", "--retry-failed")

    assert retry.counts()["selected"] == len(failed)
    assert retry.counts("company")["created"] == 1
    assert by_external_id(ws.sf, "Account", [])[REFUSED]


@pytest.mark.parametrize("ams_url", ["sqlite"], indirect=True)
def test_retry_failed_before_any_migrate_is_refused_and_records_nothing(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    result = ws.cli("migrate", "--retry-failed")
    assert result.code == 2
    assert result.reports is None
    err = capsys.readouterr().err
    assert "--retry-failed: no migrate has finished for company, individual" in err
    with Ledger.open(ws.ledger_url) as ledger:
        assert ledger.last_run("migrate", status=None) is None
