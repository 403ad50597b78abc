"""From a schema file's validated field models to ``FieldDef``s, with Salesforce's defaults.

Pure functions: the loader resolves names (reference targets, roll-up children) first
and hands them in, so nothing here needs the rest of the file.
"""

from __future__ import annotations

from typing import Any

from lockstep_emulator.schema.auto_number import DEFAULT_FORMAT
from lockstep_emulator.schema.file_format import (
    AutoNumberField,
    BooleanField,
    DateField,
    FieldModel,
    MasterDetailField,
    NameField,
    NumberField,
    PicklistField,
    ReferenceField,
    RollupField,
    TextField,
)
from lockstep_emulator.schema.model import FieldDef, FieldType

TEXT_LENGTH = {"string": 255, "textarea": 32768, "email": 80, "phone": 40, "url": 255}
PICKLIST_LENGTH = {"picklist": 255, "multipicklist": 4099}


def name_field(object_label: str, spec: NameField | None) -> FieldDef:
    """A custom object's ``Name``: 80 characters of text, or a read-only auto-number."""
    if spec is not None and spec.type == "auto_number":
        return FieldDef(
            "Name", FieldType.STRING, label=spec.label or f"{object_label} Number", length=30,
            nillable=False, createable=False, updateable=False, auto_number=True,
            name_field=True, display_format=spec.display_format or DEFAULT_FORMAT,
            starting_number=1 if spec.starting_number is None else spec.starting_number,
        )  # fmt: skip
    label = spec.label if spec is not None and spec.label else f"{object_label} Name"
    return FieldDef("Name", FieldType.STRING, label=label, length=80, name_field=True)


def field_def(key: str, model: FieldModel, target: str | None) -> FieldDef:
    """The definition of a non-roll-up field; ``target`` is a reference's resolved parent."""
    common: dict[str, Any] = {"label": model.label or label_of(key), "custom": True}
    match model:
        case TextField():
            return FieldDef(
                key, FieldType(model.type), length=model.length or TEXT_LENGTH[model.type],
                required=model.required, nillable=not model.required, unique=model.unique,
                external_id=model.external_id, case_sensitive=model.case_sensitive,
                default=model.default, id_lookup=model.unique or model.external_id, **common,
            )  # fmt: skip
        case PicklistField():
            return FieldDef(
                key, FieldType(model.type), length=PICKLIST_LENGTH[model.type],
                required=model.required, nillable=not model.required, default=model.default,
                picklist_values=tuple(model.values), restricted_picklist=model.restricted,
                **common,
            )  # fmt: skip
        case BooleanField():
            return FieldDef(key, FieldType.BOOLEAN, nillable=False, default=model.default, **common)
        case NumberField():
            return FieldDef(
                key, FieldType(model.type), precision=model.precision, scale=model.scale,
                required=model.required, nillable=not model.required, unique=model.unique,
                external_id=model.external_id, default=model.default,
                id_lookup=model.unique or model.external_id, **common,
            )  # fmt: skip
        case DateField():
            return FieldDef(
                key, FieldType(model.type), required=model.required,
                nillable=not model.required, **common,
            )  # fmt: skip
        case ReferenceField() | MasterDetailField():
            detail = isinstance(model, MasterDetailField)
            required = detail or (isinstance(model, ReferenceField) and model.required)
            return FieldDef(
                key, FieldType.REFERENCE, length=18, required=required, nillable=not required,
                reference_to=(target or model.to,),
                relationship_name=with_r(model.relationship_name or key.removesuffix("__c")),
                cascade_delete=detail, **common,
            )  # fmt: skip
        case AutoNumberField():
            return FieldDef(
                key, FieldType.STRING, length=30, nillable=False, createable=False,
                updateable=False, auto_number=True, external_id=model.external_id,
                id_lookup=model.external_id, display_format=model.display_format,
                starting_number=model.starting_number, **common,
            )  # fmt: skip
        case RollupField():  # pragma: no cover - the loader builds roll-ups
            raise AssertionError("roll-ups need their child's field: see loader._rollup_def")


def with_r(name: str) -> str:
    """Relationship names end with ``__r``; the file may leave the suffix out."""
    return name if name.endswith("__r") else name + "__r"


def label_of(api_name: str) -> str:
    """``Units_Consumed__c`` → ``Units Consumed``."""
    return api_name.removesuffix("__c").replace("_", " ")
