"""A real SQLite database in the store's layout, with the built-in objects plus a few
custom ones (a roll-up, a multi-select picklist, a master-detail chain), and a helper
that inserts rows already in their stored form.

(A uniquely named module rather than ``conftest``, so tests can import it without
colliding with other test directories' conftest modules.)"""

from __future__ import annotations

import itertools
import sqlite3
from datetime import UTC, datetime
from typing import Any

from lockstep_emulator import ids
from lockstep_emulator.schema.build import ObjectSpec, build_schema, merge
from lockstep_emulator.schema.builtins import BUILTINS
from lockstep_emulator.schema.model import FieldDef, FieldType, Rollup, Schema
from lockstep_emulator.soql import QueryCursor, execute
from lockstep_emulator.store.layout import create_table_sql

NOW = datetime(2024, 5, 15, 13, 30, tzinfo=UTC)  # a Wednesday

T = FieldType

INVOICE = ObjectSpec(
    "Invoice__c",
    "a01",
    (
        FieldDef("Name", T.STRING, length=80, name_field=True),
        FieldDef(
            "Account__c",
            T.REFERENCE,
            reference_to=("Account",),
            relationship_name="Account__r",
            custom=True,
        ),
        FieldDef("Amount__c", T.CURRENCY, custom=True),
        FieldDef("Paid__c", T.BOOLEAN, nillable=False, custom=True),
        FieldDef("Due__c", T.DATE, custom=True),
        FieldDef("Tags__c", T.MULTIPICKLIST, picklist_values=("a", "b", "c"), custom=True),
    ),
    label="Invoice",
    label_plural="Invoices",
    custom=True,
)

LINE = ObjectSpec(
    "Line__c",
    "a02",
    (
        FieldDef("Name", T.STRING, length=80, name_field=True),
        FieldDef(
            "Invoice__c",
            T.REFERENCE,
            reference_to=("Invoice__c",),
            relationship_name="Invoice__r",
            cascade_delete=True,
            custom=True,
        ),
        FieldDef("Quantity__c", T.INT, custom=True),
    ),
    label="Line",
    label_plural="Lines",
    custom=True,
    has_owner=False,
)

ACCOUNT_ROLLUPS = ObjectSpec(
    "Account",
    "001",
    (
        FieldDef(
            "Invoice_Total__c",
            T.CURRENCY,
            custom=True,
            createable=False,
            updateable=False,
            rollup=Rollup("SUM", "Invoice__c", "Account__c", "Amount__c"),
        ),
        FieldDef(
            "Invoice_Count__c",
            T.INT,
            custom=True,
            createable=False,
            updateable=False,
            rollup=Rollup("COUNT", "Invoice__c", "Account__c"),
        ),
    ),
)


class Db:
    """An in-memory database in the store's layout; ``add`` inserts one stored row."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        for obj in schema:
            for stmt in create_table_sql(obj):
                self.conn.execute(stmt)
        self.conn.commit()
        self._counter = itertools.count(1)
        self.user = self.add("User", Username="u@x", LastName="Admin", Name="Ada Admin", Alias="a")

    def add(self, sobject: str, **values: Any) -> str:
        obj = self.schema.get(sobject)
        assert obj is not None
        record_id = ids.make_id(obj.key_prefix, "0A", next(self._counter))
        stamp = "2024-01-01T00:00:00.000+0000"
        row: dict[str, Any] = {
            "Id": record_id,
            "IsDeleted": 0,
            "CreatedDate": stamp,
            "LastModifiedDate": stamp,
            "SystemModstamp": stamp,
            "CreatedById": getattr(self, "user", record_id),
            "LastModifiedById": getattr(self, "user", record_id),
        }
        if obj.field("OwnerId") is not None:
            row["OwnerId"] = getattr(self, "user", record_id)
        for key, value in values.items():
            f = obj.field(key)
            assert f is not None, key
            row[f.name] = int(value) if isinstance(value, bool) else value
        cols = ", ".join(f'"{k}"' for k in row)
        marks = ", ".join("?" for _ in row)
        self.conn.execute(f'INSERT INTO "{obj.name}" ({cols}) VALUES ({marks})', list(row.values()))
        self.conn.commit()
        return record_id

    def query(self, soql: str, **kw: Any) -> QueryCursor:
        kw.setdefault("now", NOW)
        return execute(self.conn, self.schema, soql, **kw)

    def records(self, soql: str, **kw: Any) -> list[dict[str, Any]]:
        """Every record of ``soql``, fetched in pages of 1000."""
        cursor = self.query(soql, **kw)
        out: list[dict[str, Any]] = []
        while not cursor.done:
            page = cursor.fetch(1000)
            out.extend(page)
            if not page:
                break
        return out

    def values(self, soql: str, key: str = "Name", **kw: Any) -> list[Any]:
        return [r[key] for r in self.records(soql, **kw)]


def make_schema() -> Schema:
    return build_schema(merge(BUILTINS, [INVOICE, LINE, ACCOUNT_ROLLUPS]))
