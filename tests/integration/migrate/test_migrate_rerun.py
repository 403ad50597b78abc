"""A second ``lockstep migrate`` over migrated data is a no-op: reads, no writes."""

from __future__ import annotations

from migrate_helpers import REFUSED, Workspace, by_external_id, org_calls

from tests.support.looks import count, data_writes


def test_a_second_migrate_writes_nothing(ws: Workspace) -> None:
    # Every record that can be migrated is (company 13 would be refused, and retried by
    # every run: this test is about records that made it).
    ws.execute("UPDATE company SET annual_dues = 100 WHERE company_id = :k", k=int(REFUSED))

    ws.admin.reset_stats()
    first = ws.cli("migrate")
    first_stats = ws.admin.stats()
    accounts = by_external_id(ws.sf, "Account", ["SystemModstamp"])
    contacts = by_external_id(ws.sf, "Contact", ["SystemModstamp"])
    companies, individuals = ws.rows("company"), ws.rows("individual")

    ws.admin.reset_stats()
    second = ws.cli("migrate")
    second_stats = ws.admin.stats()

    assert first.counts()["created"] == len(accounts) + len(contacts) == 58 + 190
    assert data_writes(first_stats) != {}
    assert first.summary is not None and second.summary is not None
    assert first.summary["api_calls"]["crm"] == org_calls(first_stats)

    assert second.counts()["created"] == 0
    assert second.counts()["updated"] == 0
    assert second.counts()["matched"] == 0
    assert second.counts()["unchanged"] == 58 + 190
    assert data_writes(second_stats) == {}
    assert second.summary["api_calls"]["crm"] == org_calls(second_stats)
    # The first run's calls less its writes: the same reads, nothing more.
    writes = sum(data_writes(first_stats).values())
    assert second.summary["api_calls"]["crm"] == first.summary["api_calls"]["crm"] - writes
    assert count(ws.sf, "Account") == len(accounts)
    assert count(ws.sf, "Contact") == len(contacts)
    assert by_external_id(ws.sf, "Account", ["SystemModstamp"]) == accounts
    assert by_external_id(ws.sf, "Contact", ["SystemModstamp"]) == contacts
    assert ws.rows("company") == companies  # nothing written back twice
    assert ws.rows("individual") == individuals
    # A no-op migrate costs what a plan costs, in both systems: it only read.
    plan = ws.cli("plan")
    assert plan.summary is not None
    assert second.summary["api_calls"] == plan.summary["api_calls"]


def test_a_rerun_completes_write_backs_a_killed_run_left_undone(ws: Workspace) -> None:
    ws.execute("UPDATE company SET annual_dues = 100 WHERE company_id = :k", k=int(REFUSED))
    ws.cli("migrate")
    companies, individuals = ws.rows("company"), ws.rows("individual")
    # A run killed after Salesforce and the ledger took the records, before the AMS got
    # their ids back.
    ws.execute(
        "UPDATE company SET sf_account_id = NULL, global_id = NULL, sync_status = NULL "
        "WHERE company_id <= 30"
    )
    ws.execute("UPDATE individual SET sf_contact_id = NULL, sync_status = NULL")

    ws.admin.reset_stats()
    rerun = ws.cli("migrate")

    assert data_writes(ws.admin.stats()) == {}
    assert rerun.counts()["created"] == rerun.counts()["updated"] == 0
    assert ws.rows("company") == companies
    assert ws.rows("individual") == individuals
