"""Standard fields of the built-in objects, as the Object Reference lists them.

Account (Object Reference for the Salesforce Platform, "Account"): ``AccountSource``
is a picklist (Web, Phone Inquiry, Partner Referral, Purchased List, Other);
``Jigsaw`` (Data.com Key) is string(20), createable and updateable;
``JigsawCompanyId`` is string(20) and ``LastActivityDate`` a date, both read-only
(Filter, Group, Nillable, Sort); ``SicDesc`` is string(80). Contact has ``Jigsaw``
and ``LastActivityDate`` alike, and Opportunity ``LastActivityDate``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def fields_of(sf: Salesforce, name: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in getattr(sf, name).describe()["fields"]}


@pytest.mark.parametrize(
    ("name", "kind", "length", "writable"),
    [
        ("AccountSource", "picklist", 255, True),
        ("Jigsaw", "string", 20, True),
        ("JigsawCompanyId", "string", 20, False),
        ("SicDesc", "string", 80, True),
        ("LastActivityDate", "date", 0, False),
    ],
)
def test_account_describes_its_standard_fields(
    sf: Salesforce, name: str, kind: str, length: int, writable: bool
) -> None:
    f = fields_of(sf, "Account")[name]
    assert (f["type"], f["length"], f["nillable"]) == (kind, length, True)
    assert (f["createable"], f["updateable"]) == (writable, writable)


@pytest.mark.parametrize(
    ("obj", "name", "kind", "writable"),
    [
        ("Contact", "Jigsaw", "string", True),
        ("Contact", "LastActivityDate", "date", False),
        ("Opportunity", "LastActivityDate", "date", False),
    ],
)
def test_contact_and_opportunity_share_them(
    sf: Salesforce, obj: str, name: str, kind: str, writable: bool
) -> None:
    f = fields_of(sf, obj)[name]
    assert (f["type"], f["createable"], f["updateable"]) == (kind, writable, writable)


def test_account_source_lists_the_standard_values(sf: Salesforce) -> None:
    values = [p["value"] for p in fields_of(sf, "Account")["AccountSource"]["picklistValues"]]
    assert values == ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]


def test_writable_account_fields_round_trip_and_sort_by_last_activity(sf: Salesforce) -> None:
    site = uuid.uuid4().hex[:12]
    body = {"Name": "Src", "Site": site, "AccountSource": "Web", "Jigsaw": "J-1"}
    body["SicDesc"] = "Mills"
    rid = sf.Account.create(body)["id"]
    record = sf.Account.get(rid)
    assert {k: record[k] for k in body} == body
    assert (record["JigsawCompanyId"], record["LastActivityDate"]) == (None, None)
    rows = sf.query(
        f"SELECT Id, LastActivityDate FROM Account WHERE Site = '{site}' "
        "ORDER BY LastActivityDate DESC NULLS LAST"
    )["records"]
    assert [r["Id"] for r in rows] == [rid]


@pytest.mark.parametrize("name", ["LastActivityDate", "JigsawCompanyId"])
def test_read_only_account_fields_refuse_a_value(sf: Salesforce, name: str) -> None:
    value = "2026-01-02" if name == "LastActivityDate" else "123"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.create({"Name": "RO", name: value})
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
