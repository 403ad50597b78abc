"""What reconcile finds, decided without I/O: one entity's records as each system holds
them, lined up by global id, compared field by field with each field's owner.

For every system ``S`` bound to the entity and every record:

- ``create``: a system that owns some of the record's fields has it, ``S`` does not
  (never synced, or linked to a record that is gone);
- ``update``: ``S`` holds a value its owner does not (``changes`` say which, as
  ``field: S's value -> the owner's``);
  or lacks the housekeeping sync writes (ids, global id, the sync status:
  ``mapping.status``; not checked on a record with a change still in the queue);
- ``unchanged``: ``S`` agrees with the owners of every field both bind;
- ``extra``: ``S``, which does not own the entity, holds a record its owner does not:
  never linked, deleted in the owner, or gone from it. A difference (reconcile exits
  1), never repaired by ``--apply``: deleting it or restoring it in the owner is a
  person's decision;
- ``skip``: the owner's row of a record gone from it (not restored), and the other
  systems' rows of a record whose owner is yet to get it (its ``create``).

A record linked in a system that never reached the owner (its change failed there)
is ``create`` in the owner, from a system holding it: ``--apply`` carries it again.

The owner of a field is ``field_owners`` or the entity's ``owner`` (as in sync).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lockstep.config.entities import Entity, SyncStatus
from lockstep.core.plan import FieldChange, PlanItem
from lockstep.core.shapes import Kind
from lockstep.mapping.ownership import owner_of
from lockstep.mapping.record import kind_of
from lockstep.mapping.status import missing
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
    status: SyncStatus | None = None


@dataclass(frozen=True)
class Side:
    """What one system holds of the entity: records by global id, the unlinked ones,
    the canonical names the system binds, those it can be written (compared), and the
    housekeeping its records should carry. From the ledger: the global ids linked in
    the system whether or not their record is there (``known``; ``None``: every
    global id it lacks was there once), the unlinked records whose link is a
    tombstone (``buried``: deleted in the owner) and the records with a change in
    the queue (``queued``)."""

    system: str
    linked: Mapping[str, Held]
    unlinked: Sequence[Held]
    names: frozenset[str]
    writable: frozenset[str] | None = None  # None: every name it binds
    house: WriteBack = field(default_factory=WriteBack)
    known: frozenset[str] | None = None
    buried: frozenset[str] = frozenset()
    queued: frozenset[str] = frozenset()

    @property
    def compared(self) -> frozenset[str]:
        """The names compared with their owners: those lockstep can write here."""
        return self.names if self.writable is None else self.writable


def compare(name: str, entity: Entity, sides: Mapping[str, Side]) -> list[PlanItem]:
    """A ``PlanItem`` per record and system (see the module docstring), global ids in
    sorted order, the unlinked records last."""
    items: list[PlanItem] = []
    checks = {system: _checks(entity, sides, side) for system, side in sides.items()}
    gids = sorted({gid for side in sides.values() for gid in side.linked})
    for gid in gids:
        items.extend(
            _one(name, entity, sides, gid, side, checks[system]) for system, side in sides.items()
        )
    owner = entity.owner
    for system, side in sides.items():
        owns = system == owner  # a record exists because its owner has it
        for held in side.unlinked:
            if held.key in side.buried:
                reason = f"deleted in {owner}, which owns it: --apply leaves it here"
            else:
                reason = (
                    f"not linked: lockstep neither created nor matched it, and {owner}, "
                    "which owns it, does not have it: --apply leaves it here"
                )
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
                items.append(PlanItem(name, system, system, held.key, "extra", reason=reason))
    return items


Check = tuple[str, str, Kind]  # a field ``side`` is compared on, its owner, its kind


def _checks(entity: Entity, sides: Mapping[str, Side], side: Side) -> tuple[Check, ...]:
    """The fields ``side`` is compared on with another system that owns and binds
    them, by name: worked out once per comparison, not per record."""
    found: list[Check] = []
    for field_ in side.compared:
        owner = owner_of(entity, field_)
        if owner != side.system and owner in sides and field_ in sides[owner].names:
            found.append((field_, owner, kind_of(entity, field_)))
    return tuple(sorted(found))


def _one(
    name: str,
    entity: Entity,
    sides: Mapping[str, Side],
    gid: str,
    side: Side,
    checks: Sequence[Check],
) -> PlanItem:
    mine = side.linked.get(gid)
    owner = entity.owner
    source = owner if owner in sides else side.system
    source_held = sides[source].linked.get(gid) if source in sides else None
    never = source_held is None and _never_in(sides.get(source), gid)
    if never:  # the owner never got it: the system holding it is the source
        source = next(s.system for s in sides.values() if gid in s.linked)
        source_held = sides[source].linked[gid]
    source_key = source_held.key if source_held else ""
    base = PlanItem(
        name, source, side.system, source_key, "unchanged", gid, mine.key if mine else None
    )
    if mine is None:
        if side.system == owner and not never:
            return _with(base, "skip", f"gone from {side.system}, which owns it: not restored")
        if source_held is None:
            return _with(base, "skip", f"not in {source}, which owns it")
        if side.system == owner:
            return _with(base, "create", f"missing in {owner}: never carried from {source}")
        return _with(base, "create", f"missing in {side.system}")
    if never:
        return _with(base, "skip", f"not in {owner} yet (see its create)")
    if source_held is None:
        return _with(
            base,
            "extra",
            f"gone from {source}, which owns it: --apply leaves it here (delete it, "
            f"or restore it in {source})",
        )
    changes: list[FieldChange] = []
    owners: set[str] = set()
    for f, owner_, kind in checks:
        held = sides[owner_].linked.get(gid)
        if held is None or f not in held.values:
            continue
        theirs, ours = held.values[f], mine.values.get(f)
        if not same(ours, theirs, kind):
            changes.append(FieldChange(f, ours, theirs))
            owners.add(owner_)
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
        return PlanItem(
            name,
            source,
            side.system,
            source_key,
            "update",
            gid,
            mine.key,
            reason=f"differs from {', '.join(sorted(owners))}",
            changes=tuple(changes),
        )
    return base


def _never_in(side: Side | None, gid: str) -> bool:
    """Whether the ledger says ``side`` never had ``gid``'s record."""
    return side is not None and side.known is not None and gid not in side.known


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
    if side.house.status is not None and mine.key not in side.queued:
        wanted.update(missing(side.house.status, mine.house, "success"))
    return tuple(
        FieldChange(f, mine.house.get(f), value)
        for f, value in sorted(wanted.items())
        if str(mine.house.get(f) or "") != ("" if value is None else str(value))
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
