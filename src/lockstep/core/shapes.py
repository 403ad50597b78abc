"""What a system says an object or table looks like (``Connector.describe``).

Native types are folded into a small set of *kinds*, the same names the config uses
for canonical field types, so compatibility is a comparison of two words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["string", "text", "integer", "decimal", "float", "boolean", "date", "datetime", "id"]
KINDS: tuple[Kind, ...] = (
    "string",
    "text",
    "integer",
    "decimal",
    "float",
    "boolean",
    "date",
    "datetime",
    "id",
)

# Which native kinds can carry a canonical kind without loss (canonical -> natives).
COMPATIBLE: Mapping[Kind, frozenset[Kind]] = {
    "string": frozenset({"string", "text", "id"}),
    "text": frozenset({"text", "string"}),
    "integer": frozenset({"integer", "decimal", "float", "string", "text"}),
    "decimal": frozenset({"decimal", "float", "string", "text"}),
    "float": frozenset({"float", "decimal", "string", "text"}),
    "boolean": frozenset({"boolean", "integer", "string"}),
    "date": frozenset({"date", "datetime", "string", "text"}),
    "datetime": frozenset({"datetime", "string", "text"}),
    "id": frozenset({"id", "string", "text", "integer"}),
}


def compatible(canonical: Kind, native: Kind) -> bool:
    """Whether a canonical value of ``canonical`` kind fits a ``native`` field."""
    return native in COMPATIBLE[canonical]


@dataclass(frozen=True)
class FieldShape:
    """One field or column as the system describes it."""

    name: str
    kind: Kind
    native_type: str
    nullable: bool = True
    key: bool = False  # the native primary key (Salesforce Id, SQL primary key)
    external_id: bool = False  # usable for idempotent upserts (SF externalId; SQL unique)
    createable: bool = True
    updateable: bool = True
    length: int | None = None
    references: tuple[str, ...] = ()  # Salesforce referenceTo
    picklist: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectShape:
    """An object or table: its fields by name (case as the system spells them)."""

    name: str
    fields: Mapping[str, FieldShape] = field(default_factory=dict)

    def field(self, name: str) -> FieldShape | None:
        """The field named ``name``, compared case-insensitively as both SQL
        identifiers (mostly) and Salesforce API names are."""
        found = self.fields.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        for candidate in self.fields.values():
            if candidate.name.lower() == lowered:
                return candidate
        return None

    @property
    def key(self) -> FieldShape | None:
        return next((f for f in self.fields.values() if f.key), None)
