"""Records that cannot be told apart are reported in duplicates.csv and not created."""

from __future__ import annotations

from migrate_helpers import SHARED_EMAIL, SOURCE_DUPLICATES, Workspace, quoted

from tests.support.looks import count, soql


def test_source_and_target_duplicates_are_reported_and_not_created(ws: Workspace) -> None:
    # Two Accounts already in the org match company 5 (Litware Traders 5, Leeds).
    assert ws.rows("company")["5"]["company_name"] == "Litware Traders 5"
    twins = sorted(
        ws.sf.Account.create({"Name": name, "BillingCity": "Leeds"})["id"]
        for name in ("Litware Traders 5", "LITWARE  traders 5")
    )

    result = ws.cli("migrate")

    groups = {(r["entity"], r["kind"]): r for r in result.csv("duplicates.csv")}
    assert len(groups) == len(result.csv("duplicates.csv")) == 3
    source_companies = groups[("company", "source_duplicates")]
    assert source_companies["source_keys"].split(";") == list(SOURCE_DUPLICATES)
    source_people = groups[("individual", "source_duplicates")]
    assert source_people["source_keys"].split(";") == list(SHARED_EMAIL)
    target = groups[("company", "target_matches")]
    assert target["source_keys"] == "5"
    assert sorted(target["candidates"].split(";")) == twins

    assert result.counts("company")["duplicates"] == 3
    assert result.counts("individual")["duplicates"] == 2
    assert count(ws.sf, "Account", f"External_Id__c IN ({quoted([*SOURCE_DUPLICATES, '5'])})") == 0
    assert count(ws.sf, "Contact", f"External_Id__c IN ({quoted(SHARED_EMAIL)})") == 0
    assert count(ws.sf, "Contact", "Email = 'person21@members.example.org'") == 0
    # The two candidates are left as they were: neither linked nor stamped.
    for twin in soql(
        ws.sf,
        "SELECT Id, External_Id__c, Global_Customer_Id__c FROM Account "
        f"WHERE Id IN ({quoted(twins)})",
    ):
        assert (twin["External_Id__c"], twin["Global_Customer_Id__c"]) == (None, None)
    companies, individuals = ws.rows("company"), ws.rows("individual")
    for key in [*SOURCE_DUPLICATES, "5"]:
        assert (companies[key]["sf_account_id"], companies[key]["global_id"]) == (None, None)
    for key in SHARED_EMAIL:
        assert individuals[key]["sf_contact_id"] is None
    assert count(ws.sf, "Account") == 60 - 4 + 2  # 7, 8, 5 and the refused 13; the twins
