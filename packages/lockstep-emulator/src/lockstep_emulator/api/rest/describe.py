"""Describe results in Salesforce's documented shapes, built from the schema."""

from __future__ import annotations

from typing import Any

from lockstep_emulator.schema.model import SOAP_TYPES, FieldDef, FieldType, ObjectDef, Schema

MASTER_RT = "012000000000000AAA"


def sobject_urls(version: str, obj: ObjectDef) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def sobject_summary(version: str, obj: ObjectDef) -> dict[str, Any]:
    """The short form used by the global describe and ``sobjects/{T}``."""
    return {
        "activateable": False,
        "createable": obj.createable,
        "custom": obj.custom,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": obj.deletable,
        "deprecatedAndHidden": False,
        "feedEnabled": False,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "mergeable": obj.name in ("Account", "Contact", "Case"),
        "mruEnabled": True,
        "name": obj.name,
        "queryable": obj.queryable,
        "replicateable": True,
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": obj.deletable,
        "updateable": obj.updateable,
        "urls": sobject_urls(version, obj),
    }


def global_describe(version: str, schema: Schema) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [sobject_summary(version, o) for o in schema],
    }


def field_describe(f: FieldDef) -> dict[str, Any]:
    text = f.is_text
    return {
        "aggregatable": f.type not in (FieldType.TEXTAREA, FieldType.MULTIPICKLIST),
        "autoNumber": f.auto_number,
        "byteLength": f.length * 3 if text else 0,
        "calculated": f.calculated,
        "calculatedFormula": None,
        "cascadeDelete": f.cascade_delete,
        "caseSensitive": f.case_sensitive,
        "createable": f.createable and not f.calculated,
        "custom": f.custom,
        "defaultValue": f.default if f.type is not FieldType.BOOLEAN else bool(f.default),
        "defaultedOnCreate": f.default is not None or f.name in ("Id", "OwnerId", "CreatedDate"),
        "dependentPicklist": False,
        "digits": f.precision if f.type is FieldType.INT else 0,
        "externalId": f.external_id,
        "filterable": f.type is not FieldType.TEXTAREA,
        "groupable": f.type not in (FieldType.TEXTAREA, FieldType.DOUBLE, FieldType.DATETIME),
        "htmlFormatted": False,
        "idLookup": f.id_lookup or f.external_id,
        "label": f.label or f.name,
        "length": f.length if text else 0,
        "name": f.name,
        "nameField": f.name_field,
        "namePointing": False,
        "nillable": f.nillable and not f.required,
        "permissionable": f.custom,
        "picklistValues": [
            {
                "active": True,
                "defaultValue": value == f.default,
                "label": value,
                "validFor": None,
                "value": value,
            }
            for value in f.picklist_values
        ],
        "polymorphicForeignKey": False,
        "precision": f.precision if f.is_number and f.type is not FieldType.INT else 0,
        "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship_name,
        "relationshipOrder": 0 if f.cascade_delete else None,
        "restrictedPicklist": f.restricted_picklist,
        "scale": f.scale if f.is_number and f.type is not FieldType.INT else 0,
        "soapType": SOAP_TYPES.get(f.type, "xsd:string"),
        "sortable": f.type not in (FieldType.TEXTAREA, FieldType.MULTIPICKLIST),
        "type": f.type.value,
        "unique": f.unique,
        "updateable": f.updateable and not f.calculated,
        "writeRequiresMasterRead": False,
    }


def object_describe(version: str, obj: ObjectDef) -> dict[str, Any]:
    out = sobject_summary(version, obj)
    out["urls"] = {
        **sobject_urls(version, obj),
        "compactLayouts": f"/services/data/v{version}/sobjects/{obj.name}/describe/compactLayouts",
        "layouts": f"/services/data/v{version}/sobjects/{obj.name}/describe/layouts",
    }
    out["fields"] = [field_describe(f) for f in obj.fields.values()]
    out["childRelationships"] = [
        {
            "cascadeDelete": rel.cascade_delete,
            "childSObject": rel.child_object,
            "deprecatedAndHidden": False,
            "field": rel.field,
            "junctionIdListNames": [],
            "junctionReferenceTo": [],
            "relationshipName": rel.relationship_name,
            "restrictedDelete": False,
        }
        for rel in obj.child_relationships
    ]
    out["recordTypeInfos"] = [
        {
            "active": True,
            "available": True,
            "defaultRecordTypeMapping": True,
            "developerName": "Master",
            "master": True,
            "name": "Master",
            "recordTypeId": MASTER_RT,
            "urls": {"layout": f"{sobject_urls(version, obj)['describe']}/layouts/{MASTER_RT}"},
        }
    ]
    out["supportedScopes"] = [{"label": "All " + obj.label_plural.lower(), "name": "everything"}]
    out["networkScopeFieldName"] = None
    out["listviewable"] = None
    out["lookupLayoutable"] = None
    out["searchLayoutable"] = True
    out["actionOverrides"] = []
    out["namedLayoutInfos"] = []
    return out
