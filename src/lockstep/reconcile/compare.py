"""What reconcile finds, decided without I/O: one entity's records as each system holds
them, lined up by global id, compared field by field with each field's owner.

For every system ``S`` bound to the entity and every record:

- ``create``: a system that owns some of the record's fields has it, ``S`` does not
  (never synced, or linked to a record that is gone);
- ``update``: ``S`` holds a value its owner does not (``changes`` say which, as
  ``field: S's value -> the owner's``);
- ``unchanged``: ``S`` agrees with the owners of every field both bind;
- ``skip``: ``S`` holds a record lockstep knows nowhere else (not linked), or one that
  no owner holds: reported, never deleted.

The owner of a field is ``field_owners`` or the entity's ``owner`` (as in sync).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lockstep.config.entities import Entity
from lockstep.mapping.record import kind_of
from lockstep.mapping.values import same
from lockstep.migrate.model import FieldChange, PlanItem
from lockstep.sync.decide import owner_of


@dataclass(frozen=True)
class Held:
    """One record as one system holds it: its native key, canonical values with
    references as global ids (an unlinked parent as ``?<native id>``), and the
    housekeeping fields read with it."""

    key: str
    values: Mapping[str, Any]
    house: Mapping[str, Any]


@dataclass(frozen=True)
class Side:
    """What one system holds of the entity: records by global id, the unlinked ones,
    and the canonical names the system binds."""

    system: str
    linked: Mapping[str, Held]
    unlinked: Sequence[Held]
    names: frozenset[str]


def compare(name: str, entity: Entity, sides: Mapping[str, Side]) -> list[PlanItem]:
    """A ``PlanItem`` per record and system (see the module docstring), global ids in
    sorted order, the unlinked records last."""
    items: list[PlanItem] = []
    gids = sorted({gid for side in sides.values() for gid in side.linked})
    for gid in gids:
        items.extend(_one(name, entity, sides, gid, side) for side in sides.values())
    for system, side in sides.items():
        owns = any(owner_of(entity, n) == system for n in side.names)
        for held in side.unlinked:
            reason = "not linked: lockstep neither created nor matched it"
            if owns:  # an owner's record lockstep never carried: the others lack it
                for other in sides.values():
                    if other.system != system:
                        items.append(
                            PlanItem(
                                name,
                                system,
                                other.system,
                                held.key,
                                "create",
                                reason=f"never synced from {system}",
                            )
                        )
            else:
                items.append(PlanItem(name, system, system, held.key, "skip", reason=reason))
    return items


def _one(name: str, entity: Entity, sides: Mapping[str, Side], gid: str, side: Side) -> PlanItem:
    mine = side.linked.get(gid)
    references: dict[str, tuple[str, Held]] = {}  # field -> (its owner, the owner's record)
    for field in side.names:
        owner = owner_of(entity, field)
        held = sides[owner].linked.get(gid) if owner in sides else None
        if held is not None and field in sides[owner].names:
            references[field] = (owner, held)
    source = entity.owner if entity.owner in sides else side.system
    source_held = sides[source].linked.get(gid) if source in sides else None
    source_key = source_held.key if source_held else (mine.key if mine else "")
    base = PlanItem(
        name, source, side.system, source_key, "unchanged", gid, mine.key if mine else None
    )
    if mine is None:
        if side.system == entity.owner:
            return _with(base, "skip", f"gone from {side.system}, which owns it: not restored")
        if source_held is None:
            return _with(base, "skip", f"not in {source}, which owns it")
        return _with(base, "create", f"missing in {side.system}")
    changes = tuple(
        FieldChange(field, mine.values.get(field), held.values.get(field))
        for field, (owner, held) in sorted(references.items())
        if owner != side.system
        and field in held.values
        and not same(mine.values.get(field), held.values.get(field), kind_of(entity, field))
    )
    if changes:
        owners = sorted({references[c.field][0] for c in changes})
        return PlanItem(
            name,
            source,
            side.system,
            source_key,
            "update",
            gid,
            mine.key,
            reason=f"differs from {', '.join(owners)}",
            changes=changes,
        )
    if source_held is None:
        return _with(base, "skip", f"not in {source}, which owns it")
    return base


def _with(item: PlanItem, action: Any, reason: str) -> PlanItem:
    return PlanItem(
        item.entity,
        item.source,
        item.target,
        item.source_key,
        action,
        item.global_id,
        item.target_key,
        reason,
    )
