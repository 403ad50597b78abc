"""Bulk API 1.0 through the unmodified ``salesforce_bulk`` client, in CSV and XML."""

from __future__ import annotations

import csv
import io
import uuid
import xml.etree.ElementTree as ET

import pytest
from lockstep_emulator.client import EmulatorInfo
from salesforce_bulk import SalesforceBulk
from salesforce_bulk.salesforce_bulk import BulkBatchFailed
from simple_salesforce import Salesforce

NS = "http://www.force.com/2009/06/asyncapi/dataload"


def run(bulk: SalesforceBulk, job: str, data: bytes) -> list[tuple[str, str, str, str]]:
    batch = bulk.post_batch(job, data)
    bulk.wait_for_batch(job, batch, timeout=20, sleep_interval=0.05)
    return [tuple(r) for r in bulk.get_batch_results(batch, job)]


def csv_bytes(*rows: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def sobjects(*records: str) -> bytes:
    body = "".join(f"<sObject>{r}</sObject>" for r in records)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sObjects xmlns="{NS}" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{body}</sObjects>'
    ).encode()


def key() -> str:
    return uuid.uuid4().hex[:12]


def test_csv_insert_reports_each_record_in_input_order(
    bulk: SalesforceBulk, bulk1_sf: Salesforce
) -> None:
    k = key()
    job = bulk.create_insert_job("Account", contentType="CSV")
    results = run(
        bulk,
        job,
        csv_bytes(
            ["Name", "External_Id__c", "NumberOfEmployees"],
            [f"one {k}", f"{k}-1", "10"],
            ["", f"{k}-2", "5"],
            [f"three {k}", f"{k}-3", "many"],
            [f"four {k}", f"{k}-4", ""],
        ),
    )
    bulk.close_job(job)
    assert [(r[1], r[2]) for r in results] == [
        ("true", "true"),
        ("false", "false"),
        ("false", "false"),
        ("true", "true"),
    ]
    assert results[0][0].startswith("001") and results[1][0] == ""
    assert results[1][3].startswith("REQUIRED_FIELD_MISSING:")
    assert results[2][3].startswith("INVALID_TYPE_ON_FIELD_IN_RECORD:")
    record = bulk1_sf.Account.get(results[0][0])
    assert record["Name"] == f"one {k}" and record["NumberOfEmployees"] == 10
    status = bulk.job_status(job)
    assert status["state"] == "Closed"
    assert (status["numberRecordsProcessed"], status["numberRecordsFailed"]) == ("4", "2")
    assert status["numberBatchesCompleted"] == "1"


def test_csv_update_upsert_and_delete(bulk: SalesforceBulk, bulk1_sf: Salesforce) -> None:
    k = key()
    first = bulk1_sf.Account.create({"Name": f"a {k}", "External_Id__c": f"{k}-a"})["id"]
    second = bulk1_sf.Account.create({"Name": f"b {k}", "External_Id__c": f"{k}-b"})["id"]
    missing = "001000000000000AAA"

    job = bulk.create_update_job("Account", contentType="CSV")
    updated = run(
        bulk,
        job,
        csv_bytes(
            ["Id", "Name", "Site"],
            [missing, "x", "y"],
            [first, f"a2 {k}", "#N/A"],
            [second, "", "here"],
        ),
    )
    assert [(r[0], r[1], r[2]) for r in updated] == [
        (missing, "false", "false"),
        (first, "true", "false"),
        (second, "true", "false"),
    ]
    assert bulk1_sf.Account.get(first)["Name"] == f"a2 {k}"
    assert bulk1_sf.Account.get(second)["Name"] == f"b {k}"
    assert bulk1_sf.Account.get(second)["Site"] == "here"

    job = bulk.create_upsert_job("Account", "External_Id__c", contentType="CSV")
    upserted = run(
        bulk,
        job,
        csv_bytes(["External_Id__c", "Name"], [f"{k}-a", f"a3 {k}"], [f"{k}-c", f"c {k}"]),
    )
    assert upserted[0][:3] == (first, "true", "false")
    assert upserted[1][1:3] == ("true", "true") and upserted[1][0].startswith("001")

    job = bulk.create_delete_job("Account", contentType="CSV")
    deleted = run(bulk, job, csv_bytes(["Id"], [second], ["bogus"]))
    assert deleted[0][:2] == (second, "true")
    assert deleted[1][1] == "false" and deleted[1][3]
    assert bulk1_sf.query(f"SELECT Id FROM Account WHERE Id = '{second}'")["totalSize"] == 0


def test_xml_insert_and_update(bulk: SalesforceBulk, bulk1_sf: Salesforce) -> None:
    k = key()
    job = bulk.create_insert_job("Account", contentType="XML")
    batch = bulk.post_batch(
        job,
        sobjects(
            f"<Name>x {k}</Name><External_Id__c>{k}-x</External_Id__c><Site>s</Site>",
            "<Site>no name</Site>",
        ),
    )
    bulk.wait_for_batch(job, batch, timeout=20, sleep_interval=0.05)
    results = bulk.get_batch_results(batch, job)
    assert [(r.success, r.created) for r in results] == [(True, True), (False, False)]
    assert results[1].error[0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert results[1].error[0]["fields"] == ["Name"]
    found = bulk1_sf.query(f"SELECT Id, Site FROM Account WHERE External_Id__c = '{k}-x'")
    record_id = found["records"][0]["Id"]
    assert found["records"][0]["Site"] == "s"

    contact = bulk.create_insert_job("Contact", contentType="XML")
    linked = bulk.post_batch(
        contact,
        sobjects(
            f"<LastName>L {k}</LastName><Account><External_Id__c>{k}-x</External_Id__c></Account>"
        ),
    )
    bulk.wait_for_batch(contact, linked, timeout=20, sleep_interval=0.05)
    assert bulk.get_batch_results(linked, contact)[0].success is True
    rows = bulk1_sf.query(f"SELECT AccountId FROM Contact WHERE LastName = 'L {k}'")
    assert rows["records"][0]["AccountId"] == record_id

    job = bulk.create_update_job("Account", contentType="XML")
    batch = bulk.post_batch(
        job, sobjects(f'<Id>{record_id}</Id><Site xsi:nil="true"/><Name>y {k}</Name>')
    )
    bulk.wait_for_batch(job, batch, timeout=20, sleep_interval=0.05)
    assert [r.success for r in bulk.get_batch_results(batch, job)] == [True]
    record = bulk1_sf.Account.get(record_id)
    assert (record["Name"], record["Site"]) == (f"y {k}", None)
    assert bulk.get_batch_list(job)[0]["state"] == "Completed"


@pytest.mark.parametrize("content_type", ["CSV", "XML"])
def test_query_job(bulk: SalesforceBulk, bulk1_sf: Salesforce, content_type: str) -> None:
    k = key()
    parent = bulk1_sf.Account.create({"Name": f"q {k}", "External_Id__c": f"{k}-q"})["id"]
    bulk1_sf.Contact.create({"LastName": f"c1 {k}", "AccountId": parent})
    bulk1_sf.Contact.create({"LastName": f"c2 {k}"})
    soql = (
        "SELECT Id, LastName, Account.Name FROM Contact "
        f"WHERE LastName LIKE '% {k}' ORDER BY LastName"
    )
    job = bulk.create_query_job("Contact", contentType=content_type, pk_chunking=True)
    batch = bulk.query(job, soql)
    bulk.wait_for_batch(job, batch, timeout=20, sleep_interval=0.05)
    bulk.close_job(job)
    assert bulk.get_query_batch_request(batch, job) == soql
    sets = list(bulk.get_all_results_for_query_batch(batch, job))
    assert len(sets) == 1
    data = sets[0].read()
    if content_type == "CSV":
        rows = list(csv.reader(io.StringIO(data.decode())))
        assert rows[0] == ["Id", "LastName", "Account.Name"]
        assert [r[1:] for r in rows[1:]] == [[f"c1 {k}", f"q {k}"], [f"c2 {k}", ""]]
    else:
        root = ET.fromstring(data)
        records = root.findall(f"{{{NS}}}records")
        assert [r.findtext(f"{{{NS}}}LastName") for r in records] == [f"c1 {k}", f"c2 {k}"]
        account = records[0].find(f"{{{NS}}}Account")
        assert account is not None and account.findtext(f"{{{NS}}}Name") == f"q {k}"
    status = bulk.batch_status(batch, job, reload=True)
    assert status["numberRecordsProcessed"] == "2"


def test_empty_csv_query_and_failed_batches(bulk: SalesforceBulk) -> None:
    job = bulk.create_query_job("Account", contentType="CSV")
    batch = bulk.query(job, "SELECT Id FROM Account WHERE Name = 'no such name at all'")
    bulk.wait_for_batch(job, batch, timeout=20, sleep_interval=0.05)
    [result] = bulk.get_all_results_for_query_batch(batch, job)
    assert result.read() == b"Records not found for this query"

    bad = bulk.query(job, "SELECT Nope FROM Account")
    with pytest.raises(BulkBatchFailed) as failed:
        bulk.wait_for_batch(job, bad, timeout=20, sleep_interval=0.05)
    assert "INVALID_FIELD" in failed.value.state_message

    insert = bulk.create_insert_job("Account", contentType="CSV")
    header = bulk.post_batch(insert, csv_bytes(["Name", "No_Such_Field__c"], ["a", "b"]))
    with pytest.raises(BulkBatchFailed) as failed:
        bulk.wait_for_batch(insert, header, timeout=20, sleep_interval=0.05)
    assert failed.value.state_message.startswith("InvalidBatch : Field name not found")
    assert bulk.job_status(insert)["numberBatchesFailed"] == "1"


def test_xml_upsert_and_delete_in_input_order(bulk: SalesforceBulk, bulk1_sf: Salesforce) -> None:
    k = key()
    existing = bulk1_sf.Account.create({"Name": f"u {k}", "External_Id__c": f"{k}-u"})["id"]
    job = bulk.create_upsert_job("Account", "External_Id__c", contentType="XML")
    batch = bulk.post_batch(
        job,
        sobjects(
            f"<External_Id__c>{k}-new</External_Id__c><Name>n {k}</Name>",
            f"<External_Id__c>{k}-bad</External_Id__c><Name>b</Name>"
            "<NumberOfEmployees>lots</NumberOfEmployees>",
            f"<External_Id__c>{k}-u</External_Id__c><Name>u2 {k}</Name>",
        ),
    )
    bulk.wait_for_batch(job, batch, timeout=20, sleep_interval=0.05)
    results = bulk.get_batch_results(batch, job)
    assert [(r.success, r.created) for r in results] == [
        (True, True),
        (False, False),
        (True, False),
    ]
    assert results[1].error[0]["statusCode"] == "INVALID_TYPE_ON_FIELD_IN_RECORD"
    assert bulk1_sf.Account.get(existing)["Name"] == f"u2 {k}"

    job = bulk.create_delete_job("Account", contentType="XML")
    batch = bulk.post_batch(job, sobjects("<Id>001000000000000AAA</Id>", f"<Id>{existing}</Id>"))
    bulk.wait_for_batch(job, batch, timeout=20, sleep_interval=0.05)
    assert [r.success for r in bulk.get_batch_results(batch, job)] == [False, True]
    gone = bulk1_sf.query(f"SELECT Id FROM Account WHERE Id = '{existing}'")
    assert gone["totalSize"] == 0


def test_bulk1_writes_emit_change_events(
    bulk: SalesforceBulk, bulk1_sf: Salesforce, bulk1_emulator: EmulatorInfo
) -> None:
    """Bulk 1.0 DML is DML like any other: each created record has a CREATE event,
    and a record that failed has none."""
    k = key()
    job = bulk.create_insert_job("Account", contentType="CSV")
    results = run(bulk, job, csv_bytes(["Name"], [f"cdc-a {k}"], [""], [f"cdc-b {k}"]))
    bulk.close_job(job)
    created = {r[0] for r in results if r[1] == "true"}
    assert len(created) == 2
    reply = bulk1_sf.session.get(
        f"{bulk1_emulator.instance_url}/_emulator/cdc/events",
        params={"entity": "Account", "limit": 2000},
        headers={"Authorization": f"Bearer {bulk1_sf.session_id}"},
    )
    assert reply.status_code == 200, reply.text
    seen: set[str] = set()
    for event in reply.json()["events"]:
        header = event["data"]["payload"]["ChangeEventHeader"]
        if header["changeType"] == "CREATE":
            seen.update(header["recordIds"])
    assert created <= seen


def test_csv_load_with_account_standard_field_headers(
    bulk: SalesforceBulk, bulk1_sf: Salesforce
) -> None:
    """A data-loader export's headers: read-only columns left empty load like any other."""
    k = key()
    header = ["Name", "AccountSource", "Jigsaw", "JigsawCompanyId", "SicDesc", "LastActivityDate"]
    job = bulk.create_insert_job("Account", contentType="CSV")
    [(rid, success, created, error)] = run(
        bulk, job, csv_bytes(header, [f"std {k}", "Web", "J-9", "", "Saw mills", ""])
    )
    assert (success, created, error) == ("true", "true", "")
    record = bulk1_sf.Account.get(rid)
    assert (record["AccountSource"], record["Jigsaw"], record["SicDesc"]) == (
        "Web",
        "J-9",
        "Saw mills",
    )
