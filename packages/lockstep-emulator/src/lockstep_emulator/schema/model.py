"""The emulator's schema: frozen values that describe objects, fields and relationships.

Names are matched case-insensitively everywhere, as Salesforce does; the ``name`` kept
on each definition is the canonical API name used for table and column names and in
every response.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class FieldType(StrEnum):
    """Salesforce field types (the ``type`` of a field in describe)."""

    ID = "id"
    STRING = "string"
    TEXTAREA = "textarea"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    PICKLIST = "picklist"
    MULTIPICKLIST = "multipicklist"
    BOOLEAN = "boolean"
    INT = "int"
    DOUBLE = "double"
    CURRENCY = "currency"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"
    REFERENCE = "reference"


TEXT_TYPES = frozenset(
    {
        FieldType.ID,
        FieldType.STRING,
        FieldType.TEXTAREA,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.PICKLIST,
        FieldType.MULTIPICKLIST,
        FieldType.REFERENCE,
    }
)
NUMBER_TYPES = frozenset({FieldType.INT, FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT})

SOAP_TYPES: Mapping[FieldType, str] = {
    FieldType.ID: "tns:ID",
    FieldType.REFERENCE: "tns:ID",
    FieldType.BOOLEAN: "xsd:boolean",
    FieldType.INT: "xsd:int",
    FieldType.DOUBLE: "xsd:double",
    FieldType.CURRENCY: "xsd:double",
    FieldType.PERCENT: "xsd:double",
    FieldType.DATE: "xsd:date",
    FieldType.DATETIME: "xsd:dateTime",
}


@dataclass(frozen=True)
class Rollup:
    """A roll-up summary: COUNT of child rows, or SUM/MIN/MAX of a child field.

    ``child_object`` and ``child_field`` name the child; ``via`` is the child's
    reference field that points at the parent.
    """

    function: str  # COUNT | SUM | MIN | MAX
    child_object: str
    via: str
    child_field: str | None = None


@dataclass(frozen=True)
class FieldDef:
    """One field of an object.

    ``createable``/``updateable`` are False for system and computed fields. A
    reference field has ``reference_to`` (target object names) and a
    ``relationship_name`` (``Account`` for ``AccountId``, ``Foo__r`` for ``Foo__c``).
    """

    name: str
    type: FieldType
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    required: bool = False
    nillable: bool = True
    unique: bool = False
    external_id: bool = False
    case_sensitive: bool = False
    createable: bool = True
    updateable: bool = True
    default: object = None
    picklist_values: tuple[str, ...] = ()
    restricted_picklist: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    cascade_delete: bool = False  # master-detail
    rollup: Rollup | None = None
    custom: bool = False
    auto_number: bool = False
    display_format: str = "{00000000}"  # an auto-number's, see schema.auto_number
    starting_number: int = 1
    name_field: bool = False
    id_lookup: bool = False

    @property
    def calculated(self) -> bool:
        return self.rollup is not None

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES

    @property
    def is_number(self) -> bool:
        return self.type in NUMBER_TYPES


class CaseInsensitiveMap(Mapping[str, "FieldDef"]):
    """A read-only mapping keyed case-insensitively, iterating in definition order."""

    def __init__(self, items: Mapping[str, FieldDef]) -> None:
        self._items = dict(items)
        self._lower = {k.lower(): v for k, v in items.items()}

    def __getitem__(self, key: str) -> FieldDef:
        return self._lower[key.lower()]

    def get(self, key: str, default: FieldDef | None = None) -> FieldDef | None:  # type: ignore[override]
        return self._lower.get(key.lower(), default)

    def values(self) -> ValuesView[FieldDef]:
        return self._items.values()

    def items(self) -> ItemsView[str, FieldDef]:
        return self._items.items()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._lower

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CaseInsensitiveMap) and self._items == other._items


@dataclass(frozen=True)
class ChildRelationship:
    """A child relationship seen from the parent: ``Contacts`` on Account."""

    relationship_name: str
    child_object: str
    field: str
    cascade_delete: bool = False


@dataclass(frozen=True)
class ValidationRule:
    """A named rule: when ``expression`` is true, the save fails with ``message``."""

    name: str
    expression: str
    message: str
    field: str | None = None


@dataclass(frozen=True)
class ObjectDef:
    """One sObject: its API name, key prefix, fields and child relationships."""

    name: str
    key_prefix: str
    fields: CaseInsensitiveMap
    label: str = ""
    label_plural: str = ""
    custom: bool = False
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    queryable: bool = True
    child_relationships: tuple[ChildRelationship, ...] = ()
    validation_rules: tuple[ValidationRule, ...] = field(default=())

    def field(self, name: str) -> FieldDef | None:
        """The field called ``name`` (any case), or None."""
        return self.fields.get(name)

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationship name is ``name`` (any case)."""
        lowered = name.lower()
        for f in self.fields.values():
            if f.relationship_name and f.relationship_name.lower() == lowered:
                return f
        return None

    def child_relationship(self, name: str) -> ChildRelationship | None:
        """The child relationship called ``name`` (any case), or None."""
        lowered = name.lower()
        for rel in self.child_relationships:
            if rel.relationship_name.lower() == lowered:
                return rel
        return None

    @cached_property
    def required_fields(self) -> tuple[FieldDef, ...]:
        """Fields a client must give a value on create (checked on every write)."""
        return tuple(f for f in self.fields.values() if f.required and f.createable)

    @cached_property
    def defaulted_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields.values() if f.default is not None and not f.rollup)

    @cached_property
    def writable_references(self) -> tuple[FieldDef, ...]:
        """Reference fields a client can set (system audit fields excluded)."""
        audit = {"CreatedById", "LastModifiedById"}
        return tuple(
            f for f in self.fields.values() if f.type is FieldType.REFERENCE and f.name not in audit
        )

    @cached_property
    def unique_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields.values() if f.unique)

    @property
    def name_field(self) -> FieldDef | None:
        for f in self.fields.values():
            if f.name_field:
                return f
        return None


class Schema:
    """Every object of one org, looked up by name (any case) or by key prefix."""

    def __init__(self, objects: Mapping[str, ObjectDef]) -> None:
        self._objects = dict(objects)
        self._lower = {k.lower(): v for k, v in objects.items()}
        self._by_prefix = {o.key_prefix: o for o in objects.values()}

    def get(self, name: str) -> ObjectDef | None:
        """The object called ``name`` (any case), or None."""
        return self._lower.get(name.lower())

    def by_prefix(self, prefix: str) -> ObjectDef | None:
        """The object whose ids start with ``prefix``, or None."""
        return self._by_prefix.get(prefix)

    def __iter__(self) -> Iterator[ObjectDef]:
        return iter(self._objects.values())

    def __len__(self) -> int:
        return len(self._objects)

    def names(self) -> list[str]:
        return list(self._objects)
