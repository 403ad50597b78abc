"""Bulk API 2.0 query jobs over HTTPS: CSV shape, paging headers, gzip, queryAll,
and the queries Bulk refuses."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest
from bulk2_helpers import Bulk2Http
from simple_salesforce import Salesforce

WAIT = 0.05


@pytest.fixture(scope="module")
def people(bulk_sf: Salesforce) -> str:
    """Five Contacts under one tag: four with an Account, one without, one deleted."""
    tag = "q-" + uuid.uuid4().hex[:8]
    account = bulk_sf.Account.create({"Name": f"{tag} Inc", "Site": tag})["id"]
    records = [
        {"attributes": {"type": "Contact"}, "LastName": f"{tag}-{i}", "Department": tag,
         "AccountId": account if i < 4 else None, "DoNotCall": i % 2 == 0}
        for i in range(5)
    ]  # fmt: skip
    made = bulk_sf.restful("composite/sobjects", method="POST", json={"records": records})
    bulk_sf.Contact.delete(made[3]["id"])
    return tag


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_parent_fields_flatten_and_values_are_quoted(bulk_sf: Salesforce, people: str) -> None:
    soql = (
        "SELECT Id, LastName, Account.Name, DoNotCall FROM Contact "
        f"WHERE Department = '{people}' ORDER BY LastName"
    )
    (page,) = list(bulk_sf.bulk2.Contact.query(soql, wait=WAIT))
    lines = page.splitlines()
    assert lines[0] == '"Id","LastName","Account.Name","DoNotCall"'
    assert lines[1].endswith(f'"{people}-0","{people} Inc","true"')
    rows = parse(page)
    assert [r["LastName"] for r in rows] == [f"{people}-{i}" for i in (0, 1, 2, 4)]
    assert [r["DoNotCall"] for r in rows] == ["true", "false", "true", "true"]
    assert rows[-1]["Account.Name"] == ""


def test_query_all_returns_deleted_rows(bulk_sf: Salesforce, people: str) -> None:
    soql = (
        f"SELECT LastName, IsDeleted FROM Contact WHERE Department = '{people}' ORDER BY LastName"
    )
    (live,) = list(bulk_sf.bulk2.Contact.query(soql, wait=WAIT))
    (everything,) = list(bulk_sf.bulk2.Contact.query_all(soql, wait=WAIT))
    assert len(parse(live)) == 4
    rows = parse(everything)
    assert [(r["LastName"], r["IsDeleted"]) for r in rows][3] == (f"{people}-3", "true")
    assert len(rows) == 5


def test_pages_follow_the_locator(bulk_http: Bulk2Http, bulk_sf: Salesforce, people: str) -> None:
    soql = f"SELECT LastName FROM Contact WHERE Department = '{people}' ORDER BY LastName"
    job = bulk_http.create(operation="queryAll", query=soql)
    assert job["state"] == "UploadComplete" and job["object"] == "Contact"
    info = bulk_http.wait(job["id"], "query")
    assert info["jobType"] == "V2Query" and info["numberRecordsProcessed"] == 5
    assert info["isPkChunkingSupported"] is True
    seen, locator, counts = [], "", []
    while True:
        params = {"maxRecords": 2, **({"locator": locator} if locator else {})}
        reply = bulk_http.call("GET", f"query/{job['id']}/results", params=params)
        assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/csv")
        counts.append(reply.headers["Sforce-NumberOfRecords"])
        seen += [r["LastName"] for r in parse(reply.text)]
        locator = reply.headers["Sforce-Locator"]
        if locator == "null":
            break
    assert counts == ["2", "2", "1"]
    assert seen == [f"{people}-{i}" for i in range(5)]
    pages = list(bulk_sf.bulk2.Contact.query(soql, max_records=2, wait=WAIT))
    assert [len(parse(p)) for p in pages] == [2, 2]
    bad = bulk_http.call("GET", f"query/{job['id']}/results", params={"locator": "xyz"})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_LOCATOR"
    zero = bulk_http.call("GET", f"query/{job['id']}/results", params={"maxRecords": 0})
    assert zero.status_code == 400


def test_results_are_gzipped_when_asked(bulk_http: Bulk2Http, people: str) -> None:
    job = bulk_http.create(
        operation="query", query=f"SELECT Id FROM Contact WHERE Department = '{people}'"
    )
    bulk_http.wait(job["id"], "query")
    zipped = bulk_http.call(
        "GET", f"query/{job['id']}/results", headers={"Accept-Encoding": "gzip"}
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Sforce-NumberOfRecords"] == "4"
    assert len(parse(zipped.text)) == 4
    plain = bulk_http.call(
        "GET", f"query/{job['id']}/results", headers={"Accept-Encoding": "identity"}
    )
    assert "Content-Encoding" not in plain.headers and plain.content == zipped.content


def test_download_writes_files(bulk_sf: Salesforce, people: str, tmp_path: Path) -> None:
    soql = f"SELECT LastName FROM Contact WHERE Department = '{people}'"
    (result,) = bulk_sf.bulk2.Contact.download(soql, str(tmp_path), wait=WAIT)
    assert result["number_of_records"] == 4 and result["locator"] == ""
    assert len(parse(Path(result["file"]).read_text())) == 4


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id, (SELECT Id FROM Contacts) FROM Account", "FEATURENOTENABLED"),
        ("SELECT COUNT() FROM Account", "FEATURENOTENABLED"),
        ("SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry", "FEATURENOTENABLED"),
        ("SELECT Id FROM Account LIMIT 5 OFFSET 2", "FEATURENOTENABLED"),
        ("SELECT FIELDS(STANDARD) FROM Account", "FEATURENOTENABLED"),
        ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Nope__c", "INVALID_TYPE"),
        ("SELECT FROM Account", "MALFORMED_QUERY"),
    ],
)
def test_queries_bulk_refuses(bulk_http: Bulk2Http, soql: str, code: str) -> None:
    reply = bulk_http.call("POST", "query", json={"operation": "query", "query": soql})
    assert reply.status_code == 400, reply.text
    (error,) = reply.json()
    assert error["errorCode"] == code and set(error) == {"errorCode", "message"}


def test_abort_and_delete_query_jobs(bulk_http: Bulk2Http, people: str) -> None:
    job = bulk_http.create(
        operation="query", query=f"SELECT Id FROM Contact WHERE Department = '{people}'"
    )
    info = bulk_http.wait(job["id"], "query")
    late = bulk_http.close(job["id"], "Aborted", kind="query")
    assert info["state"] == "JobComplete" and late.status_code == 409
    assert bulk_http.close(job["id"], "UploadComplete", kind="query").status_code == 409
    listed = bulk_http.call("GET", "query").json()
    assert any(r["id"] == job["id"] and r["jobType"] == "V2Query" for r in listed["records"])
    assert bulk_http.call("DELETE", f"query/{job['id']}").status_code == 204
    assert bulk_http.call("GET", f"query/{job['id']}/results").status_code == 404
    assert bulk_http.call("GET", f"ingest/{listed['records'][0]['id']}").status_code == 404
