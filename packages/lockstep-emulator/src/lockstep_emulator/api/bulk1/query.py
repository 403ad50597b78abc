"""Query batches: the SOQL runs once, and its rows are kept as one result set, written
in the job's format when a client asks for it.

The query is compiled and flattened exactly as Bulk API 2.0 does it (``bulk2.extract``:
same restrictions, parent fields as ``Account.Name`` columns), so both APIs return
the same rows for the same SOQL.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import orjson

from lockstep_emulator.api.bulk1.wire import CSV, DECLARATION, JSON, NS, XML, XSI
from lockstep_emulator.api.bulk2.csv_layout import layout
from lockstep_emulator.api.bulk2.dialect import Dialect
from lockstep_emulator.api.bulk2.extract import compile_bulk_query
from lockstep_emulator.org import Org

EMPTY_CSV = b"Records not found for this query"


@dataclass(frozen=True)
class QueryRows:
    object: str
    names: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # booleans as bool (or None)


def run_query(org: Org, soql: str, *, include_deleted: bool) -> QueryRows:
    """Every row of ``soql``; ``SalesforceError`` when it does not compile."""
    plan = compile_bulk_query(
        org.schema, soql, now=org.clock.now(), include_deleted=include_deleted
    )
    columns = layout(plan.shape)
    conn = org.db.read_connection()
    try:
        cursor = conn.cursor()
        cursor.row_factory = None
        fetched = cursor.execute(plan.sql, plan.params).fetchall()
    finally:
        conn.close()
    flags = [position in columns.booleans for position in range(len(columns.indexes))]
    rows = tuple(
        tuple(
            (None if r[i] is None else bool(r[i])) if flag else r[i]
            for i, flag in zip(columns.indexes, flags, strict=True)
        )
        for r in fetched
    )
    return QueryRows(plan.shape.sobject, columns.names, rows)


def render(result: QueryRows, content_type: str, version: str) -> tuple[bytes, str]:
    if content_type == "CSV":
        if not result.rows:
            return EMPTY_CSV, CSV
        rows = [[_csv_value(v) for v in row] for row in result.rows]
        return Dialect().format_rows([result.names, *rows]), CSV
    records = [_record(result, row, version) for row in result.rows]
    if content_type == "JSON":
        return orjson.dumps(records), JSON
    root = ET.Element("queryResult", xmlns=NS)
    for record in records:
        element = ET.SubElement(root, "records", {f"{{{XSI}}}type": "sObject"})
        _xml_fields(element, record)
    return DECLARATION + ET.tostring(root), XML


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _record(result: QueryRows, row: tuple[Any, ...], version: str) -> dict[str, Any]:
    record: dict[str, Any] = {"attributes": {"type": result.object}}
    record_id = None
    for name, value in zip(result.names, row, strict=True):
        *parents, leaf = name.split(".")
        node = record
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
        if name == "Id":
            record_id = value
    if record_id:
        record["attributes"]["url"] = (
            f"/services/data/v{version}/sobjects/{result.object}/{record_id}"
        )
    return record


def _xml_fields(element: ET.Element, record: dict[str, Any]) -> None:
    for key, value in record.items():
        if key == "attributes":
            ET.SubElement(element, "type").text = value["type"]
        elif isinstance(value, dict):
            if all(v is None for v in value.values()):
                ET.SubElement(element, key, {f"{{{XSI}}}nil": "true"})
            else:
                _xml_fields(ET.SubElement(element, key, {f"{{{XSI}}}type": "sObject"}), value)
        elif value is None:
            ET.SubElement(element, key, {f"{{{XSI}}}nil": "true"})
        elif isinstance(value, bool):
            ET.SubElement(element, key).text = "true" if value else "false"
        else:
            ET.SubElement(element, key).text = str(value)
