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
from dataclasses import dataclass, field
from typing import Any

from lockstep.config.entities import Entity
from lockstep.core.plan import FieldChange, PlanItem
from lockstep.mapping.ownership import owner_of
from lockstep.mapping.record import kind_of
from lockstep.mapping.values import same


@dataclass(frozen=True)
class Held:
    """One record as one system holds it: its native key, canonical values with
    references as global ids (an unlinked parent as ``?<native id>``), and the
    housekeeping fields read with it."""

    key: str
    values: Mapping[str, Any]
    house: Mapping[str, Any]


@dataclass(frozen=True)
class WriteBack:
    """The housekeeping a system's records should carry (from its binding): the ids
    in other systems (``ids``: system -> field), the global id, the sync status."""

    ids: Mapping[str, str] = field(default_factory=dict)
    global_id: str | None = None
    status: tuple[str, str] | None = None  # (field, the value for "synced")


@dataclass(frozen=True)
class Side:
    """What one system holds of the entity: records by global id, the unlinked ones,
    the canonical names the system binds, those it can be written (compared), and the
    housekeeping its records should carry."""

    system: str
    linked: Mapping[str, Held]
    unlinked: Sequence[Held]
    names: frozenset[str]
    writable: frozenset[str] | None = None  # None: every name it binds
    house: WriteBack = field(default_factory=WriteBack)

    @property
    def compared(self) -> frozenset[str]:
        """The names compared with their owners: those lockstep can write here."""
        return self.names if self.writable is None else self.writable


def compare(name: str, entity: Entity, sides: Mapping[str, Side]) -> list[PlanItem]:
    """A ``PlanItem`` per record and system (see the module docstring), global ids in
    sorted order, the unlinked records last."""
    items: list[PlanItem] = []
    gids = sorted({gid for side in sides.values() for gid in side.linked})
    for gid in gids:
        items.extend(_one(name, entity, sides, gid, side) for side in sides.values())
    for system, side in sides.items():
        owns = system == entity.owner  # a record exists because its owner has it
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
    for name_ in side.compared:
        owner = owner_of(entity, name_)
        held = sides[owner].linked.get(gid) if owner in sides else None
        if held is not None and name_ in sides[owner].names:
            references[name_] = (owner, held)
    source = entity.owner if entity.owner in sides else side.system
    source_held = sides[source].linked.get(gid) if source in sides else None
    source_key = source_held.key if source_held else ""
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
        FieldChange(f, mine.values.get(f), held.values.get(f))
        for f, (owner, held) in sorted(references.items())
        if owner != side.system
        and f in held.values
        and not same(mine.values.get(f), held.values.get(f), kind_of(entity, f))
    )
    if not changes and source_held is not None:
        house = _house(sides, gid, side, mine)
        if house:
            return PlanItem(
                name,
                source,
                side.system,
                source_key,
                "update",
                gid,
                mine.key,
                reason="write-back missing",
                changes=house,
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


def _house(sides: Mapping[str, Side], gid: str, side: Side, mine: Held) -> tuple[FieldChange, ...]:
    """The housekeeping ``mine`` lacks (seed 000: no Salesforce id, status Failed): the
    ids the record has elsewhere, its global id, the "synced" status."""
    wanted: dict[str, Any] = {}
    for system, id_field in side.house.ids.items():
        there = sides[system].linked.get(gid) if system in sides else None
        if there is not None and system != side.system:
            wanted[id_field] = there.key
    if side.house.global_id:
        wanted[side.house.global_id] = gid
    if side.house.status is not None:
        status_field, synced = side.house.status
        wanted[status_field] = synced
    return tuple(
        FieldChange(f, mine.house.get(f), value)
        for f, value in sorted(wanted.items())
        if str(mine.house.get(f) or "") != str(value)
    )


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
