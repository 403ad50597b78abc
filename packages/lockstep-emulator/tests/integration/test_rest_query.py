"""SOQL over HTTPS through simple-salesforce: paging, queryAll, errors, and the
daily request allocation running out."""

from __future__ import annotations

import threading
import uuid

import pytest
from lockstep_emulator.client import EmulatorInfo, connect, start_emulator
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceRefusedRequest


@pytest.fixture(scope="module")
def tagged(emulator: EmulatorInfo) -> tuple[str, list[str]]:
    """450 Accounts sharing a Site tag, created through Collections."""
    sf = connect(emulator)
    tag = "page-" + uuid.uuid4().hex[:8]
    ids: list[str] = []
    for start in range(0, 450, 200):
        records = [
            {"attributes": {"type": "Account"}, "Name": f"{tag}-{i:04d}", "Site": tag}
            for i in range(start, min(start + 200, 450))
        ]
        ids += [
            r["id"]
            for r in sf.restful("composite/sobjects", method="POST", json={"records": records})
        ]
    return tag, ids


def test_paging_follows_root_relative_next_records_url(
    sf: Salesforce, tagged: tuple[str, list[str]]
) -> None:
    tag, ids = tagged
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    try:
        page = sf.query(f"SELECT Id, Name FROM Account WHERE Site = '{tag}' ORDER BY Name")
        sizes, seen = [len(page["records"])], [r["Id"] for r in page["records"]]
        assert page["totalSize"] == 450 and page["done"] is False
        while not page["done"]:
            url = page["nextRecordsUrl"]
            assert url.startswith(f"/services/data/v{sf.sf_version}/query/01g")
            page = sf.query_more(url, identifier_is_url=True)
            sizes.append(len(page["records"]))
            seen += [r["Id"] for r in page["records"]]
            assert page["totalSize"] == 450
    finally:
        del sf.headers["Sforce-Query-Options"]
    assert sizes == [200, 200, 50]
    assert seen == ids  # names sort in creation order
    assert "nextRecordsUrl" not in page


def test_batch_size_is_clamped_and_default_is_2000(
    sf: Salesforce, tagged: tuple[str, list[str]]
) -> None:
    tag, _ = tagged
    sf.headers["Sforce-Query-Options"] = "batchSize=10"
    try:
        first = sf.query(f"SELECT Id FROM Account WHERE Site = '{tag}'")
    finally:
        del sf.headers["Sforce-Query-Options"]
    assert len(first["records"]) == 200
    assert len(sf.query(f"SELECT Id FROM Account WHERE Site = '{tag}'")["records"]) == 450
    assert len(list(sf.query_all_iter(f"SELECT Id FROM Account WHERE Site = '{tag}'"))) == 450


def test_query_all_sees_the_recycle_bin(sf: Salesforce) -> None:
    rid = sf.Account.create({"Name": "binned-" + uuid.uuid4().hex[:6]})["id"]
    sf.Account.delete(rid)
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{rid}'"
    assert sf.query(soql)["totalSize"] == 0
    rows = sf.query(soql, include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in rows] == [(rid, True)]


def test_bad_soql_names_where(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FORM Account")
    error = caught.value.content[0]
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert "Row:1:Column:" in error["message"] and "FORM" in error["message"]


@pytest.mark.parametrize(
    ("soql", "code", "needle"),
    [
        ("SELECT Nope__c FROM Account", "INVALID_FIELD", "Nope__c"),
        ("SELECT Id FROM Nope__c", "INVALID_TYPE", "Nope__c"),
        ("SELECT Id, Bogus__r.Name FROM Contact", "INVALID_FIELD", "Bogus__r"),
        (
            "SELECT Id FROM Account WHERE Name = 'x' AND Site = 'y' OR Phone = 'z'",
            "MALFORMED_QUERY",
            "Row:1",
        ),
    ],
)
def test_query_errors(sf: Salesforce, soql: str, code: str, needle: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    assert caught.value.content[0]["errorCode"] == code
    assert needle in caught.value.content[0]["message"]


def test_unknown_locator_is_invalid_query_locator(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more("01gAAAAAAAAAAAA-2000")
    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_relationships_subqueries_and_aggregates(sf: Salesforce) -> None:
    tag = "rel-" + uuid.uuid4().hex[:8]
    account = sf.Account.create({"Name": tag, "Industry": "Energy", "Site": tag})["id"]
    for last in ("Ames", "Bell"):
        sf.Contact.create({"LastName": last, "AccountId": account})
    row = sf.query(
        f"SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account "
        f"WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName = 'Bell') AND Site = '{tag}'"
    )["records"][0]
    assert [c["LastName"] for c in row["Contacts"]["records"]] == ["Ames", "Bell"]
    contact = sf.query(
        f"SELECT LastName, Account.Name, Account.Owner.Username FROM Contact "
        f"WHERE AccountId = '{account}' ORDER BY LastName DESC LIMIT 1"
    )["records"][0]
    assert contact["LastName"] == "Bell" and contact["Account"]["Name"] == tag
    assert "@" in contact["Account"]["Owner"]["Username"]
    grouped = sf.query(
        f"SELECT Account.Name, COUNT(Id) FROM Contact WHERE Account.Site = '{tag}' "
        f"GROUP BY Account.Name"
    )["records"]
    assert grouped == [{"attributes": {"type": "AggregateResult"}, "Name": tag, "expr0": 2}]


def test_exhausted_daily_allocation_is_403() -> None:
    with start_emulator("--daily-api-limit", "5") as process:
        sf = connect(process.info)
        for _ in range(5):
            sf.query("SELECT COUNT() FROM Account")
        with pytest.raises(SalesforceRefusedRequest) as caught:
            sf.query("SELECT COUNT() FROM Account")
        assert caught.value.status == 403
        assert caught.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
        assert sf.api_usage["api-usage"].used == 5


def test_concurrent_paging_returns_every_row_exactly_once(
    emulator: EmulatorInfo, tagged: tuple[str, list[str]]
) -> None:
    """Paged queries on several connections at once, each read to the end straight
    away: the server's read-ahead must never skip, repeat or corrupt a page."""
    tag, ids = tagged
    failures: list[str] = []

    def page_through(worker: int) -> None:
        sf = connect(emulator)
        sf.headers["Sforce-Query-Options"] = "batchSize=200"
        for round_ in range(6):
            try:
                got = [
                    r["Id"]
                    for r in sf.query_all_iter(
                        f"SELECT Id FROM Account WHERE Site = '{tag}' ORDER BY Name"
                    )
                ]
            except Exception as exc:  # collected and asserted below
                failures.append(f"worker {worker} round {round_}: {exc!r}")
                return
            if got != ids:
                failures.append(f"worker {worker} round {round_}: {len(got)} rows, not in order")

    threads = [threading.Thread(target=page_through, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_explain_answers_one_table_scan_plan(sf: Salesforce) -> None:
    """Query Performance Feedback: ``{"plans": [{cardinality, fields, leadingOperationType,
    notes, relativeCost, sobjectCardinality, sobjectType}]}``."""
    site = "x-" + uuid.uuid4().hex[:10]
    for n in range(3):
        sf.Account.create({"Name": f"E{n}", "Site": site})
    soql = f"SELECT Id FROM Account WHERE Site = '{site}' AND Name != 'E0'"
    reply = sf.restful("query", params={"explain": soql})
    [plan] = reply["plans"]
    total = sf.query("SELECT COUNT() FROM Account")["totalSize"]
    assert plan == {
        "cardinality": 2,
        "fields": [],
        "leadingOperationType": "TableScan",
        "notes": [],
        "relativeCost": round(2 / total, 4),
        "sobjectCardinality": total,
        "sobjectType": "Account",
    }


@pytest.mark.parametrize(
    ("explain", "code"),
    [
        ("SELECT Id FROM", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
        ("00O000000000001", "INVALID_ID"),
    ],
)
def test_explain_refuses_what_query_refuses(sf: Salesforce, explain: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("query", params={"explain": explain})
    assert caught.value.content[0]["errorCode"] == code
