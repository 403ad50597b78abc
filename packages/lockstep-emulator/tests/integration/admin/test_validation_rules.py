"""Validation rules from the schema file (``admin_schema.yaml``), as clients meet them:
FIELD_CUSTOM_VALIDATION_EXCEPTION from single-record calls and per record in
sObject Collections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

Login = Callable[[], Salesforce]
EMPLOYEES = {
    "message": "Employees cannot be negative.",
    "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    "fields": ["NumberOfEmployees"],
}


def refused(call: Callable[[], Any]) -> list[dict[str, Any]]:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        call()
    content: list[dict[str, Any]] = caught.value.content
    return content


def test_a_rule_refuses_creates_and_updates(login: Login) -> None:
    sf = login()
    assert refused(lambda: sf.Account.create({"Name": "Bad", "NumberOfEmployees": -1})) == [
        EMPLOYEES
    ]
    rid = sf.Account.create({"Name": "Good", "NumberOfEmployees": 5})["id"]
    assert refused(lambda: sf.Account.update(rid, {"NumberOfEmployees": -5})) == [EMPLOYEES]
    assert sf.Account.get(rid)["NumberOfEmployees"] == 5
    sf.Account.update(rid, {"NumberOfEmployees": None})  # blank: the rule does not fire


def test_a_rule_can_look_at_the_parent(login: Login) -> None:
    sf = login()
    active = sf.Account.create({"Name": "Active", "Status__c": "Active"})["id"]
    inactive = sf.Account.create({"Name": "Inactive", "Status__c": "Inactive"})["id"]
    [error] = refused(lambda: sf.Contact.create({"LastName": "Mute", "AccountId": active}))
    assert error == {
        "message": "Contacts of active accounts need an email or a phone.",
        "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "fields": [],
    }
    sf.Contact.create({"LastName": "Mute", "AccountId": inactive})
    sf.Contact.create({"LastName": "Reachable", "AccountId": active, "Phone": "555"})


def test_rules_compare_dates_and_the_stored_row(login: Login) -> None:
    sf = login()
    [error] = refused(lambda: sf.Contract__c.create({"Name": "K", "Status__c": "Active"}))
    assert (error["message"], error["fields"]) == (
        "An active contract needs a start date.",
        ["Starts_On__c"],
    )
    [error] = refused(
        lambda: sf.Contract__c.create(
            {"Name": "K", "Starts_On__c": "2024-05-01", "Ends_On__c": "2024-04-01"}
        )
    )
    assert error["message"] == "A contract cannot end before it starts."
    rid = sf.Contract__c.create({"Name": "K", "Status__c": "Active", "Starts_On__c": "2024-05-01"})[
        "id"
    ]
    [error] = refused(lambda: sf.Contract__c.update(rid, {"Starts_On__c": "2024-06-01"}))
    assert error["message"] == "The start date of an active contract cannot change."
    sf.Contract__c.update(rid, {"Name": "Renamed", "Ends_On__c": "2025-01-01"})


def test_collections_report_the_rule_per_record(login: Login) -> None:
    sf = login()
    records = [
        {"attributes": {"type": "Account"}, "Name": "Fine"},
        {"attributes": {"type": "Account"}, "Name": "Bad", "NumberOfEmployees": -3},
        {"attributes": {"type": "Account"}, "Name": "Also fine"},
    ]
    results = sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": False, "records": records}
    )
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"] == [
        {
            "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "message": "Employees cannot be negative.",
            "fields": ["NumberOfEmployees"],
        }
    ]
