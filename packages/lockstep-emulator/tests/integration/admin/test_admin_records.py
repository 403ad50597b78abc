"""Undelete, reset and seeding through the admin API, checked with simple-salesforce."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lockstep_emulator.admin_client import AdminClient, AdminRefused
from lockstep_emulator.client import EmulatorInfo, EmulatorProcess
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound

Login = Callable[[], Salesforce]
LoginTo = Callable[[EmulatorInfo], Salesforce]


def test_undelete_restores_records_and_reports_each_id(admin: AdminClient, login: Login) -> None:
    sf = login()
    binned = sf.Account.create({"Name": "Binned"})["id"]
    live = sf.Account.create({"Name": "Live"})["id"]
    sf.Account.delete(binned)
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(binned)
    results = admin.undelete([binned[:15], live, "001000000000000", "nonsense"])
    assert results[0] == {"id": binned, "success": True, "errors": []}
    assert [r["success"] for r in results] == [True, False, False, False]
    assert results[1]["errors"][0]["statusCode"] == "UNDELETE_FAILED"
    assert results[2]["errors"][0]["statusCode"] == "NOT_FOUND"
    assert sf.Account.get(binned)["Name"] == "Binned"


def test_seed_json_creates_records_in_order_all_or_nothing(
    admin: AdminClient, login: Login
) -> None:
    sf = login()
    parent = sf.Account.create({"Name": "Seed parent"})["id"]
    done = admin.seed(
        {
            "Account": [{"Name": "Seeded 1", "External_Id__c": "seed-1"}, {"Name": "Seeded 2"}],
            "Contact": [{"LastName": "Seeded", "AccountId": parent, "Email": "s@example.com"}],
        }
    )
    assert done["created"] == 3
    assert [i[:3] for i in done["ids"]["Account"]] == ["001", "001"]
    [contact] = done["ids"]["Contact"]
    assert sf.Contact.get(contact)["AccountId"] == parent
    assert sf.Account.get_by_custom_id("External_Id__c", "seed-1")["Name"] == "Seeded 1"

    with pytest.raises(AdminRefused) as caught:
        admin.seed(
            {
                "Account": [{"Name": "Never kept"}, {"NumberOfEmployees": 3}],
                "Nope__c": [{}],
                "Contact": [{"LastName": "x", "Bogus__c": 1}],
            }
        )
    assert caught.value.status == 400
    assert caught.value.message == (
        "REQUIRED_FIELD_MISSING: Account[1].Name: Required fields are missing: [Name]; "
        "INVALID_TYPE: Nope__c: no object named Nope__c; "
        "INVALID_FIELD: Contact[0].Bogus__c: No such column 'Bogus__c' on sobject of type Contact"
    )
    assert sf.query("SELECT COUNT() FROM Account WHERE Name = 'Never kept'")["totalSize"] == 0


def test_seed_csv_creates_one_object(admin: AdminClient, login: Login) -> None:
    text = (
        b"Name,Industry,NumberOfEmployees,External_Id__c\nCsv A,Banking,10,csv-a\nCsv B,,,csv-b\n"
    )
    done = admin.seed_csv("Account", text)
    assert done["created"] == 2
    sf = login()
    a = sf.Account.get_by_custom_id("External_Id__c", "csv-a")
    b = sf.Account.get_by_custom_id("External_Id__c", "csv-b")
    assert (a["Industry"], a["NumberOfEmployees"]) == ("Banking", 10)
    assert (b["Industry"], b["NumberOfEmployees"]) == (None, None)
    with pytest.raises(AdminRefused, match="line 2: 1 values for 2 columns"):
        admin.seed_csv("Account", b"Name,Industry\nOnly one\n")
    with pytest.raises(AdminRefused, match=r"object: a CSV seed needs \?object="):
        admin.call("POST", "seed", csv=b"Name\nx\n")


def test_reset_wipes_the_data_but_keeps_the_org_and_the_login(
    fresh_emulator: EmulatorProcess, login_to: LoginTo
) -> None:
    info = fresh_emulator.info
    sf = login_to(info)
    account = sf.Account.create({"Name": "Wiped"})["id"]
    sf.Contact.create({"LastName": "Wiped", "AccountId": account})
    sf.Account.delete(sf.Account.create({"Name": "Binned"})["id"])
    org = sf.query("SELECT Id FROM Organization")["records"][0]["Id"]
    admin = AdminClient.for_info(info)
    assert admin.reset() == {"deleted": 3}  # the recycle bin counts too
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0  # same token still works
    assert sf.query_all("SELECT Id FROM Account", include_deleted=True)["records"] == []
    assert sf.query("SELECT Id FROM Organization")["records"][0]["Id"] == org
    assert sf.query("SELECT COUNT() FROM User")["totalSize"] == 1
    assert sf.query("SELECT COUNT() FROM Pricebook2 WHERE IsStandard = true")["totalSize"] == 1
    again = sf.Account.create({"Name": "After"})["id"]
    assert again != account  # ids are never handed out twice
