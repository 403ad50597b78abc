"""Bulk API 1.0's three formats: reading job definitions and batches, writing infos,
results and errors.

A job's ``contentType`` decides the format of everything about it: JSON jobs are
answered in JSON, CSV and XML jobs in XML (and their results in CSV or XML). Records
from an XML or JSON batch become CSV-like rows (a header of field names, nested
objects as ``Account.External_Id__c``, nil as ``#N/A``), so every format goes
through the same ingest code as Bulk API 2.0's CSV.

Reply content types are sent bare (``application/xml``, not ``…; charset=UTF-8``):
the ``salesforce_bulk`` client compares them with ``==``.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import orjson

from lockstep_emulator.api.bulk2.columns import NULL
from lockstep_emulator.api.bulk2.dialect import Dialect
from lockstep_emulator.errors import SalesforceError

NS = "http://www.force.com/2009/06/asyncapi/dataload"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML, JSON, CSV = "application/xml", "application/json", "text/csv"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
ET.register_namespace("xsi", XSI)


class Bulk1Error(SalesforceError):
    """A Bulk API 1.0 error: ``exceptionCode`` is one of Salesforce's AsyncExceptionCode."""

    @classmethod
    def of(cls, exc: SalesforceError) -> Bulk1Error:
        if isinstance(exc, Bulk1Error):
            return exc
        if exc.error_code == "INVALID_SESSION_ID":
            return cls("InvalidSessionId", "Invalid session id", status=400)
        return cls(exc.error_code, exc.message, status=exc.status)


def wants_json(content_type: str) -> bool:
    return "json" in content_type.lower()


def error_body(exc: Bulk1Error, json: bool) -> tuple[bytes, str]:
    if json:
        body = {"exceptionCode": exc.error_code, "exceptionMessage": exc.message}
        return orjson.dumps(body), JSON
    root = ET.Element("error", xmlns=NS)
    ET.SubElement(root, "exceptionCode").text = exc.error_code
    ET.SubElement(root, "exceptionMessage").text = exc.message
    return DECLARATION + ET.tostring(root), XML


def info_body(tag: str, info: dict[str, Any], json: bool) -> tuple[bytes, str]:
    """A ``jobInfo`` or ``batchInfo``."""
    if json:
        return orjson.dumps(info), JSON
    return DECLARATION + ET.tostring(_info_element(tag, info, xmlns=NS)), XML


def batch_list_body(infos: list[dict[str, Any]], json: bool) -> tuple[bytes, str]:
    if json:
        return orjson.dumps({"batchInfo": infos}), JSON
    root = ET.Element("batchInfoList", xmlns=NS)
    for info in infos:
        root.append(_info_element("batchInfo", info))
    return DECLARATION + ET.tostring(root), XML


def _info_element(tag: str, info: dict[str, Any], xmlns: str | None = None) -> ET.Element:
    root = ET.Element(tag, {"xmlns": xmlns} if xmlns else {})
    for key, value in info.items():
        ET.SubElement(root, key).text = _text(value)
    return root


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_document(body: bytes, content_type: str) -> dict[str, Any]:
    """A ``jobInfo`` request as a flat dict (XML or JSON, by ``content_type``)."""
    if wants_json(content_type):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise Bulk1Error("InvalidJob", f"Unable to parse the JSON request: {exc}") from None
        if not isinstance(data, dict):
            raise Bulk1Error("InvalidJob", "The request body must be a JSON object")
        return data
    root = _xml(body, "InvalidXML")
    return {_local(child.tag): (child.text or "").strip() for child in root}


def _xml(body: bytes, code: str) -> ET.Element:
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise Bulk1Error(code, "DOCTYPE is not allowed in the request")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise Bulk1Error(code, f"Unable to parse the XML request: {exc}") from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# --- batches → rows ---------------------------------------------------------------


def csv_rows(body: bytes) -> list[list[str]]:
    """A CSV batch's rows, header first; ``Bulk1Error`` when it cannot be read."""
    try:
        return [row for row in Dialect().rows(body.decode("utf-8-sig")) if row]
    except UnicodeDecodeError:
        raise Bulk1Error("InvalidBatch", "The batch is not valid UTF-8") from None
    except csv.Error as exc:
        raise Bulk1Error("InvalidBatch", f"Failed to parse CSV: {exc}") from None


def xml_rows(body: bytes) -> list[list[str]]:
    """An ``<sObjects>`` batch as rows, header first."""
    root = _xml(body, "InvalidBatch")
    if _local(root.tag) != "sObjects":
        raise Bulk1Error("InvalidBatch", f"Expected sObjects, found {_local(root.tag)}")
    return _rows([_xml_record(child) for child in root])


def _xml_record(element: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        if name == "fieldsToNull":
            out[(child.text or "").strip()] = None
        elif child.get(f"{{{XSI}}}nil") == "true":
            out[name] = None
        elif len(child):
            out[name] = _xml_record(child)
        elif name != "type":
            out[name] = child.text or ""
    return out


def json_rows(body: bytes) -> list[list[str]]:
    """A JSON array of records as rows, header first."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Bulk1Error("InvalidBatch", f"Failed to parse JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise Bulk1Error("InvalidBatch", "A JSON batch must be an array of objects")
    return _rows(data)


def _rows(records: list[dict[str, Any]]) -> list[list[str]]:
    flat = [_flatten(r, "") for r in records]
    header = list(dict.fromkeys(name for r in flat for name in r))
    return [header, *([r.get(name, "") for name in header] for r in flat)]


def _flatten(record: dict[str, Any], prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in record.items():
        if key == "attributes" or key == "":
            continue
        if isinstance(value, dict):
            out |= _flatten(value, f"{prefix}{key}.")
        elif value is None:
            out[prefix + key] = NULL
        elif isinstance(value, bool):
            out[prefix + key] = "true" if value else "false"
        elif isinstance(value, str):
            out[prefix + key] = value
        else:
            out[prefix + key] = orjson.dumps(value).decode()
    return out


# --- results ----------------------------------------------------------------------


def result_ids_body(ids: Sequence[str], json: bool) -> tuple[bytes, str]:
    if json:
        return orjson.dumps(list(ids)), JSON
    root = ET.Element("result-list", xmlns=NS)
    for rid in ids:
        ET.SubElement(root, "result").text = rid
    return DECLARATION + ET.tostring(root), XML


def dml_results(outcomes: Sequence[Any], content_type: str) -> tuple[bytes, str]:
    """Per-record results in input order, in the job's format."""
    if content_type == "CSV":
        rows: list[list[str]] = [["Id", "Success", "Created", "Error"]]
        for o in outcomes:
            error = o.error
            text = (
                f"{error.error_code}:{error.message}:{','.join(error.fields)} --"
                if error is not None
                else ""
            )
            rows.append([o.id or "", _text(error is None), _text(o.created), text])
        return Dialect().format_rows(rows), CSV
    if content_type == "JSON":
        body = [
            {
                "success": o.error is None,
                "created": o.created,
                "id": o.id,
                "errors": [] if o.error is None else [o.error.as_status()],
            }
            for o in outcomes
        ]
        return orjson.dumps(body), JSON
    root = ET.Element("results", xmlns=NS)
    for o in outcomes:
        result = ET.SubElement(root, "result")
        if o.id:
            ET.SubElement(result, "id").text = o.id
        else:
            ET.SubElement(result, "id", {f"{{{XSI}}}nil": "true"})
        if o.error is not None:
            errors = ET.SubElement(result, "errors")
            for name in o.error.fields:
                ET.SubElement(errors, "fields").text = name
            ET.SubElement(errors, "message").text = o.error.message
            ET.SubElement(errors, "statusCode").text = o.error.error_code
        ET.SubElement(result, "success").text = _text(o.error is None)
        ET.SubElement(result, "created").text = _text(o.created)
    return DECLARATION + ET.tostring(root), XML
