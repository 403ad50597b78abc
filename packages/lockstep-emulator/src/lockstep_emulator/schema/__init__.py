"""Object and field definitions: the built-in standard objects plus a user's YAML file."""

from lockstep_emulator.schema.model import (
    FieldDef,
    FieldType,
    ObjectDef,
    Rollup,
    Schema,
)

__all__ = ["FieldDef", "FieldType", "ObjectDef", "Rollup", "Schema"]
