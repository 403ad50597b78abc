"""Assemble a ``Schema``: add system fields to every object and derive child relationships.

Object specs come in as plain field lists (from ``builtins`` or the YAML loader); this
module is the one place that knows which fields every sObject carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from lockstep_emulator.schema.model import (
    CaseInsensitiveMap,
    ChildRelationship,
    FieldDef,
    FieldType,
    ObjectDef,
    Schema,
    ValidationRule,
)


@dataclass(frozen=True)
class ObjectSpec:
    """An object before system fields and child relationships are added."""

    name: str
    key_prefix: str
    fields: tuple[FieldDef, ...]
    label: str = ""
    label_plural: str = ""
    custom: bool = False
    has_owner: bool = True
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    validation_rules: tuple[ValidationRule, ...] = ()
    child_names: tuple[tuple[str, str], ...] = ()  # (field, relationship name) overrides


def system_fields(has_owner: bool) -> list[FieldDef]:
    """Fields every record has; none of them can be written by a client."""
    fields = [
        FieldDef(
            "Id",
            FieldType.ID,
            "Record ID",
            length=18,
            nillable=False,
            id_lookup=True,
            createable=False,
            updateable=False,
        ),
        FieldDef(
            "IsDeleted",
            FieldType.BOOLEAN,
            "Deleted",
            nillable=False,
            createable=False,
            updateable=False,
        ),
        FieldDef(
            "CreatedDate",
            FieldType.DATETIME,
            "Created Date",
            nillable=False,
            createable=False,
            updateable=False,
        ),
        FieldDef(
            "CreatedById",
            FieldType.REFERENCE,
            "Created By ID",
            length=18,
            nillable=False,
            reference_to=("User",),
            relationship_name="CreatedBy",
            createable=False,
            updateable=False,
        ),
        FieldDef(
            "LastModifiedDate",
            FieldType.DATETIME,
            "Last Modified Date",
            nillable=False,
            createable=False,
            updateable=False,
        ),
        FieldDef(
            "LastModifiedById",
            FieldType.REFERENCE,
            "Last Modified By ID",
            length=18,
            nillable=False,
            reference_to=("User",),
            relationship_name="LastModifiedBy",
            createable=False,
            updateable=False,
        ),
        FieldDef(
            "SystemModstamp",
            FieldType.DATETIME,
            "System Modstamp",
            nillable=False,
            createable=False,
            updateable=False,
        ),
    ]
    if has_owner:
        fields.append(
            FieldDef(
                "OwnerId",
                FieldType.REFERENCE,
                "Owner ID",
                length=18,
                nillable=False,
                reference_to=("User",),
                relationship_name="Owner",
            )
        )
    return fields


def build_schema(specs: Iterable[ObjectSpec]) -> Schema:
    """A ``Schema`` from specs, with system fields and child relationships filled in."""
    specs = list(specs)
    objects: dict[str, ObjectDef] = {}
    for spec in specs:
        fields: dict[str, FieldDef] = {}
        declared = list(spec.fields)
        if spec.custom and not any(f.name_field or f.name.lower() == "name" for f in declared):
            declared.insert(
                0,
                FieldDef(
                    "Name",
                    FieldType.STRING,
                    label=f"{spec.label or spec.name} Name",
                    length=80,
                    name_field=True,
                ),
            )
        for f in (*system_fields(spec.has_owner), *declared):
            if f.name.lower() in {k.lower() for k in fields}:
                continue
            fields[f.name] = f if f.label else replace(f, label=f.name)
        objects[spec.name] = ObjectDef(
            name=spec.name,
            key_prefix=spec.key_prefix,
            fields=CaseInsensitiveMap(fields),
            label=spec.label or spec.name,
            label_plural=spec.label_plural or (spec.label or spec.name) + "s",
            custom=spec.custom,
            createable=spec.createable,
            updateable=spec.updateable,
            deletable=spec.deletable,
            validation_rules=spec.validation_rules,
        )
    names = {s.name: s for s in specs}
    children: dict[str, list[ChildRelationship]] = {n: [] for n in objects}
    for obj in objects.values():
        overrides = dict(names[obj.name].child_names)
        for f in obj.fields.values():
            if f.type is not FieldType.REFERENCE or f.name in {"CreatedById", "LastModifiedById"}:
                continue
            if f.name in {"OwnerId", "RecordTypeId"}:
                continue
            for target in f.reference_to:
                if target not in children:
                    continue
                rel = overrides.get(f.name) or _default_child_name(obj, f)
                children[target].append(
                    ChildRelationship(rel, obj.name, f.name, cascade_delete=f.cascade_delete)
                )
    return Schema(
        {n: replace(o, child_relationships=tuple(children[n])) for n, o in objects.items()}
    )


def _default_child_name(child: ObjectDef, field: FieldDef) -> str:
    """``Contacts`` for Contact.AccountId; ``Usages__r`` for Usage__c.Contract__c."""
    if child.custom or field.custom:
        base = child.label_plural.replace(" ", "_") if child.custom else child.name + "s"
        return base.removesuffix("__c") + "__r"
    return child.label_plural.replace(" ", "")


def merge(base: Sequence[ObjectSpec], extra: Sequence[ObjectSpec]) -> list[ObjectSpec]:
    """Built-ins plus a user's objects; a user's spec of a built-in adds fields to it."""
    out = {s.name.lower(): s for s in base}
    for spec in extra:
        current = out.get(spec.name.lower())
        if current is None:
            out[spec.name.lower()] = spec
            continue
        out[spec.name.lower()] = replace(
            current,
            fields=current.fields + spec.fields,
            validation_rules=current.validation_rules + spec.validation_rules,
            child_names=current.child_names + spec.child_names,
        )
    return list(out.values())
