"""``lockstep reconcile [--apply]``: prove the systems agree, and repair where they don't.

For each entity, parents first: every bound system is read in full (within its
binding's filter), each record lined up by its global id and compared with the owners
of its fields (``compare``); every record and system gets a row in ``diff.csv``. The
counts say what would be done: ``created`` (missing), ``updated`` (differing),
``unchanged``, ``skipped`` (not linked, or gone from its owner: never deleted).

With ``--apply`` the repairs go through sync's own path, so they follow the same rules
(ownership, locks, write-back, upserts by external id): each owner's record is queued
as a change as it was just read, the systems that disagree are marked *behind* (their
fingerprints set to what they hold), and the queue is drained. What the drain did is
in ``processed.csv`` and ``exceptions.csv``, and in the summary's notes.

Every system must be reachable: a reconcile that cannot read one side proves nothing
(exit 3 before anything is recorded).

Ctrl-C or SIGTERM ends the run ``interrupted`` between systems read, between entities,
or in the repairs' drain at its step boundaries (``lockstep.runs.interrupt``): an
entity's repairs, once queued, are all queued; what the drain did not carry waits in
the queue for the next sync pass or reconcile.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lockstep.config.entities import Entity
from lockstep.config.loader import LoadedConfig
from lockstep.connectors.base import Connector
from lockstep.connectors.factory import open_connector
from lockstep.core.counts import Tally
from lockstep.core.plan import PlanItem
from lockstep.ledger import Ledger
from lockstep.ledger.rows import QueueEntry
from lockstep.mapping.ownership import owner_of, print_of
from lockstep.mapping.payload import pack
from lockstep.mapping.record import compile_reader
from lockstep.reconcile.compare import Held, Side, WriteBack, compare
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.reports.writer import ReportWriter
from lockstep.runs import interrupt
from lockstep.runs.connect import Open
from lockstep.runs.lifecycle import running
from lockstep.runs.scope import chosen_steps
from lockstep.runs.select import SideRecord, bound_names, read_side
from lockstep.sync.drain import Drain

COUNTED = {
    "create": "created",
    "update": "updated",
    "unchanged": "unchanged",
    "skip": "skipped",
    "extra": "skipped",  # and in the summary's ``extra``: a difference --apply leaves
}


@dataclass(frozen=True)
class Options:
    entities: tuple[str, ...] | None = None
    apply: bool = False
    reports: Path | None = None
    worker: str | None = None


def reconcile(
    loaded: LoadedConfig,
    options: Options,
    *,
    progress: Progress,
    connect: Open = open_connector,
) -> Summary:
    config = loaded.config
    steps = chosen_steps(config, options.entities)
    with running(loaded, "reconcile", steps, reports=options.reports, connect=connect) as session:
        found = {s.entity: session.tally(s.entity) for s in steps}
        repaired: dict[str, Tally] = {s.entity: Tally() for s in steps}
        worker = options.worker or socket.gethostname()
        if options.apply:

            def last_word() -> None:  # what failed is what the repairs could not do
                for name, tally in found.items():
                    tally.values["failed"] = repaired[name].values["failed"]

            session.on_close(last_word)
            session.give_back_claims(worker)
        for step in steps:
            interrupt.checkpoint()
            session.extra += _entity(
                step.entity,
                loaded,
                session.ledger,
                session.connectors,
                session.report,
                found[step.entity],
                options,
                progress,
            )
        if session.extra:
            n = session.extra
            session.notes.append(
                f"{n:,} record{'s' if n != 1 else ''} only in a system that does not own "
                f"{'them' if n != 1 else 'it'} (diff.csv: extra): left for a person to "
                "delete there or restore in the owner"
            )
        if options.apply:
            drain = Drain(
                config,
                session.ledger,
                session.connectors,
                session.report,
                session.run_id,
                worker,
                repaired,
            )
            for step in steps:
                interrupt.checkpoint()
                drain.entity(step.entity)
            session.notes.append(_repairs(repaired, drain.waiting))
    return session.summary


def _entity(
    name: str,
    loaded: LoadedConfig,
    ledger: Ledger,
    connectors: Mapping[str, Connector],
    report: ReportWriter,
    tally: Tally,
    options: Options,
    progress: Progress,
) -> int:
    """Compare ``name`` across its systems (and queue the repairs with ``--apply``);
    how many records are only in a system that does not own them (``extra``)."""
    config = loaded.config
    entity = config.entities[name]
    read: dict[str, list[SideRecord]] = {}
    for system, binding in entity.bindings.items():
        interrupt.checkpoint()
        label = f"{name} ({system})"
        progress.open(label, None, "reading")
        read[system] = read_side(
            connectors[system],
            binding,
            config.systems[system],
            compile_reader(entity, binding),
            on_page=lambda n: progress.advance(label, n),  # noqa: B023 (called right here)
        )
        progress.close(label)
    sides = {
        system: _side(name, entity, system, records, ledger) for system, records in read.items()
    }
    gids = {gid for side in sides.values() for gid in side.linked}
    sides = {
        system: replace(side, known=frozenset(ledger.native_ids(name, gids, system)))
        for system, side in sides.items()
    }
    items = compare(name, entity, sides)
    tally.add("selected", sum(len(records) for records in read.values()))
    for item in items:
        report.diff(item)
        counted = COUNTED.get(item.action)
        if counted is not None:
            tally.add(counted)
    if options.apply:
        _queue_repairs(name, entity, items, sides, read, ledger)
    return sum(1 for item in items if item.action == "extra")


def _side(
    name: str, entity: Entity, system: str, records: Sequence[SideRecord], ledger: Ledger
) -> Side:
    """``records`` lined up by global id, references as global ids."""
    gids = ledger.global_ids(name, system, [r.key for r in records])
    parents: dict[str, dict[str, str]] = {}
    for ref, reference in entity.references.items():
        natives = {str(n) for r in records if (n := r.record.refs.get(ref)) is not None}
        parents[ref] = ledger.global_ids(reference.entity, system, natives)
    linked: dict[str, Held] = {}
    unlinked: list[Held] = []
    links = ledger.links(name, system, [r.key for r in records if r.key not in gids])
    buried = frozenset(key for key, link in links.items() if link.deleted)
    for r in records:
        values: dict[str, Any] = dict(r.record.values)
        for ref, native in r.record.refs.items():
            values[ref] = None if native is None else parents[ref].get(native, f"?{native}")
        held = Held(r.key, values, r.house)
        gid = gids.get(r.key)
        if gid is None:
            unlinked.append(held)
        else:
            linked[gid] = held
    binding = entity.bindings[system]
    names, writable = bound_names(binding), bound_names(binding, writable=True)
    back = binding.write_back
    status = back.status if back is not None else None
    house = WriteBack(dict(back.ids) if back is not None else {}, binding.global_id_field, status)
    queued = frozenset(ledger.queued_keys(name, system)) if status is not None else frozenset()
    return Side(system, linked, unlinked, names, writable, house, buried=buried, queued=queued)


def _queue_repairs(
    name: str,
    entity: Entity,
    items: Sequence[PlanItem],
    sides: Mapping[str, Side],
    read: Mapping[str, Sequence[SideRecord]],
    ledger: Ledger,
) -> None:
    """Queue the owners' records of what differs, mark the systems that disagree behind,
    and unlink records that are gone; the drain then repairs them."""
    records = {(system, r.key): r for system, rs in read.items() for r in rs}
    sources: dict[tuple[str, str], str | None] = {}  # (system, native key) -> global id
    for item in items:
        gid = item.global_id
        if item.action == "create" and gid is None:  # an owner's record never synced
            sources[(item.source, item.source_key)] = None
        elif item.action == "create" and gid is not None:
            ledger.unlink(name, gid, item.target)  # linked to a record that is gone, if any
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
            ledger.mark_synced(name, gid, item.target, print_of(held.values, side.names), 0)
            for change in canonical:
                owner = owner_of(entity, change.field)
                owned = sides[owner].linked.get(gid)
                if owned is not None:
                    sources[(owner, owned.key)] = gid
    entries: list[QueueEntry] = []
    for (system, key), gid in sources.items():
        record = records.get((system, key))
        if record is None:
            continue
        if gid is not None:  # its next change must not be taken for an echo
            ledger.forget_synced(name, system, [gid])
        payload = pack(record.record, record.house)
        entries.append(QueueEntry(name, system, key, "upsert", payload, "reconcile", gid))
    ledger.enqueue(entries)


def _repairs(repaired: Mapping[str, Tally], waiting: int) -> str:
    total = Tally()
    for tally in repaired.values():
        for key, value in tally.values.items():
            total.add(key, value)
    done = total.values
    text = (
        f"--apply: {done['created']:,} created, {done['updated']:,} updated, "
        f"{done['failed']:,} failed"
    )
    return text + (f", {waiting:,} waiting for a retry" if waiting else "")
