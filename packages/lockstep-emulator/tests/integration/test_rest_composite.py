"""sObject Collections, Composite and Batch, reached through ``restful()`` as real
clients do (simple-salesforce has no methods for them)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def accounts(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"attributes": {"type": "Account"}, "Name": f"Coll {i}", **extra} for i in range(n)]


def test_collection_create_200_in_input_order(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:8]
    records = [
        {"attributes": {"type": "Account"}, "Name": f"{tag}-{i}", "AccountNumber": str(i)}
        for i in range(200)
    ]
    results = sf.restful("composite/sobjects", method="POST", json={"records": records})
    assert len(results) == 200 and all(r["success"] for r in results)
    ids = [r["id"] for r in results]
    got = sf.restful(
        "composite/sobjects/Account", method="POST", json={"ids": ids, "fields": ["AccountNumber"]}
    )
    assert [g["AccountNumber"] for g in got] == [str(i) for i in range(200)]


def test_collection_over_200_is_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("composite/sobjects", method="POST", json={"records": accounts(201)})
    assert caught.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_partial_success_without_all_or_none(sf: Salesforce) -> None:
    records = [*accounts(1), {"attributes": {"type": "Account"}}, *accounts(1)]
    results = sf.restful("composite/sobjects", method="POST", json={"records": records})
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["id"] is None
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert results[1]["errors"][0]["fields"] == ["Name"]


def test_all_or_none_rolls_everything_back(sf: Salesforce) -> None:
    tag = "aon-" + uuid.uuid4().hex[:8]
    records = [*accounts(2, Site=tag), {"attributes": {"type": "Account"}, "Site": tag}]
    results = sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": True, "records": records}
    )
    codes = [r["errors"][0]["statusCode"] for r in results]
    assert codes == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "REQUIRED_FIELD_MISSING",
    ]
    assert sf.query(f"SELECT COUNT() FROM Account WHERE Site = '{tag}'")["totalSize"] == 0


def test_collection_update_upsert_delete(sf: Salesforce) -> None:
    created = sf.restful("composite/sobjects", method="POST", json={"records": accounts(3)})
    ids = [r["id"] for r in created]
    updates = [{"attributes": {"type": "Account"}, "Id": i, "Phone": "42"} for i in ids]
    updated = sf.restful("composite/sobjects", method="PATCH", json={"records": updates})
    assert all(r["success"] for r in updated) and [r["id"] for r in updated] == ids

    key = uuid.uuid4().hex[:8]
    upserts = [
        {"attributes": {"type": "Account"}, "External_Id__c": f"{key}-{i}", "Name": f"U{i}"}
        for i in range(2)
    ]
    first = sf.restful(
        "composite/sobjects/Account/External_Id__c", method="PATCH", json={"records": upserts}
    )
    assert [r["created"] for r in first] == [True, True]
    again = sf.restful(
        "composite/sobjects/Account/External_Id__c", method="PATCH", json={"records": upserts}
    )
    assert [r["created"] for r in again] == [False, False]
    assert [r["id"] for r in again] == [r["id"] for r in first]

    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids)})
    assert all(r["success"] for r in deleted)
    twice = sf.restful("composite/sobjects", method="DELETE", params={"ids": ids[0]})
    assert twice[0]["success"] is False
    assert twice[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_composite_references_and_rollback(sf: Salesforce) -> None:
    tag = uuid.uuid4().hex[:8]
    ok = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"/services/data/v{sf.sf_version}/sobjects/Account",
                    "referenceId": "acct",
                    "body": {"Name": tag},
                },
                {
                    "method": "POST",
                    "url": f"/services/data/v{sf.sf_version}/sobjects/Contact",
                    "referenceId": "ct",
                    "body": {"LastName": tag, "AccountId": "@{acct.id}"},
                },
                {
                    "method": "GET",
                    "url": f"/services/data/v{sf.sf_version}/sobjects/Contact/@{{ct.id}}",
                    "referenceId": "read",
                },
            ],
        },
    )["compositeResponse"]
    assert [r["httpStatusCode"] for r in ok] == [201, 201, 200]
    assert ok[2]["body"]["AccountId"] == ok[0]["body"]["id"]
    assert ok[0]["httpHeaders"]["Location"].endswith(ok[0]["body"]["id"])

    failed = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"/services/data/v{sf.sf_version}/sobjects/Account",
                    "referenceId": "a",
                    "body": {"Name": tag + "-rolled"},
                },
                {
                    "method": "POST",
                    "url": f"/services/data/v{sf.sf_version}/sobjects/Contact",
                    "referenceId": "c",
                    "body": {"FirstName": "no last name"},
                },
            ],
        },
    )["compositeResponse"]
    assert failed[0]["httpStatusCode"] == 400
    assert failed[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert failed[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query(f"SELECT COUNT() FROM Account WHERE Name = '{tag}-rolled'")["totalSize"] == 0


def test_composite_over_25_is_refused(sf: Salesforce) -> None:
    subs = [
        {"method": "GET", "url": f"/services/data/v{sf.sf_version}/limits", "referenceId": f"r{i}"}
        for i in range(26)
    ]
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful("composite", method="POST", json={"compositeRequest": subs})


def test_composite_batch(sf: Salesforce) -> None:
    rid = sf.Account.create({"Name": "Batched"})["id"]
    reply = sf.restful(
        "composite/batch",
        method="POST",
        json={
            "batchRequests": [
                {"method": "GET", "url": f"v{sf.sf_version}/sobjects/Account/{rid}"},
                {"method": "GET", "url": f"v{sf.sf_version}/sobjects/Account/001000000000000AAA"},
                {"method": "GET", "url": f"v{sf.sf_version}/sobjects/Account/describe"},
            ]
        },
    )
    assert reply["hasErrors"] is True
    assert [r["statusCode"] for r in reply["results"]] == [200, 404, 200]
    assert reply["results"][0]["result"]["Name"] == "Batched"


@pytest.mark.parametrize("all_or_none", [False, True])
def test_every_upsert_result_says_whether_it_created(sf: Salesforce, all_or_none: bool) -> None:
    """sObject Collections upsert answers UpsertResults: ``created`` on each, false if failed."""
    key = uuid.uuid4().hex[:8]
    records = [
        {"attributes": {"type": "Account"}, "External_Id__c": f"{key}-ok", "Name": "Fine"},
        {"attributes": {"type": "Account"}, "External_Id__c": f"{key}-bad", "Name": ""},
        {"attributes": {"type": "Account"}, "Name": "No key"},
    ]
    results = sf.restful(
        "composite/sobjects/Account/External_Id__c",
        method="PATCH",
        json={"allOrNone": all_or_none, "records": records},
    )
    assert [r["success"] for r in results] == [not all_or_none, False, False]
    assert [r["created"] for r in results] == [not all_or_none, False, False]
