"""Bulk API 1.0 over raw HTTP: JSON jobs (as simple-salesforce sends them), error
bodies in the job's format, aborts, and the daily allocation."""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import requests
from bulk1_helpers import VERSION, base_url
from lockstep_emulator.client import EmulatorInfo, connect, start_emulator
from simple_salesforce import Salesforce

NS = "{http://www.force.com/2009/06/asyncapi/dataload}"
JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "application/xml; charset=UTF-8"}


def parsed(reply: requests.Response) -> Any:
    """A JSON reply's body, or an XML info's fields as a dict (text values)."""
    if reply.headers["Content-Type"] == "application/json":
        return reply.json()
    root = ET.fromstring(reply.content)
    return {child.tag.removeprefix(NS): child.text for child in root}


def wait(raw: requests.Session, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        info: dict[str, Any] = parsed(raw.get(url))
        if info["state"] not in ("Queued", "InProgress"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"batch still running: {info}")


def test_json_insert_and_query(raw: requests.Session, bulk1_emulator: EmulatorInfo) -> None:
    base = base_url(bulk1_emulator)
    k = uuid.uuid4().hex[:12]
    job = raw.post(
        f"{base}/job",
        json={
            "operation": "insert",
            "object": "Account",
            "contentType": "JSON",
            "concurrencyMode": 0,
        },
        headers=JSON,
    )
    assert job.status_code == 201 and job.headers["Content-Type"] == "application/json"
    info = job.json()
    assert info["state"] == "Open" and info["concurrencyMode"] == "Parallel"
    assert info["id"].startswith("750")
    records = [
        {"Name": f"j1 {k}", "AnnualRevenue": 12.5, "Site": None},
        {"Site": "nameless"},
        {"Name": f"j3 {k}", "attributes": {"type": "Account"}},
    ]
    batch = raw.post(f"{base}/job/{info['id']}/batch", json=records, headers=JSON)
    assert batch.status_code == 201
    assert batch.json()["state"] == "Queued" and batch.json()["id"].startswith("751")
    url = f"{base}/job/{info['id']}/batch/{batch.json()['id']}"
    assert wait(raw, url)["state"] == "Completed"
    results = raw.get(f"{url}/result").json()
    assert [(r["success"], r["created"]) for r in results] == [
        (True, True),
        (False, False),
        (True, True),
    ]
    assert results[1]["id"] is None
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert raw.get(f"{url}/request").json() == records

    closed = raw.post(f"{base}/job/{info['id']}", json={"state": "Closed"}, headers=JSON).json()
    assert closed["state"] == "Closed" and closed["numberRecordsFailed"] == 1

    query = raw.post(
        f"{base}/job",
        json={"operation": "query", "object": "Account", "contentType": "JSON"},
        headers=JSON,
    ).json()
    soql = f"SELECT Id, Name, AnnualRevenue FROM Account WHERE Name LIKE 'j% {k}' ORDER BY Name"
    qbatch = raw.post(f"{base}/job/{query['id']}/batch", data=soql, headers=JSON).json()
    qurl = f"{base}/job/{query['id']}/batch/{qbatch['id']}"
    assert wait(raw, qurl)["numberRecordsProcessed"] == 2
    [result_id] = raw.get(f"{qurl}/result").json()
    rows = raw.get(f"{qurl}/result/{result_id}").json()
    assert [(r["Name"], r["AnnualRevenue"]) for r in rows] == [(f"j1 {k}", 12.5), (f"j3 {k}", None)]
    assert rows[0]["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v{VERSION}/sobjects/Account/{results[0]['id']}",
    }


def test_errors_follow_the_format(raw: requests.Session, bulk1_emulator: EmulatorInfo) -> None:
    base = base_url(bulk1_emulator)
    unknown = raw.get(f"{base}/job/750000000000000AAA")
    assert unknown.status_code == 400 and unknown.headers["Content-Type"] == "application/xml"
    assert unknown.text.startswith("<?xml")
    assert (
        '<error xmlns="http://www.force.com/2009/06/asyncapi/dataload">'
        "<exceptionCode>InvalidJob</exceptionCode>" in unknown.text
    )

    no_object = raw.post(
        f"{base}/job", json={"operation": "insert", "object": "Nope", "contentType": "JSON"}
    )
    assert no_object.json() == {
        "exceptionCode": "InvalidJob",
        "exceptionMessage": "Unable to find object: Nope",
    }
    bad_xml = raw.post(f"{base}/job", data=b"<jobInfo><operation>", headers=XML)
    assert bad_xml.status_code == 400 and "<exceptionCode>InvalidXML<" in bad_xml.text
    for body in ([1], "text", {"operation": "merge", "object": "Account"}):
        reply = raw.post(f"{base}/job", json=body, headers=JSON)
        assert reply.status_code == 400 and reply.json()["exceptionCode"] == "InvalidJob"
    upsert = raw.post(
        f"{base}/job",
        json={"operation": "upsert", "object": "Account", "externalIdFieldName": "Name"},
        headers=JSON,
    )
    assert upsert.json()["exceptionCode"] == "InvalidJob"

    session = raw.headers.pop("X-SFDC-Session")
    assert raw.get(f"{base}/job/x", headers=JSON).json()["exceptionCode"] == "InvalidSessionId"
    raw.headers["X-SFDC-Session"] = session
    assert raw.get(f"{base}/nowhere").status_code == 404
    assert raw.delete(f"{base}/job").status_code == 405
    assert raw.get(f"{bulk1_emulator.instance_url}/services/async/1.0/job").status_code == 404

    job = raw.post(
        f"{base}/job",
        json={"operation": "insert", "object": "Account", "contentType": "JSON"},
        headers=JSON,
    ).json()
    aborted = raw.post(f"{base}/job/{job['id']}", json={"state": "Aborted"}, headers=JSON)
    assert aborted.json()["state"] == "Aborted"
    late = raw.post(f"{base}/job/{job['id']}/batch", data=b"[{}]", headers=XML)
    assert late.headers["Content-Type"] == "application/json"
    assert late.json()["exceptionCode"] == "InvalidJobState"
    again = raw.post(f"{base}/job/{job['id']}", json={"state": "Closed"}, headers=JSON)
    assert again.json()["exceptionCode"] == "InvalidJobState"


def test_malformed_batches_fail_alone(raw: requests.Session, bulk1_emulator: EmulatorInfo) -> None:
    base = base_url(bulk1_emulator)
    for content_type, body in (
        ("XML", b"<sObjects><sObject><Name>unclosed"),
        ("XML", b"<other/>"),
        ("JSON", b"{not json"),
        ("JSON", b'{"Name": "not a list"}'),
        ("CSV", b'Name\n"unterminated\n'),
        ("CSV", b"\xff\xfe"),
    ):
        job = raw.post(
            f"{base}/job",
            json={"operation": "insert", "object": "Account", "contentType": content_type},
            headers=JSON,
        ).json()
        batch = parsed(raw.post(f"{base}/job/{job['id']}/batch", data=body, headers=JSON))
        info = wait(raw, f"{base}/job/{job['id']}/batch/{batch['id']}")
        assert info["state"] == "Failed" and info["stateMessage"], (content_type, body)
    listed = ET.fromstring(raw.get(f"{base}/job/{job['id']}/batch").content)
    assert [b.findtext(f"{NS}state") for b in listed] == ["Failed"]


def test_daily_allocation_counts_bulk_calls() -> None:
    schema = Path(__file__).parent.parent / "schema.yaml"
    with start_emulator("--schema", str(schema), "--daily-api-limit", "4") as process:
        info = process.info
        with requests.Session() as http:
            http.verify = info.ca_cert
            http.trust_env = False
            token = connect(info, http).session_id
            http.headers["X-SFDC-Session"] = token
            replies = [http.get(f"{base_url(info)}/job/750000000000000AAA") for _ in range(5)]
    assert [r.status_code for r in replies][-1] == 403
    assert "<exceptionCode>REQUEST_LIMIT_EXCEEDED</exceptionCode>" in replies[-1].text


def test_simple_salesforce_bulk_query(bulk1_sf: Salesforce) -> None:
    k = uuid.uuid4().hex[:12]
    for name in (f"s2 {k}", f"s1 {k}"):
        bulk1_sf.Account.create({"Name": name})
    rows = bulk1_sf.bulk.Account.query(
        f"SELECT Id, Name FROM Account WHERE Name LIKE 's_ {k}' ORDER BY Name", wait=0.05
    )
    assert [r["Name"] for r in rows] == [f"s1 {k}", f"s2 {k}"]


def test_query_columns_keep_their_values_and_types(
    raw: requests.Session, bulk1_sf: Salesforce, bulk1_emulator: EmulatorInfo
) -> None:
    """Booleans come out as booleans (true/false in CSV) in their own columns, and no
    other column is taken for one: Ids, dates and text keep their values."""
    k = uuid.uuid4().hex[:12]
    made = bulk1_sf.Contact.create(
        {"LastName": f"typed {k}", "Birthdate": "1999-01-24", "DoNotCall": True}
    )["id"]
    soql = (
        f"SELECT Id, LastName, Birthdate, DoNotCall, HasOptedOutOfEmail FROM Contact "
        f"WHERE LastName = 'typed {k}'"
    )
    [row] = bulk1_sf.bulk.Contact.query(soql, wait=0.05)
    assert (row["Id"], row["LastName"], row["Birthdate"]) == (made, f"typed {k}", "1999-01-24")
    assert row["DoNotCall"] is True and row["HasOptedOutOfEmail"] is False

    base = base_url(bulk1_emulator)
    job = parsed(
        raw.post(
            f"{base}/job",
            json={"operation": "query", "object": "Contact", "contentType": "CSV"},
            headers=JSON,
        )
    )
    batch = parsed(
        raw.post(f"{base}/job/{job['id']}/batch", data=soql, headers={"Content-Type": "text/csv"})
    )
    url = f"{base}/job/{job['id']}/batch/{batch['id']}"
    wait(raw, url)
    listing = ET.fromstring(raw.get(f"{url}/result").content)
    [result_id] = [r.text for r in listing.iter(f"{NS}result")]
    lines = raw.get(f"{url}/result/{result_id}").text.splitlines()
    assert lines == [
        '"Id","LastName","Birthdate","DoNotCall","HasOptedOutOfEmail"',
        f'"{made}","typed {k}","1999-01-24","true","false"',
    ]


def test_an_empty_batch_is_refused_as_client_input(
    raw: requests.Session, bulk1_emulator: EmulatorInfo
) -> None:
    """Salesforce answers an empty batch with ClientInputError and creates no batch."""
    base = base_url(bulk1_emulator)
    job = raw.post(
        f"{base}/job",
        json={"operation": "insert", "object": "Account", "contentType": "CSV"},
        headers=JSON,
    ).json()
    for body in (b"", b"\n  \n"):
        reply = raw.post(
            f"{base}/job/{job['id']}/batch", data=body, headers={"Content-Type": "text/csv"}
        )
        assert reply.status_code == 400
        assert parsed(reply) == {
            "exceptionCode": "ClientInputError",
            "exceptionMessage": "Unable to find any data to create batch",
        }
    assert parsed(raw.get(f"{base}/job/{job['id']}"))["numberBatchesTotal"] == "0"
