"""What ``--apply`` does about one entity's differences, planned from reconcile's rows
before anything is written, then queued.

Planning is pure, so that every entity is compared (and the mass-delete guard has its
say, ``reconcile.guard``) before the first link is dropped or change queued; a
``Repairs`` holds only what differs, so it stays small however many records agree.

For each row:

- ``create`` of a linked record (``missing`` or ``link_broken``): the link in the
  target, if any, goes (its record is gone), and the source's record is queued;
- ``create`` of a record never synced (``missing``): the owner's record is queued;
- ``update`` of fields (``field_mismatch``): the target is marked *behind* (its
  fingerprint set to what it holds) and each differing field's owner's record queued,
  so the drain writes the target in full;
- ``update`` of the write-back only: the target's own record is queued (writing it
  back is what carrying a record does);
- a row ``--apply`` leaves (``findings.LEFT``: extra, unlinked match, locked) queues
  nothing, and a record any of whose rows is left is not queued for another row:
  the drain would carry it everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lockstep.config.entities import Entity
from lockstep.core.plan import PlanItem
from lockstep.ledger import Ledger
from lockstep.ledger.rows import QueueEntry
from lockstep.mapping.ownership import owner_of, print_of
from lockstep.mapping.payload import pack
from lockstep.reconcile.compare import Side
from lockstep.reconcile.findings import LEFT
from lockstep.runs.select import SideRecord


@dataclass(frozen=True)
class Repairs:
    """One entity's repairs: links to drop (global id, system), systems to mark behind
    (global id, system, the fingerprint of what it holds), and the changes to queue."""

    entity: str
    unlink: tuple[tuple[str, str], ...] = ()
    behind: tuple[tuple[str, str, str], ...] = ()
    changes: tuple[QueueEntry, ...] = ()


def plan_repairs(
    name: str,
    entity: Entity,
    items: Sequence[PlanItem],
    sides: Mapping[str, Side],
    read: Mapping[str, Sequence[SideRecord]],
) -> Repairs:
    """The repairs of ``items`` (``name``'s classified rows; see the module docstring)."""
    unlink: list[tuple[str, str]] = []
    behind: list[tuple[str, str, str]] = []
    sources: dict[tuple[str, str], str | None] = {}  # (system, native key) -> global id
    left: set[tuple[str, str]] = set()  # records a row leaves: never queued
    for item in items:
        gid = item.global_id
        if item.finding in LEFT:
            left.add((item.source, item.source_key))
            if item.target_key is not None:
                left.add((item.target, item.target_key))
        elif item.action == "create" and gid is None:  # an owner's record never synced
            sources[(item.source, item.source_key)] = None
        elif item.action == "create" and gid is not None:
            if item.finding == "link_broken":  # linked to a record that is gone
                unlink.append((gid, item.target))
            sources[(item.source, item.source_key)] = gid
        elif item.action == "update" and gid is not None:
            side = sides[item.target]
            canonical = [
                c for c in item.changes if c.field in entity.fields or c.field in entity.references
            ]
            if not canonical:  # only its write-back is missing: the record writes it back
                sources[(item.target, item.target_key or "")] = gid
                continue
            held = side.linked[gid]
            behind.append((gid, item.target, print_of(held.values, side.names)))
            for change in canonical:
                owner = owner_of(entity, change.field)
                owned = sides[owner].linked.get(gid)
                if owned is not None:
                    sources[(owner, owned.key)] = gid
    wanted = {k: gid for k, gid in sources.items() if k not in left}
    records = {(s, r.key): r for s, rs in read.items() for r in rs if (s, r.key) in wanted}
    changes = [
        QueueEntry(name, system, key, "upsert", pack(r.record, r.house), "reconcile", gid)
        for (system, key), gid in wanted.items()
        if (r := records.get((system, key))) is not None
    ]
    return Repairs(name, tuple(unlink), tuple(behind), tuple(changes))


def queue(ledger: Ledger, repairs: Repairs) -> None:
    """Drop the links, mark the systems behind, and queue the changes of ``repairs``."""
    name = repairs.entity
    for gid, system in repairs.unlink:
        ledger.unlink(name, gid, system)
    for gid, system, fingerprint in repairs.behind:
        ledger.mark_synced(name, gid, system, fingerprint, 0)
    for entry in repairs.changes:
        if entry.global_id is not None:  # its next change must not be taken for an echo
            ledger.forget_synced(name, entry.origin, [entry.global_id])
    ledger.enqueue(list(repairs.changes))
