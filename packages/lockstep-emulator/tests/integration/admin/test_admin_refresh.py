"""A sandbox refresh, as clients see it: old ids are 404, old tokens 401, and the same
data is there under new ids with every reference following."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lockstep_emulator.admin_client import AdminClient, AdminRefused
from lockstep_emulator.client import EmulatorInfo, EmulatorProcess
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceResourceNotFound

LoginTo = Callable[[EmulatorInfo], Salesforce]


def test_refresh_reissues_every_id_and_ends_every_session(
    fresh_emulator: EmulatorProcess, login_to: LoginTo
) -> None:
    info = fresh_emulator.info
    sf = login_to(info)
    admin = AdminClient.for_info(info)
    account = sf.Account.create({"Name": "Acme", "External_Id__c": "A-1", "Status__c": "Active"})
    acc = account["id"]
    con = sf.Contact.create(
        {"LastName": "Doe", "AccountId": acc, "External_Id__c": "C-1", "Email": "d@example.com"}
    )["id"]
    contract = sf.Contract__c.create({"Name": "K-1", "Account__c": acc})["id"]
    gone = sf.Account.create({"Name": "Gone", "External_Id__c": "A-2"})["id"]
    sf.Account.delete(gone)
    old_org = sf.query("SELECT Id FROM Organization")["records"][0]["Id"]

    done = admin.refresh()

    assert done["previous_org_id"] == old_org != done["org_id"]
    assert done["org_id"].startswith("00D") and done["records"] >= 6
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")
    with pytest.raises(AdminRefused) as caught:
        admin.stats()
    assert caught.value.status == 401

    after = login_to(info)
    for name, old in (("Account", acc), ("Contact", con), ("Contract__c", contract)):
        with pytest.raises(SalesforceResourceNotFound):
            getattr(after, name).get(old)
    [new_account] = after.query(
        "SELECT Id, Name, Status__c, OwnerId FROM Account WHERE External_Id__c = 'A-1'"
    )["records"]
    new_acc = new_account["Id"]
    assert new_acc != acc and new_acc[:3] == "001" and new_acc[3:5] == done["pod"]
    assert (new_account["Name"], new_account["Status__c"]) == ("Acme", "Active")
    [contact] = after.query(
        "SELECT Id, AccountId, Account.Name, Email FROM Contact WHERE External_Id__c = 'C-1'"
    )["records"]
    assert contact["Id"] != con and contact["AccountId"] == new_acc
    assert contact["Account"]["Name"] == "Acme" and contact["Email"] == "d@example.com"
    [row] = after.query("SELECT Id, Account__c FROM Contract__c WHERE Name = 'K-1'")["records"]
    assert row["Id"] != contract and row["Account__c"] == new_acc
    assert after.query("SELECT Id FROM Organization")["records"][0]["Id"] == done["org_id"]
    user = after.query("SELECT Id FROM User")["records"][0]["Id"]
    assert new_account["OwnerId"] == user

    [recycled] = after.query_all("SELECT Id FROM Account WHERE External_Id__c = 'A-2'", True)[
        "records"
    ]  # the recycle bin came along, under new ids too
    fresh_admin = AdminClient.for_info(info)
    assert fresh_admin.undelete([recycled["Id"]])[0]["success"] is True
    assert after.Account.get(recycled["Id"])["Name"] == "Gone"
    after.Account.upsert("External_Id__c/A-1", {"Name": "Acme again"})
    assert after.Account.get(new_acc)["Name"] == "Acme again"
