"""Who owns each field of an entity, and the fingerprint of what one system holds.

Every flow asks these two questions: sync to decide which values a change may carry,
reconcile to say which side is right and to mark a system *behind*, the operator's
``explain`` to show a record's state. They are rules of the canonical model, not of
any one flow, so they live here beside the mapping; pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from lockstep.config.entities import Entity
from lockstep.core.codec import fingerprint


def owner_of(entity: Entity, name: str) -> str:
    """The system that owns field or reference ``name``."""
    return entity.field_owners.get(name, entity.owner)


def project(values: Mapping[str, Any], names: Collection[str]) -> dict[str, Any]:
    """The part of ``values`` one system binds."""
    return {name: values[name] for name in names if name in values}


def print_of(values: Mapping[str, Any], names: Collection[str]) -> str:
    """The fingerprint of what a system binding ``names`` holds of ``values``."""
    return fingerprint(project(values, names))
