"""Bulk API 1.0's formats: batches to rows, results and errors, job definitions."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import orjson
import pytest
from lockstep_emulator.api.bulk1 import wire
from lockstep_emulator.api.bulk1.calls import _concurrency
from lockstep_emulator.api.bulk1.model import Batch, Job
from lockstep_emulator.api.bulk1.query import QueryRows, render
from lockstep_emulator.errors import InvalidSession, RecordError, SalesforceError
from lockstep_emulator.store.batch import Outcome

NS = "{http://www.force.com/2009/06/asyncapi/dataload}"


def test_xml_records_become_rows_with_nil_and_relationships() -> None:
    body = (
        b'<sObjects xmlns="http://www.force.com/2009/06/asyncapi/dataload" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        b"<sObject><type>Contact</type><LastName>a</LastName>"
        b"<Account><External_Id__c>k</External_Id__c></Account></sObject>"
        b'<sObject><LastName>b</LastName><Email xsi:nil="true"/>'
        b"<fieldsToNull>Phone</fieldsToNull></sObject></sObjects>"
    )
    assert wire.xml_rows(body) == [
        ["LastName", "Account.External_Id__c", "Email", "Phone"],
        ["a", "k", "", ""],
        ["b", "", "#N/A", "#N/A"],
    ]


def test_json_records_become_rows() -> None:
    body = orjson.dumps(
        [
            {"attributes": {"type": "Account"}, "Name": "a", "Active__c": True, "N": 1.5},
            {"Name": None, "Parent": {"External_Id__c": "p"}},
        ]
    )
    assert wire.json_rows(body) == [
        ["Name", "Active__c", "N", "Parent.External_Id__c"],
        ["a", "true", "1.5", ""],
        ["#N/A", "", "", "p"],
    ]


@pytest.mark.parametrize(
    ("reader", "body"),
    [
        (wire.xml_rows, b"<sObjects>"),
        (wire.xml_rows, b'<!DOCTYPE x [<!ENTITY a "b">]><sObjects/>'),
        (wire.json_rows, b"[1, 2]"),
        (wire.json_rows, b"nope"),
        (wire.csv_rows, b"\xff"),
        (wire.csv_rows, b'a\n"b'),
    ],
)
def test_unreadable_batches_raise_bulk_errors(reader: object, body: bytes) -> None:
    with pytest.raises(wire.Bulk1Error):
        reader(body)  # type: ignore[operator]


def test_csv_strips_a_bom_and_blank_lines() -> None:
    assert wire.csv_rows("\ufeffName\r\na\r\n\r\n".encode()) == [["Name"], ["a"]]


OUTCOMES = [
    Outcome("001A", created=True),
    Outcome(
        None,
        RecordError(
            "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", fields=["Name"]
        ),
    ),
]


def test_csv_results() -> None:
    body, media = wire.dml_results(OUTCOMES, "CSV")
    assert media == "text/csv"
    assert body.decode().splitlines() == [
        '"Id","Success","Created","Error"',
        '"001A","true","true",""',
        '"","false","false","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"',
    ]


def test_xml_and_json_results() -> None:
    body, media = wire.dml_results(OUTCOMES, "XML")
    root = ET.fromstring(body)
    assert media == "application/xml" and root.tag == f"{NS}results"
    first, second = root
    assert [first.findtext(f"{NS}{k}") for k in ("id", "success", "created")] == [
        "001A",
        "true",
        "true",
    ]
    assert second.findtext(f"{NS}errors/{NS}statusCode") == "REQUIRED_FIELD_MISSING"
    assert second.findtext(f"{NS}errors/{NS}fields") == "Name"
    body, media = wire.dml_results(OUTCOMES, "JSON")
    assert orjson.loads(body)[1] == {
        "success": False,
        "created": False,
        "id": None,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]",
                "fields": ["Name"],
            }
        ],
    }


def test_errors_in_both_formats() -> None:
    error = wire.Bulk1Error.of(InvalidSession())
    assert error.error_code == "InvalidSessionId"
    body, media = wire.error_body(error, json=True)
    assert orjson.loads(body) == {
        "exceptionCode": "InvalidSessionId",
        "exceptionMessage": "Invalid session id",
    }
    body, media = wire.error_body(wire.Bulk1Error.of(SalesforceError("X", "m & <b>")), json=False)
    root = ET.fromstring(body)
    assert media == "application/xml" and root.tag == f"{NS}error"
    assert root.findtext(f"{NS}exceptionMessage") == "m & <b>"


def test_job_documents_and_concurrency() -> None:
    doc = (
        b'<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/'
        b'asyncapi/dataload"><operation>insert</operation><object>Account</object>'
        b"<contentType>CSV</contentType></jobInfo>"
    )
    assert wire.parse_document(doc, "application/xml") == {
        "operation": "insert",
        "object": "Account",
        "contentType": "CSV",
    }
    assert [_concurrency(v) for v in (0, 1, "Serial", "parallel", None)] == [
        "Parallel",
        "Serial",
        "Serial",
        "Parallel",
        "Parallel",
    ]
    with pytest.raises(wire.Bulk1Error):
        _concurrency("Sometimes")


def test_job_info_sums_its_batches() -> None:
    job = Job("750A", "insert", "Account", "CSV", "Parallel", "005A", "t", "t", "59.0")
    batches = [
        Batch("751A", "750A", "t", "t", b"", state="Completed", processed=3, failed=1),
        Batch("751B", "750A", "t", "t", b""),
    ]
    info = job.info(batches)
    assert (info["numberBatchesTotal"], info["numberBatchesQueued"]) == (2, 1)
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 1)
    assert info["apiVersion"] == 59.0
    body, _ = wire.info_body("jobInfo", info, json=False)
    assert ET.fromstring(body).findtext(f"{NS}state") == "Open"


def test_query_rows_in_each_format() -> None:
    rows = QueryRows("Contact", ("Id", "Active__c", "Account.Name"), (("003A", True, None),))
    csv_body, _ = render(rows, "CSV", "59.0")
    assert csv_body == b'"Id","Active__c","Account.Name"\n"003A","true",""\n'
    [record] = orjson.loads(render(rows, "JSON", "59.0")[0])
    assert record["Active__c"] is True and record["Account"] == {"Name": None}
    assert record["attributes"]["url"] == "/services/data/v59.0/sobjects/Contact/003A"
    root = ET.fromstring(render(rows, "XML", "59.0")[0])
    assert root.findtext(f"{NS}records/{NS}type") == "Contact"
    assert root.findtext(f"{NS}records/{NS}Active__c") == "true"
    assert render(QueryRows("Contact", ("Id",), ()), "CSV", "59.0")[0] == (
        b"Records not found for this query"
    )
