"""``GET sobjects/{obj}/describe`` as an ``ObjectShape``.

Salesforce field types fold into kinds:

============================================================  ==========
id, reference                                                  id
string, picklist, multipicklist, combobox, email, phone, url,  string
encryptedstring, time, anyType; textarea of at most 255
textarea longer than 255, base64                               text
int, long                                                      integer
double, currency, percent                                      decimal
boolean / date / datetime                                      the same
============================================================  ==========

Numbers are ``decimal``, not ``float``: currency must not pick up binary rounding,
Salesforce declares a precision and scale for every number field, and SQL systems
hold them as ``NUMERIC``. Compound fields (address, location) are left out: their
parts are fields of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstep.core.shapes import FieldShape, Kind, ObjectShape

KINDS: Mapping[str, Kind] = {
    "id": "id",
    "reference": "id",
    "string": "string",
    "picklist": "string",
    "multipicklist": "string",
    "combobox": "string",
    "email": "string",
    "phone": "string",
    "url": "string",
    "encryptedstring": "string",
    "time": "string",
    "anytype": "string",
    "base64": "text",
    "int": "integer",
    "long": "integer",
    "double": "decimal",
    "currency": "decimal",
    "percent": "decimal",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}
COMPOUND = frozenset({"address", "location", "complexvalue"})
SHORT_TEXT = 255


def kind_of(native_type: str, length: int | None) -> Kind | None:
    """The kind of a Salesforce field type; ``None`` for a compound field."""
    lowered = native_type.lower()
    if lowered == "textarea":
        return "string" if length is not None and 0 < length <= SHORT_TEXT else "text"
    if lowered in COMPOUND:
        return None
    return KINDS.get(lowered, "string")


def field_shape(data: Mapping[str, Any]) -> FieldShape | None:
    """One entry of a describe's ``fields``."""
    native_type = str(data.get("type", "string"))
    length = data.get("length") or None
    kind = kind_of(native_type, length)
    if kind is None:
        return None
    picklist = tuple(
        str(entry["value"])
        for entry in data.get("picklistValues") or ()
        if entry.get("active", True) and entry.get("value") is not None
    )
    return FieldShape(
        name=str(data["name"]),
        kind=kind,
        native_type=native_type,
        nullable=bool(data.get("nillable", True)),
        key=native_type == "id",
        external_id=bool(data.get("externalId", False)),
        createable=bool(data.get("createable", True)),
        updateable=bool(data.get("updateable", True)),
        length=int(length) if length else None,
        references=tuple(data.get("referenceTo") or ()),
        picklist=picklist,
    )


def object_shape(describe: Mapping[str, Any]) -> ObjectShape:
    """The shape of an object from its describe reply."""
    shapes = (field_shape(entry) for entry in describe.get("fields", ()))
    return ObjectShape(
        name=str(describe["name"]), fields={f.name: f for f in shapes if f is not None}
    )
