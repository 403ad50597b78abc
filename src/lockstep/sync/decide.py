"""What one captured change means, decided without I/O.

A change from ``origin`` offers values for an entity's fields and references (the
references as global ids). Which of them the golden record takes:

- ``last_writer_wins`` takes every value;
- ``owner_wins`` (the default) takes the fields ``origin`` owns (the entity's
  ``owner``, or ``field_owners`` per field), and those whose owner does not hold the
  record (a record new everywhere takes every value: there is nothing to conflict
  with; nor is there while the owner has not got the record). A different value
  offered for a field its owner holds is a *conflict*: it is reported, and the
  owner's value stays.

Each other system then gets the fields that changed, or, when it is behind the golden
record (its last-synced fingerprint is not the golden record's), every field it binds,
so a write that failed earlier is made whole by the next change.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from lockstep.config.entities import Entity
from lockstep.core.plan import FieldChange
from lockstep.mapping.ownership import owner_of
from lockstep.mapping.record import kind_of
from lockstep.mapping.values import same


@dataclass(frozen=True)
class Accepted:
    """What the golden record becomes (``merged``), which of its fields that changed
    (``changed``), and the values refused as conflicts."""

    merged: Mapping[str, Any]
    changed: frozenset[str]
    conflicts: tuple[FieldChange, ...]


def accept(
    entity: Entity,
    origin: str,
    incoming: Mapping[str, Any],
    golden: Mapping[str, Any] | None,
    *,
    holders: Collection[str],
) -> Accepted:
    """Fold ``incoming`` (from ``origin``) into ``golden`` by ownership; ``holders``
    are the systems that hold the record."""
    before = golden or {}
    taken: dict[str, Any] = {}
    conflicts: list[FieldChange] = []
    everything = entity.conflict == "last_writer_wins"
    for name, value in incoming.items():
        owner = owner_of(entity, name)
        if everything or owner == origin or owner not in holders:
            taken[name] = value
        elif name in before and not same(before[name], value, kind_of(entity, name)):
            conflicts.append(FieldChange(name, before[name], value))
    changed = frozenset(
        name
        for name, value in taken.items()
        if name not in before or not same(before[name], value, kind_of(entity, name))
    )
    return Accepted({**before, **taken}, changed, tuple(conflicts))


def to_write(
    accepted: Accepted,
    names: Collection[str],
    *,
    exists: bool,
    behind: bool,
) -> frozenset[str]:
    """The fields and references to write into a system binding ``names``: all it
    binds when the record is new there or the system is ``behind``; else those that
    changed."""
    bound = frozenset(n for n in names if n in accepted.merged)
    if not exists or behind:
        return bound
    return bound & accepted.changed
