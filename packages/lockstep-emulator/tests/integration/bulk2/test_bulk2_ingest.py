"""Bulk API 2.0 ingest over HTTPS: the job's life, its JSON, its CSV, its failures."""

from __future__ import annotations

import csv
import gzip
import io
import uuid

import pytest
from bulk2_helpers import Bulk2Http
from lockstep_emulator.api.bulk2.dialect import DELIMITERS, LINE_ENDINGS
from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import ColumnDelimiter, LineEnding

WAIT = 0.05


def tag() -> str:
    return "t-" + uuid.uuid4().hex[:10]


def parse(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.mark.parametrize("delimiter", list(DELIMITERS))
@pytest.mark.parametrize("line_ending", list(LINE_ENDINGS))
def test_every_delimiter_and_line_ending(
    bulk_sf: Salesforce, delimiter: str, line_ending: str
) -> None:
    site = tag()
    awkward = 'Quote "me", pipe | caret ^ tick ` semi ; tab \t done\nsecond line'
    records = [
        {"Name": f"{site}-1", "Site": site, "Description": awkward},
        {"Name": f"{site}-2", "Site": site, "Description": "#N/A"},
        {"Name": "", "Site": site, "Description": "no name"},
    ]
    bulk = bulk_sf.bulk2.Account
    (job,) = bulk.insert(
        records=records,
        column_delimiter=ColumnDelimiter[delimiter],
        line_ending=LineEnding[line_ending],
        wait=WAIT,
    )
    assert (job["numberRecordsProcessed"], job["numberRecordsFailed"]) == (3, 1)
    char = DELIMITERS[delimiter]
    ok = parse(bulk.get_successful_records(job["job_id"]), char)
    assert [r["Description"] for r in ok] == [awkward, "#N/A"]
    failed = parse(bulk.get_failed_records(job["job_id"]), char)
    assert failed[0]["sf__Error"] == (
        "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"
    )
    stored = bulk_sf.query(
        f"SELECT Name, Description FROM Account WHERE Site = '{site}' ORDER BY Name"
    )
    assert [(r["Name"], r["Description"]) for r in stored["records"]] == [
        (f"{site}-1", awkward),
        (f"{site}-2", None),
    ]
    pages = list(
        bulk.query(
            f"SELECT Name, Description FROM Account WHERE Site = '{site}' ORDER BY Name",
            column_delimiter=ColumnDelimiter[delimiter],
            line_ending=LineEnding[line_ending],
            wait=WAIT,
        )
    )
    terminator = LINE_ENDINGS[line_ending]
    assert pages[0].startswith(f'"Name"{char}"Description"{terminator}')
    assert [r["Description"] for r in parse(pages[0], char)] == [awkward, ""]


def test_job_info_and_list_have_salesforces_shape(bulk_http: Bulk2Http) -> None:
    created = bulk_http.create(object="account", operation="insert", lineEnding="CRLF")
    job_id = created["id"]
    assert job_id.startswith("750") and len(job_id) == 18
    assert created["state"] == "Open"
    assert created["object"] == "Account"
    assert created["apiVersion"] == 59.0
    assert created["contentUrl"] == f"services/data/v59.0/jobs/ingest/{job_id}/batches"
    assert (created["lineEnding"], created["columnDelimiter"]) == ("CRLF", "COMMA")
    upload = bulk_http.upload(job_id, b"Name\r\nOne\r\n")
    assert upload.status_code == 201 and upload.content == b""
    assert bulk_http.upload(job_id, b"Name\r\nTwo\r\n").status_code == 201
    closed = bulk_http.close(job_id).json()
    assert closed["state"] == "UploadComplete" and "contentUrl" not in closed
    info = bulk_http.wait(job_id)
    assert info["state"] == "JobComplete"
    assert info["jobType"] == "V2Ingest"
    assert info["numberRecordsProcessed"] == 2 and info["numberRecordsFailed"] == 0
    assert isinstance(info["totalProcessingTime"], int) and info["retries"] == 0
    short = bulk_http.call("GET", f"ingest/{job_id[:15]}").json()
    assert short["id"] == job_id
    listed = bulk_http.call("GET", "ingest").json()
    assert listed["done"] is True and listed["nextRecordsUrl"] is None
    entry = next(r for r in listed["records"] if r["id"] == job_id)
    assert entry["jobType"] == "V2Ingest" and entry["state"] == "JobComplete"
    assert bulk_http.call("GET", "ingest", params={"jobType": "Classic"}).json()["records"] == []


def test_upsert_on_external_id_and_lookup_by_external_id(
    bulk_http: Bulk2Http, bulk_sf: Salesforce
) -> None:
    site = tag()
    rows = f"External_Id__c,Name,Site\n{site}-p,Parent,{site}\n{site}-c,Child,{site}\n".encode()
    first = bulk_http.run(
        rows, object="Account", operation="upsert", externalIdFieldName="External_Id__c"
    )
    assert (first["numberRecordsProcessed"], first["numberRecordsFailed"]) == (2, 0)
    assert first["externalIdFieldName"] == "External_Id__c"
    again = f"External_Id__c,Parent.External_Id__c,Description\n{site}-c,{site}-P,linked\n"
    again += f"{site}-x,{site}-nobody,orphan\n"
    second = bulk_http.run(
        again.encode(), object="Account", operation="upsert", externalIdFieldName="external_id__c"
    )
    assert (second["numberRecordsProcessed"], second["numberRecordsFailed"]) == (2, 1)
    ok = parse(bulk_http.text(f"ingest/{second['id']}/successfulResults"))
    assert ok[0]["sf__Created"] == "false"
    failed = parse(bulk_http.text(f"ingest/{second['id']}/failedResults"))
    assert failed[0]["sf__Error"] == (
        f"INVALID_FIELD:Foreign key external ID: {site}-nobody not found for field "
        "External_Id__c in entity Account:--"
    )
    child = bulk_sf.query(
        f"SELECT Parent.Name, Description FROM Account WHERE Name = 'Child' AND Site = '{site}'"
    )
    assert child["records"][0]["Parent"]["Name"] == "Parent"
    assert child["records"][0]["Description"] == "linked"


def test_update_and_hard_delete(bulk_http: Bulk2Http, bulk_sf: Salesforce) -> None:
    site = tag()
    made = bulk_http.run(
        f"Name,Site\nA,{site}\nB,{site}\n".encode(), object="Account", operation="insert"
    )
    ids = [r["sf__Id"] for r in parse(bulk_http.text(f"ingest/{made['id']}/successfulResults"))]
    update = (
        f"Id,Description,Site\n{ids[0]},changed,\n{ids[1]},#N/A,{site}\n000000000000000AAA,x,y\n"
    )
    updated = bulk_http.run(update.encode(), object="Account", operation="update")
    assert (updated["numberRecordsProcessed"], updated["numberRecordsFailed"]) == (3, 1)
    rows = {
        r["Id"]: r
        for r in bulk_sf.query(f"SELECT Id, Description, Site FROM Account WHERE Site = '{site}'")[
            "records"
        ]
    }
    assert rows[ids[0]]["Description"] == "changed" and rows[ids[0]]["Site"] == site
    gone = bulk_http.run(
        f"Id\n{ids[0]}\n{ids[0]}\nnot-an-id\n".encode(), object="Account", operation="hardDelete"
    )
    assert (gone["numberRecordsProcessed"], gone["numberRecordsFailed"]) == (3, 2)
    errors = [r["sf__Error"] for r in parse(bulk_http.text(f"ingest/{gone['id']}/failedResults"))]
    assert errors == [
        f"DUPLICATE_VALUE:Duplicate id in list: {ids[0]}:--",
        "MALFORMED_ID:malformed id not-an-id:--",
    ]
    everything = bulk_sf.query_all(f"SELECT Id FROM Account WHERE Site = '{site}'")
    assert [r["Id"] for r in everything["records"]] == [ids[1]]


@pytest.mark.parametrize(
    ("data", "job", "message"),
    [
        (b"Name,Nope__c\nA,1\n", {}, "InvalidBatch : Field name not found : Nope__c"),
        (
            b"Name\r\nA\r\n",
            {},
            "ClientInputError : LineEnding is invalid on user data. "
            "Current LineEnding setting is LF",
        ),
        (
            b"Name\nA\n",
            {"lineEnding": "CRLF"},
            "ClientInputError : LineEnding is invalid on user data. "
            "Current LineEnding setting is CRLF",
        ),
        (
            b'Name\n"unterminated\n',
            {},
            "ClientInputError : Unable to parse the CSV data: unexpected end of data",
        ),
        (b"Name\n\xff\xfe\n", {}, "ClientInputError : The uploaded data is not valid UTF-8"),
        (
            b"Id,Name\n001000000000000AAA,x\n",
            {"operation": "delete"},
            "InvalidBatch : The 'delete' batch must contain only ids",
        ),
        (b"Name,name\nA,B\n", {}, "InvalidBatch : Duplicate field name: name"),
        (b"Nope.Name\nx\n", {}, "InvalidBatch : Field name not found : Nope.Name"),
        (
            b"Owner.Username\nx\n",
            {},
            "InvalidBatch : The field Username on User is not an external id field",
        ),
    ],
)
def test_bad_uploads_fail_the_job(
    bulk_http: Bulk2Http, data: bytes, job: dict[str, str], message: str
) -> None:
    info = bulk_http.run(data, **{"object": "Account", "operation": "insert", **job})
    assert info["state"] == "Failed"
    assert info["errorMessage"] == message
    unprocessed = bulk_http.call("GET", f"ingest/{info['id']}/unprocessedRecords")
    assert unprocessed.status_code == 200
    assert unprocessed.content == data


def test_rows_of_the_wrong_width_fail_alone(bulk_http: Bulk2Http) -> None:
    site = tag()
    info = bulk_http.run(
        f"Name,Site\nA,{site}\nB,{site},extra\n".encode(), object="Account", operation="insert"
    )
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete",
        2,
        1,
    )
    failed = parse(bulk_http.text(f"ingest/{info['id']}/failedResults"))
    assert failed[0]["sf__Error"].startswith(
        "INVALID_FIELD:The row has 3 values but the header has 2"
    )


def test_abort_leaves_every_row_unprocessed(bulk_http: Bulk2Http) -> None:
    created = bulk_http.create(object="Account", operation="insert")
    data = b"Name\nA\nB\n"
    assert bulk_http.upload(created["id"], data).status_code == 201
    aborted = bulk_http.close(created["id"], "Aborted")
    assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
    assert bulk_http.text(f"ingest/{created['id']}/unprocessedrecords").encode() == data
    late = bulk_http.close(created["id"])
    assert late.status_code == 409 and late.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    again = bulk_http.upload(created["id"], data)
    assert again.status_code == 409
    assert bulk_http.close(created["id"], "Aborted").status_code == 409


def test_delete_removes_the_job(bulk_http: Bulk2Http) -> None:
    created = bulk_http.create(object="Account", operation="insert")
    assert bulk_http.call("DELETE", f"ingest/{created['id']}").status_code == 409  # still Open
    bulk_http.close(created["id"], "Aborted")
    deleted = bulk_http.call("DELETE", f"ingest/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    missing = bulk_http.call("GET", f"ingest/{created['id']}")
    assert missing.status_code == 404
    assert missing.json() == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]


@pytest.mark.parametrize(
    ("job", "status", "code"),
    [
        ({"object": "Nope__c", "operation": "insert"}, 400, "INVALIDJOB"),
        ({"operation": "insert"}, 400, "INVALIDJOB"),
        ({"object": "Account", "operation": "merge"}, 400, "JSON_PARSER_ERROR"),
        (
            {"object": "Account", "operation": "insert", "columnDelimiter": "COLON"},
            400,
            "JSON_PARSER_ERROR",
        ),
        (
            {"object": "Account", "operation": "insert", "lineEnding": "CR"},
            400,
            "JSON_PARSER_ERROR",
        ),
        (
            {"object": "Account", "operation": "insert", "contentType": "JSON"},
            400,
            "JSON_PARSER_ERROR",
        ),
        ({"object": "Account", "operation": "upsert"}, 400, "INVALIDJOB"),
        (
            {"object": "Account", "operation": "upsert", "externalIdFieldName": "Name"},
            400,
            "INVALIDJOB",
        ),
    ],
)
def test_bad_job_definitions_are_refused(
    bulk_http: Bulk2Http, job: dict[str, str], status: int, code: str
) -> None:
    reply = bulk_http.call("POST", "ingest", json=job)
    assert reply.status_code == status
    (error,) = reply.json()
    assert set(error) == {"errorCode", "message"} and error["errorCode"] == code


def test_uploads_have_limits(bulk_http: Bulk2Http) -> None:
    created = bulk_http.create(object="Account", operation="insert")
    too_big = bulk_http.upload(created["id"], b"Name\n" + b"x" * (150 * 1024 * 1024))
    assert too_big.status_code == 413
    assert too_big.json()[0]["errorCode"] == "CLIENTINPUTERROR"
    assert bulk_http.call("GET", "ingest/750000000000000AAA").status_code == 404
    old = bulk_http.call("GET", "ingest").url.replace("v59.0", "v40.0")
    assert bulk_http.session.get(old, headers=bulk_http.auth, timeout=10).status_code == 404


def test_uploads_may_come_gzipped(bulk_http: Bulk2Http) -> None:
    site = tag()
    created = bulk_http.create(object="Account", operation="insert")
    data = gzip.compress(f"Name,Site\nZipped,{site}\n".encode())
    sent = bulk_http.call(
        "PUT",
        f"ingest/{created['id']}/batches",
        data=data,
        headers={"Content-Type": "text/csv", "Content-Encoding": "gzip"},
    )
    assert sent.status_code == 201
    broken = bulk_http.call(
        "PUT",
        f"ingest/{created['id']}/batches",
        data=b"not gzip",
        headers={"Content-Type": "text/csv", "Content-Encoding": "gzip"},
    )
    assert broken.status_code == 400
    bulk_http.close(created["id"])
    info = bulk_http.wait(created["id"])
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete",
        1,
        0,
    )


def test_csv_load_with_account_standard_field_headers(bulk_http: Bulk2Http) -> None:
    """A data-loader export's headers: read-only columns left empty load like any other."""
    site = tag()
    data = (
        "Name,Site,AccountSource,Jigsaw,JigsawCompanyId,SicDesc,LastActivityDate\n"
        f"Std,{site},Partner Referral,J-7,,Saw mills,\n"
    ).encode()
    info = bulk_http.run(data, object="Account", operation="insert")
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete",
        1,
        0,
    )


def test_an_empty_upload_is_accepted_and_the_job_completes_with_nothing(
    bulk_http: Bulk2Http,
) -> None:
    """Salesforce takes a zero-byte upload; the closed job completes, 0 records processed."""
    info = bulk_http.run(b"", object="Account", operation="insert")
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete",
        0,
        0,
    )
    failed = bulk_http.text(f"ingest/{info['id']}/failedResults").splitlines()
    assert len(failed) == 1 and failed[0].startswith('"sf__Id","sf__Error"')


def test_an_empty_upload_beside_others_adds_no_rows(bulk_http: Bulk2Http) -> None:
    site = tag()
    created = bulk_http.create(object="Account", operation="insert")
    for data in (b"", f"Name,Site\nA,{site}\n".encode(), b"", f"Name,Site\nB,{site}\n".encode()):
        assert bulk_http.upload(created["id"], data).status_code == 201
    bulk_http.close(created["id"])
    info = bulk_http.wait(created["id"])
    assert (info["state"], info["numberRecordsProcessed"]) == ("JobComplete", 2)


def test_a_job_closed_without_any_upload_fails(bulk_http: Bulk2Http) -> None:
    created = bulk_http.create(object="Account", operation="insert")
    assert bulk_http.close(created["id"]).status_code == 200
    info = bulk_http.wait(created["id"])
    assert (info["state"], info["errorMessage"]) == (
        "Failed",
        "ClientInputError : No data was uploaded for this job",
    )
