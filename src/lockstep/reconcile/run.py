"""``lockstep reconcile [--apply]``: prove the systems agree, and repair where they don't.

For each entity, parents first: every bound system is read in full (within its
binding's filter), each record lined up by its global id and compared with the owners
of its fields (``compare``), and each difference classified (``findings``);
``diff.csv`` gets a row per difference (with ``--all``, per record and system), and
the summary counts them by class. The counts say what would be done: ``created``
(missing), ``updated`` (differing), ``unchanged``, ``skipped`` (not linked, or gone
from its owner: never deleted).

With ``--apply`` the repairs go through sync's own path, so they follow the same rules
(ownership, locks, write-back, upserts by external id): each owner's record is queued
as a change as it was just read, the systems that disagree are marked *behind* (their
fingerprints set to what they hold), and the queue is drained. The repairs are planned
as each entity is compared and queued only once every entity has been (``repairs``),
after the mass-delete guard (``guard``) has let them through. What the drain did is in
``processed.csv`` and ``exceptions.csv``, and in the summary's notes.

Every system must be read in full: a reconcile that cannot read one side, or loses it
half-way through a read, proves nothing (it fails, exit 3, before anything is queued;
rows of the entities compared before it may be in ``diff.csv``, and no
``summary.json`` is written).

Ctrl-C or SIGTERM ends the run ``interrupted`` between systems read, between entities,
or in the repairs' drain at its step boundaries (``lockstep.runs.interrupt``): the
repairs, once queued, are all queued; what the drain did not carry waits in the queue
for the next sync pass or reconcile.
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
from lockstep.core.plan import FINDINGS, PlanItem
from lockstep.expr import parse
from lockstep.ledger import Ledger
from lockstep.mapping.record import compile_reader
from lockstep.reconcile.compare import Held, Side, WriteBack, compare
from lockstep.reconcile.findings import classify, detached, locked_ids
from lockstep.reconcile.guard import MassDeleteRefused, Share, refusal
from lockstep.reconcile.repairs import Repairs, plan_repairs, queue
from lockstep.reconcile.spill import Spill
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.reports.writer import ReportWriter
from lockstep.runs import interrupt
from lockstep.runs.connect import Open
from lockstep.runs.lifecycle import Session, running
from lockstep.runs.scope import chosen_steps
from lockstep.runs.select import SideRecord, bound_names, read_pages
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
    every: bool = False  # diff.csv: every record and system, not only the differences
    allow_mass_delete: bool = False  # --apply even past run.reconcile.max_delete_share


@dataclass(frozen=True)
class Compared:
    """One entity compared: how many ``extra`` rows, what ``--apply`` would do, and
    the share of its linked records that would lose a link."""

    extra: int
    repairs: Repairs
    share: Share


def reconcile(
    loaded: LoadedConfig,
    options: Options,
    *,
    progress: Progress,
    connect: Open = open_connector,
) -> Summary:
    """Compare (and with ``--apply`` repair) the chosen entities; the run's summary.
    Raises ``MassDeleteRefused`` (its ``summary`` the run's, finished as ``failed``)
    when the guard refuses ``--apply``."""
    config = loaded.config
    steps = chosen_steps(config, options.entities)
    refused: str | None = None
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
        compared: list[Compared] = []
        for step in steps:
            interrupt.checkpoint()
            classes = session.findings.setdefault(step.entity, dict.fromkeys(FINDINGS, 0))
            done = _entity(
                step.entity,
                loaded,
                session.ledger,
                session.connectors,
                session.report,
                found[step.entity],
                classes,
                options,
                progress,
            )
            session.extra += done.extra
            compared.append(done)
        session.notes.extend(_left(session.extra, session.findings))
        if options.apply:
            limit = config.run.reconcile.max_delete_share
            if not options.allow_mass_delete:
                refused = refusal([c.share for c in compared], limit)
            if refused is not None:
                session.status = "failed"
                session.notes.append(refused)
            else:
                _repair(loaded, session, compared, repaired, worker)
    if refused is not None:
        error = MassDeleteRefused(refused)
        error.summary = session.summary
        raise error
    return session.summary


def _repair(
    loaded: LoadedConfig,
    session: Session,
    compared: Sequence[Compared],
    repaired: dict[str, Tally],
    worker: str,
) -> None:
    """Queue every entity's repairs, then drain them, parents first."""
    interrupt.checkpoint()
    for done in compared:
        queue(session.ledger, done.repairs)
    drain = Drain(
        loaded.config,
        session.ledger,
        session.connectors,
        session.report,
        session.run_id,
        worker,
        repaired,
    )
    for done in compared:
        interrupt.checkpoint()
        drain.entity(done.repairs.entity)
    session.notes.append(_repairs(repaired, drain.waiting))


def _entity(
    name: str,
    loaded: LoadedConfig,
    ledger: Ledger,
    connectors: Mapping[str, Connector],
    report: ReportWriter,
    tally: Tally,
    classes: dict[str, int],
    options: Options,
    progress: Progress,
) -> Compared:
    """Compare ``name`` across its systems, report and count what differs, and plan
    the repairs ``--apply`` would queue.

    Each system is read page by page into a ``Spill`` (each record lined up by its
    global id as it comes), then compared a partition of global ids at a time, and the
    records no global id links last: the run holds a partition, not the entity."""
    config = loaded.config
    entity = config.entities[name]
    templates: dict[str, Side] = {}
    repairs: list[Repairs] = []
    partners: dict[tuple[str, str], str] = {}  # unlinked records a match found, so far
    extra = detaching = linked = 0

    def emit(items: Sequence[PlanItem], sides: Mapping[str, Side], read: Records) -> None:
        nonlocal extra, detaching
        for item in items:
            if options.every or item.action != "unchanged":
                report.diff(item)
            counted = COUNTED.get(item.action)
            if counted is not None:
                tally.add(counted)
            if item.finding is not None:
                classes[item.finding] += 1
        extra += sum(1 for item in items if item.action == "extra")
        detaching += len(detached(items))
        if options.apply:
            repairs.append(plan_repairs(name, entity, items, sides, read))

    with Spill() as spill:
        for system, binding in entity.bindings.items():
            interrupt.checkpoint()
            label = f"{name} ({system})"
            progress.open(label, None, "reading")
            buried: set[str] = set()
            reader = compile_reader(entity, binding)
            for page in read_pages(connectors[system], binding, config.systems[system], reader):
                spill.add(system, _lined_up(name, entity, system, page, ledger, buried))
                tally.add("selected", len(page))
                progress.advance(label, len(page))
            progress.close(label)
            templates[system] = _template(name, entity, system, ledger, frozenset(buried))
        loose = {system: spill.unlinked(system) for system in templates}
        unlinked = {system: [held for held, _ in records] for system, records in loose.items()}
        for chunk in spill.linked():
            interrupt.checkpoint()
            gids = {gid for records in chunk.values() for gid in records}
            linked += len(gids)
            sides = {
                system: replace(
                    side,
                    linked={gid: held for gid, (held, _) in chunk.get(system, {}).items()},
                    known=frozenset(ledger.native_ids(name, gids, system)),
                )
                for system, side in templates.items()
            }
            plain = compare(name, entity, sides)
            seen = {s: replace(side, unlinked=unlinked[s]) for s, side in sides.items()}
            locked = _locked(name, entity, plain, ledger)
            items = classify(entity, seen, plain, locked, partners)
            emit(items, seen, {s: [r for _, r in chunk.get(s, {}).values()] for s in sides})
        sides = {s: replace(side, unlinked=unlinked[s]) for s, side in templates.items()}
        plain = compare(name, entity, sides)
        items = classify(entity, sides, plain, _locked(name, entity, plain, ledger), partners)
        emit(items, sides, {s: [r for _, r in records] for s, records in loose.items()})
    return Compared(extra, _joined(name, repairs), Share(name, detaching, linked))


Records = Mapping[str, Sequence[SideRecord]]


def _joined(name: str, parts: Sequence[Repairs]) -> Repairs:
    return Repairs(
        name,
        tuple(u for p in parts for u in p.unlink),
        tuple(b for p in parts for b in p.behind),
        tuple(c for p in parts for c in p.changes),
    )


def _locked(name: str, entity: Entity, items: Sequence[PlanItem], ledger: Ledger) -> frozenset[str]:
    """The global ids of ``items`` to create or update that the entity's lock rule
    holds for, judged on their golden records as sync's drain judges a change."""
    if entity.lock is None:
        return frozenset()
    gids = {i.global_id for i in items if i.action in ("create", "update") and i.global_id}
    if not gids:
        return frozenset()
    golden = {gid: g.values for gid, g in ledger.golden_many(name, gids).items()}
    parents: dict[str, dict[str, Any]] = {}
    for ref, reference in entity.references.items():
        wanted = {str(v[ref]) for v in golden.values() if v.get(ref)}
        found = ledger.golden_many(reference.entity, wanted)
        parents[ref] = {gid: g.values for gid, g in found.items()}
    return locked_ids(parse(entity.lock), golden, parents)


def _lined_up(
    name: str,
    entity: Entity,
    system: str,
    records: Sequence[SideRecord],
    ledger: Ledger,
    buried: set[str],
) -> list[tuple[str | None, Held, SideRecord]]:
    """One page of ``system``'s records with their global ids (``None``: not linked)
    and references as global ids; the unlinked ones whose link is a tombstone (deleted
    in the owner) are added to ``buried``."""
    gids = ledger.global_ids(name, system, [r.key for r in records])
    parents: dict[str, dict[str, str]] = {}
    for ref, reference in entity.references.items():
        natives = {str(n) for r in records if (n := r.record.refs.get(ref)) is not None}
        parents[ref] = ledger.global_ids(reference.entity, system, natives)
    links = ledger.links(name, system, [r.key for r in records if r.key not in gids])
    buried.update(key for key, link in links.items() if link.deleted)
    out: list[tuple[str | None, Held, SideRecord]] = []
    for r in records:
        values: dict[str, Any] = dict(r.record.values)
        for ref, native in r.record.refs.items():
            values[ref] = None if native is None else parents[ref].get(native, f"?{native}")
        out.append((gids.get(r.key), Held(r.key, values, r.house), r))
    return out


def _template(
    name: str, entity: Entity, system: str, ledger: Ledger, buried: frozenset[str]
) -> Side:
    """``system``'s side of ``name`` without its records: what it binds and writes,
    the housekeeping its records should carry, what the ledger says of it."""
    binding = entity.bindings[system]
    names, writable = bound_names(binding), bound_names(binding, writable=True)
    back = binding.write_back
    status = back.status if back is not None else None
    house = WriteBack(dict(back.ids) if back is not None else {}, binding.global_id_field, status)
    queued = frozenset(ledger.queued_keys(name, system)) if status is not None else frozenset()
    return Side(system, {}, (), names, writable, house, buried=buried, queued=queued)


def _left(extra: int, findings: Mapping[str, Mapping[str, int]]) -> list[str]:
    """The notes on what ``--apply`` leaves for a person."""
    notes: list[str] = []
    if extra:
        notes.append(
            f"{extra:,} record{'s' if extra != 1 else ''} only in a system that does not own "
            f"{'them' if extra != 1 else 'it'} (diff.csv: extra): left for a person to "
            "delete there or restore in the owner"
        )
    matched = sum(f.get("unlinked_match", 0) for f in findings.values())
    if matched:
        notes.append(
            f"{matched:,} row{'s' if matched != 1 else ''} of records the match rules find "
            "in another system, not linked (diff.csv: unlinked_match): left for a person "
            "to link"
        )
    locked = sum(f.get("locked_different", 0) for f in findings.values())
    if locked:
        notes.append(
            f"{locked:,} row{'s' if locked != 1 else ''} of locked records that differ "
            "(diff.csv: locked_different): --apply leaves them"
        )
    return notes


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
