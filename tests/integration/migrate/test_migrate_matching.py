"""Matching: a company already in Salesforce is linked, not created again."""

from __future__ import annotations

from migrate_helpers import PRE_EXISTING, Workspace, by_external_id

from tests.support.looks import count, soql


def test_a_pre_existing_account_is_linked_not_duplicated(ws: Workspace) -> None:
    company = ws.rows("company")[PRE_EXISTING]
    assert (company["company_name"], company["city"]) == ("Tailspin Traders 3", "Porto")
    made = ws.sf.Account.create({"Name": "  tailspin   TRADERS 3 ", "BillingCity": "PORTO "})

    result = ws.cli("migrate")

    assert result.counts("company")["matched"] == 1
    assert result.counts("company")["created"] == 56  # 60 less 7, 8 (duplicates) and 13 and 3
    [linked] = [r for r in result.csv("processed.csv") if r["action"] == "link"]
    assert (linked["entity"], linked["source_key"], linked["target_key"]) == (
        "company",
        PRE_EXISTING,
        made["id"],
    )
    account = ws.sf.Account.get(made["id"])
    company = ws.rows("company")[PRE_EXISTING]
    assert company["global_id"]
    assert account["Global_Customer_Id__c"] == company["global_id"]
    assert account["External_Id__c"] == PRE_EXISTING
    assert account["Name"] == "Tailspin Traders 3"  # the AMS owns the name: made to agree
    assert company["sf_account_id"] == made["id"]
    assert company["sync_status"] == "Success"
    assert count(ws.sf, "Account", "Name LIKE '%tailspin%traders 3%'") == 1
    assert count(ws.sf, "Account") == 57
    assert by_external_id(ws.sf, "Account", [])[PRE_EXISTING]["Id"] == made["id"]
    # Its people are Contacts of that Account.
    employed = soql(ws.sf, f"SELECT External_Id__c FROM Contact WHERE AccountId = '{made['id']}'")
    assert sorted(int(r["External_Id__c"]) for r in employed) == [
        int(k)
        for k, row in sorted(ws.rows("individual").items(), key=lambda kv: int(kv[0]))
        if row["employer_id"] == PRE_EXISTING
    ]
