"""An upload's header against an object, a row as a record body, and the job JSON."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from lockstep_emulator.api.bulk2.columns import compile_columns
from lockstep_emulator.api.bulk2.errors import JobFailure
from lockstep_emulator.api.bulk2.model import INGEST, OPEN, QUERY, Job, info_body, list_body
from lockstep_emulator.api.bulk2.results import sf_error
from lockstep_emulator.errors import RecordError
from lockstep_emulator.schema.build import build_schema
from lockstep_emulator.schema.builtins import BUILTINS
from lockstep_emulator.schema.model import ObjectDef, Schema

SCHEMA: Schema = build_schema(BUILTINS)


def obj(name: str) -> ObjectDef:
    found = SCHEMA.get(name)
    assert found is not None
    return found


def test_header_names_fields_in_any_case_and_the_bom_is_dropped() -> None:
    columns = compile_columns(SCHEMA, obj("Contact"), "insert", ["\ufeffid", " lastname ", "EMAIL"])
    assert columns.names == ("id", "lastname", "EMAIL")
    assert columns.id_index == 0
    assert columns.fields == ((1, "LastName"), (2, "Email"))


def test_empty_means_no_value_and_na_means_null() -> None:
    columns = compile_columns(SCHEMA, obj("Contact"), "update", ["Id", "LastName", "Email"])
    assert columns.body(["003", "", "#N/A"]) == {"Email": None}
    assert columns.body(["003", "Doe", ""]) == {"LastName": "Doe"}
    assert columns.record_id([" 003 ", "", ""]) == "003"


def test_a_lookup_column_names_the_parent_by_an_id_field() -> None:
    columns = compile_columns(SCHEMA, obj("Contact"), "insert", ["LastName", "Account.Id"])
    (lookup,) = columns.lookups
    assert (lookup.index, lookup.field.name, lookup.target.name, lookup.key.name) == (
        1,
        "AccountId",
        "Account",
        "Id",
    )


@pytest.mark.parametrize(
    ("operation", "header", "message"),
    [
        ("insert", ["LastName", "Nope__c"], "InvalidBatch : Field name not found : Nope__c"),
        ("insert", ["LastName", "lastname"], "InvalidBatch : Duplicate field name: lastname"),
        ("insert", ["Account.Name"], "The field Name on Account is not an external id field"),
        ("insert", ["Nobody.Id"], "InvalidBatch : Field name not found : Nobody.Id"),
        ("delete", ["Id", "LastName"], "InvalidBatch : The 'delete' batch must contain only ids"),
        ("hardDelete", ["Name"], "InvalidBatch : The 'hardDelete' batch must contain only ids"),
    ],
)
def test_headers_that_fail_the_job(operation: str, header: list[str], message: str) -> None:
    with pytest.raises(JobFailure) as caught:
        compile_columns(SCHEMA, obj("Contact"), operation, header)
    assert message in caught.value.message


def test_sf_error_is_code_message_fields() -> None:
    missing = RecordError(
        "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", fields=["LastName"]
    )
    assert (
        sf_error(missing)
        == "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
    )
    assert (
        sf_error(RecordError("ENTITY_IS_DELETED", "entity is deleted"))
        == "ENTITY_IS_DELETED:entity is deleted:--"
    )


def job(kind: str, **changes: Any) -> Job:
    base = Job(
        id="7500000000000AAAAA", kind=kind, operation="insert", object="Account",
        created_by="005000000000000AAA", created_date="2024-01-01T00:00:00.000+0000",
        system_modstamp="2024-01-01T00:00:00.000+0000", state=OPEN, api_version="59.0",
    )  # fmt: skip
    return replace(base, **changes)


def test_job_info_has_salesforces_keys_and_types() -> None:
    body = info_body(job(INGEST, processed=3, failed=1))
    assert list(body) == [
        "id", "operation", "object", "createdById", "createdDate", "systemModstamp", "state",
        "concurrencyMode", "contentType", "apiVersion", "jobType", "contentUrl", "lineEnding",
        "columnDelimiter", "numberRecordsProcessed", "numberRecordsFailed", "retries",
        "totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime",
    ]  # fmt: skip
    assert body["apiVersion"] == 59.0 and body["numberRecordsFailed"] == 1
    query = info_body(job(QUERY, operation="query", state="JobComplete", error_message=None))
    assert query["jobType"] == "V2Query" and query["isPkChunkingSupported"] is True
    assert "numberRecordsFailed" not in query and "contentUrl" not in query
    assert "errorMessage" in info_body(
        job(INGEST, state="Failed", error_message="InvalidBatch : x")
    )
    assert list_body(job(INGEST))["jobType"] == "V2Ingest"
