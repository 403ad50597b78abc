"""sObject REST through the unmodified simple-salesforce client, over HTTPS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)


def ext() -> str:
    return "X-" + uuid.uuid4().hex[:12]


def test_create_get_update_delete(sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Acme", "NumberOfEmployees": 12})
    assert created["success"] is True and created["errors"] == []
    rid = created["id"]
    assert len(rid) == 18 and rid.startswith("001")

    record = sf.Account.get(rid)
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v{sf.sf_version}/sobjects/Account/{rid}",
    }
    assert record["Name"] == "Acme"
    assert record["NumberOfEmployees"] == 12
    assert record["IsDeleted"] is False

    assert sf.Account.update(rid, {"Name": "Acme Corp"}) == 204
    assert sf.Account.get(rid)["Name"] == "Acme Corp"
    assert sf.Account.get(rid[:15])["Id"] == rid

    assert sf.Account.delete(rid) == 204
    with pytest.raises(SalesforceResourceNotFound) as gone:
        sf.Account.get(rid)
    assert gone.value.content[0]["errorCode"] == "NOT_FOUND"


def test_writing_a_deleted_record_says_entity_is_deleted(sf: Salesforce) -> None:
    rid = sf.Account.create({"Name": "Doomed"})["id"]
    sf.Account.delete(rid)
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.update(rid, {"Name": "zombie"})
    assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.delete(rid)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"FirstName": "NoLast"}, "REQUIRED_FIELD_MISSING", "LastName"),
        ({"LastName": "x", "Nope__c": 1}, "INVALID_FIELD", "Nope__c"),
        ({"LastName": "x", "Email": "nope"}, "INVALID_EMAIL_ADDRESS", "Email"),
        (
            {"LastName": "x", "AccountId": "001000000000000AAA"},
            "INVALID_CROSS_REFERENCE_KEY",
            "AccountId",
        ),
        ({"LastName": "x" * 81}, "STRING_TOO_LONG", "LastName"),
    ],
)
def test_validation_failures_are_400_lists(
    sf: Salesforce, body: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Contact.create(body)
    error = caught.value.content[0]
    assert caught.value.status == 400
    assert error["errorCode"] == code
    assert field in error["fields"]
    assert error["message"]


def test_restricted_picklist_and_unknown_object(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Case.create({"Status": "Exploded"})
    assert caught.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.Nope__c.create({"Name": "x"})
    assert missing.value.content[0]["errorCode"] == "NOT_FOUND"


def test_get_with_field_list(sf: Salesforce) -> None:
    rid = sf.Contact.create({"FirstName": "Grace", "LastName": "Hopper"})["id"]
    got = sf.Contact.get(rid, params={"fields": "Name,LastName"})
    assert set(got) == {"attributes", "Name", "LastName"}
    assert got["Name"] == "Grace Hopper"


def test_upsert_by_external_id_statuses(sf: Salesforce) -> None:
    key = ext()
    assert sf.Account.upsert(f"External_Id__c/{key}", {"Name": "First"}) == 201
    assert sf.Account.upsert(f"External_Id__c/{key}", {"Name": "Second"}) == 200
    found = sf.Account.get_by_custom_id("External_Id__c", key)
    assert found["Name"] == "Second" and found["External_Id__c"] == key


def test_upsert_response_bodies_follow_the_api_version(sf: Salesforce, emulator: Any) -> None:
    key = ext()
    url = f"{emulator.instance_url}/services/data/v{{v}}/sobjects/Account/External_Id__c/{key}"
    headers = {"Authorization": f"Bearer {sf.session_id}", "Content-Type": "application/json"}

    def patch(version: str, name: str) -> requests.Response:
        return sf.session.patch(url.format(v=version), json={"Name": name}, headers=headers)

    first = patch("59.0", "a")
    assert first.status_code == 201
    assert first.json() == {
        "id": first.json()["id"],
        "success": True,
        "errors": [],
        "created": True,
    }
    modern = patch("46.0", "b")
    assert modern.status_code == 200 and modern.json()["created"] is False
    legacy = patch("45.0", "c")
    assert legacy.status_code == 204 and legacy.content == b""


def test_upsert_with_several_matches_answers_300(sf: Salesforce) -> None:
    key = ext()
    sf.Contact.create({"LastName": "a", "External_Id__c": key})
    sf.Contact.create({"LastName": "b", "External_Id__c": key})
    with pytest.raises(SalesforceMoreThanOneRecord) as caught:
        sf.Contact.upsert(f"External_Id__c/{key}", {"LastName": "c"})
    assert caught.value.status == 300
    assert len(caught.value.content) == 2
    assert all("/sobjects/Contact/003" in url for url in caught.value.content)


def test_upsert_on_unknown_field_is_404(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.upsert("Nope__c/1", {"Name": "x"})
    assert caught.value.content[0]["errorCode"] == "NOT_FOUND"


def test_duplicate_external_id_on_unique_field(sf: Salesforce) -> None:
    key = ext()
    first = sf.Account.create({"Name": "One", "External_Id__c": key})["id"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.create({"Name": "Two", "External_Id__c": key})
    error = caught.value.content[0]
    assert error["errorCode"] == "DUPLICATE_VALUE"
    assert first in error["message"]


def test_get_by_external_id_with_space(sf: Salesforce) -> None:
    key = "with space " + uuid.uuid4().hex[:6]
    sf.Account.create({"Name": "Spaced", "External_Id__c": key})
    assert sf.Account.get_by_custom_id("External_Id__c", key)["Name"] == "Spaced"


def test_updated_and_deleted_windows_cover_whole_minutes(sf: Salesforce) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    kept = sf.Account.create({"Name": "kept"})["id"]
    gone = sf.Account.create({"Name": "gone"})["id"]
    sf.Account.delete(gone)
    end = datetime.now(UTC) + timedelta(minutes=2)

    updated = sf.Account.updated(start, end)
    covered = updated["latestDateCovered"]
    assert covered.endswith(":00.000+0000")  # seconds are ignored
    assert covered <= datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.999+0000")
    stamp = sf.Account.get(kept)["SystemModstamp"]
    assert (kept in updated["ids"]) == (stamp < covered)
    assert gone not in updated["ids"]

    deleted = sf.Account.deleted(start, end)
    gone_stamp = sf.query(
        f"SELECT SystemModstamp FROM Account WHERE Id = '{gone}'", include_deleted=True
    )
    deleted_at = gone_stamp["records"][0]["SystemModstamp"]
    listed = [d["id"] for d in deleted["deletedRecords"]]
    assert (gone in listed) == (deleted_at < deleted["latestDateCovered"])
    assert deleted["earliestDateAvailable"] < deleted["latestDateCovered"]


def test_replication_windows_are_checked(sf: Salesforce) -> None:
    now = datetime.now(UTC)
    with pytest.raises(SalesforceMalformedRequest) as too_old:
        sf.Account.updated(now - timedelta(days=31), now)
    assert too_old.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    with pytest.raises(SalesforceMalformedRequest) as backwards:
        sf.Account.deleted(now, now - timedelta(hours=1))
    assert backwards.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_describe_shapes(sf: Salesforce) -> None:
    everything = sf.describe()
    assert everything["maxBatchSize"] == 200
    names = {o["name"]: o for o in everything["sobjects"]}
    assert {"Account", "Contact", "Case", "Usage__c", "Organization"} <= set(names)
    assert names["Account"]["keyPrefix"] == "001"
    assert names["Usage__c"]["custom"] is True

    contact = sf.Contact.describe()
    fields = {f["name"]: f for f in contact["fields"]}
    assert fields["AccountId"]["type"] == "reference"
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["AccountId"]["relationshipName"] == "Account"
    assert fields["External_Id__c"]["externalId"] is True
    assert fields["Email"]["type"] == "email"

    usage = {f["name"]: f for f in sf.Usage__c.describe()["fields"]}
    assert usage["Contract__c"]["cascadeDelete"] is True
    contract = sf.Contract__c.describe()
    assert {"Usages__r"} <= {r["relationshipName"] for r in contract["childRelationships"]}
    rollup = {f["name"]: f for f in contract["fields"]}["Units_Consumed__c"]
    assert rollup["calculated"] is True and rollup["createable"] is False

    meta = sf.Account.metadata()
    assert meta["objectDescribe"]["name"] == "Account"


def test_rollup_summaries_follow_children(sf: Salesforce) -> None:
    contract = sf.Contract__c.create({"Name": "C-1", "Status__c": "Active"})["id"]
    for units in (2.5, 4.0):
        sf.Usage__c.create({"Contract__c": contract, "Units__c": units})
    got = sf.Contract__c.get(contract)
    assert got["Units_Consumed__c"] == 6.5
    assert got["Usage_Count__c"] == 2
    sf.Contract__c.delete(contract)
    assert (
        sf.query(f"SELECT COUNT() FROM Usage__c WHERE Contract__c = '{contract}'")["totalSize"] == 0
    )
