"""``plan``, ``migrate`` and ``relink``: one run over the entities in dependency order.

For each entity, its owner is the source and every other binding a target. A run
connects to every system first (exit 3 before anything is recorded if one is down),
records itself in the ledger, reads both sides, plans, and (unless it is a plan)
applies; every run writes ``reports/<run-id>/``.

Memory does not grow with the data. Each side is read once, page by page, into the
run's work file (``lockstep.migrate.workfile``) with what the ledger knows of it; then
the source records are planned ``PLAN_CHUNK`` at a time, in the order read, each chunk
with only the target records and ledger entries it looks up, and its writes handed to
``Execution``, which gathers them into apply calls of ``execute.CHUNK``. What is known
only over a whole entity (source records that look the same, target records linked to
some other source record, parents a plan would create) is found in the work file, so
the plan is the one a single chunk would give: diff.csv and duplicates.csv rows come
in the same order; processed.csv and exceptions.csv hold the same rows, those of a
chunk that needed no write (or could not be written) before the writes gathered with
them.

Ctrl-C or SIGTERM ends the run ``interrupted`` between entities, between targets, or
between reading a target and planning it (``lockstep.runs.interrupt.checkpoint``): a
target's chunks, once begun, are all planned, carried out and recorded. Running the
same command again goes on: what was carried is linked in the ledger and is not
carried twice.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from lockstep.config.entities import Entity
from lockstep.config.loader import LoadedConfig
from lockstep.connectors.factory import open_connector
from lockstep.core.counts import Tally
from lockstep.core.plan import WRITES, DuplicateGroup, PlanItem
from lockstep.errors import ConfigError, Transient
from lockstep.ledger import ExceptionEntry, Ledger
from lockstep.mapping.record import compile_reader, compile_writer
from lockstep.matching.index import rule_keys, rule_label
from lockstep.migrate.checks import (
    failed_last_time,
    refuse_relink_before_migrate,
    refuse_retry_without_a_migrate,
)
from lockstep.migrate.execute import Execution, Target
from lockstep.migrate.planner import (
    PlanInput,
    SourceRecord,
    held_reason,
    lookups,
    plan_entity,
)
from lockstep.migrate.relink import relink_items
from lockstep.migrate.retry import in_list
from lockstep.migrate.workfile import Keys, Sources, Targets, WorkFile
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.reports.writer import ReportWriter
from lockstep.runs import interrupt
from lockstep.runs.connect import Open
from lockstep.runs.lifecycle import Session, running
from lockstep.runs.scope import Step, chosen_steps
from lockstep.runs.select import (
    bound_names,
    external_id_value,
    key_field,
    read_pages,
)

Mode = Literal["plan", "migrate", "relink"]
PLAN_CHUNK = 20_000  # source records planned at a time: what memory holds of an entity
FULL_COLLECTION_EVERY = 1_000  # collections of the middle generation per full one (default 10)


@dataclass(frozen=True)
class Options:
    mode: Mode
    entities: tuple[str, ...] | None = None
    retry_failed: bool = False
    reports: Path | None = None


def run(
    loaded: LoadedConfig,
    options: Options,
    *,
    progress: Progress,
    connect: Open = open_connector,
) -> Summary:
    """Run ``options.mode``; the summary says what happened (reports are written)."""
    config = loaded.config
    steps = chosen_steps(config, options.entities)
    if not steps:
        raise ConfigError([f"{loaded.path}: no entities to {options.mode}"])
    retry_keys: dict[str, set[str]] = {}

    def check(ledger: Ledger) -> None:
        if options.mode == "relink":
            refuse_relink_before_migrate(ledger, steps, config.entities)
        if options.retry_failed:
            refuse_retry_without_a_migrate(ledger, steps)
            retry_keys.update(failed_last_time(ledger, steps))

    with (
        running(
            loaded,
            options.mode,
            steps,
            reports=options.reports,
            connect=connect,
            check=check,
            interrupted_by=(Transient,),
            progress=progress,
        ) as session,
        WorkFile() as work,
        _fewer_full_collections(),
    ):
        _Run(loaded, options, steps, session, retry_keys, progress, work).go()
    return session.summary


@contextmanager
def _fewer_full_collections() -> Iterator[None]:
    """Python's full garbage collections scan every live object, and a run keeps the
    writes of two apply calls alive (200,000 plan items and ops) while it makes and
    drops a chunk's records: with the default thresholds a full collection came every
    chunk or so, half the CPU of a 1,000,000-row migrate (205 s; 103 s with this).
    Young collections go on as usual, and the rarer full ones still free any cycle."""
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, max(full, FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)


@dataclass(frozen=True)
class _Chunk:
    """One chunk's plan, and what carrying it out needs: its source records, the target
    records it looked up, the global ids the ledger had."""

    items: list[PlanItem]
    duplicates: list[DuplicateGroup]
    sources: Sources
    targets: Targets
    gid_of: dict[str, str]


class _Run:
    def __init__(
        self,
        loaded: LoadedConfig,
        options: Options,
        steps: Sequence[Step],
        session: Session,
        retry_keys: dict[str, set[str]],
        progress: Progress,
        work: WorkFile,
    ) -> None:
        self.config = loaded.config
        self.loaded = loaded
        self.options = options
        self.mode: Mode = options.mode
        self.steps = steps
        self.session = session
        self.ledger = session.ledger
        self.connectors = session.connectors
        self.progress = progress
        self.retry_keys = retry_keys
        self.work = work
        self.parents = {
            r.entity for e in self.config.entities.values() for r in e.references.values()
        }

    def go(self) -> None:
        for step in self.steps:
            interrupt.checkpoint()
            self._entity(step, self.session.run_id, self.session.report)

    # -- one entity --------------------------------------------------------------------

    def _entity(self, step: Step, run_id: str, report: ReportWriter) -> None:
        name = step.entity
        if self.mode == "relink" and not step.deferred:
            return  # nothing of this entity waits for relink
        entity = self.config.entities[name]
        counts = self.session.tally(name)
        source = entity.owner
        binding = entity.bindings[source]
        system = self.config.systems[source]
        where = self._retry_filter(name, binding_key=key_field(binding, system), system=system)
        self.progress.open(name, None, f"reading {source}")
        selected = self.work.put_sources(
            read_pages(
                self.connectors[source],
                binding,
                system,
                compile_reader(entity, binding),
                where=where,
                on_page=lambda n: self.progress.advance(name, n),
            ),
            self._keys(entity),
        )
        counts.add("selected", selected)
        self.progress.close(name)
        for target in entity.bindings:
            if target != source:
                interrupt.checkpoint()
                self._target(step, entity, source, target, selected, run_id, report, counts)

    def _keys(self, entity: Entity) -> Keys | None:
        """Each match rule's key of a record's values; ``None`` when nothing is matched."""
        return rule_keys(entity.match) if entity.match and self.mode != "relink" else None

    def _retry_filter(self, entity: str, *, binding_key: str, system: Any) -> str | None:
        if not self.options.retry_failed:
            return None
        return in_list(system, binding_key, sorted(self.retry_keys.get(entity, ())))

    def _target(
        self,
        step: Step,
        entity: Entity,
        source: str,
        target: str,
        selected: int,
        run_id: str,
        report: ReportWriter,
        counts: Tally,
    ) -> None:
        """Read ``target`` into the work file, link what the ledger knows, find the
        source duplicates; then plan (and write) chunk by chunk, in source order."""
        name = step.entity
        binding = entity.bindings[target]
        ext_field = binding.external_id
        self.progress.open(name, None, f"reading {target}")
        self.work.put_targets(
            read_pages(
                self.connectors[target],
                binding,
                self.config.systems[target],
                compile_reader(entity, binding),
                on_page=lambda n: self.progress.advance(name, n),
            ),
            self._keys(entity),
            (lambda t: _text(t.house.get(ext_field))) if ext_field else (lambda _: None),
        )
        self._link(name, source, target, selected)
        self.progress.close(name)
        if self.mode != "relink" and entity.match:
            labels = [rule_label(rule) for rule in entity.match]
            for rule, key, keys in self.work.source_duplicates(
                lambda rule, alike: held_reason(labels[rule], alike)
            ):
                report.duplicate(
                    DuplicateGroup(name, target, "source_duplicates", labels[rule], key, keys)
                )
        interrupt.checkpoint()  # read; nothing written yet
        self.progress.open(
            name, selected, f"{'planning' if self.mode == 'plan' else 'writing'} {target}"
        )
        with self._execution(step, entity, source, target, run_id, report, counts) as execution:
            for first in range(1, selected + 1, PLAN_CHUNK):
                last = min(first + PLAN_CHUNK - 1, selected)
                planned = self._plan_chunk(step, entity, source, target, first, last)
                self._carry(name, target, planned, execution, run_id, report, counts)
                del planned  # before the next is planned
            if execution is not None:
                execution.finish()
        self.progress.close(name)

    def _link(self, entity: str, source: str, target: str, selected: int) -> None:
        """The ledger's global ids and target keys of the source records, into the
        work file a chunk at a time; then the target records linked are flagged."""
        for first in range(1, selected + 1, PLAN_CHUNK):
            keys = self.work.source_keys(first, min(first + PLAN_CHUNK - 1, selected))
            gid_of = self.ledger.global_ids(entity, source, [k for _, k in keys])
            target_of = self.ledger.native_ids(entity, gid_of.values(), target)
            self.work.put_links(
                (seq, gid_of[k], target_of.get(gid_of[k])) for seq, k in keys if k in gid_of
            )
        self.work.mark_linked()

    @contextmanager
    def _execution(
        self,
        step: Step,
        entity: Entity,
        source: str,
        target: str,
        run_id: str,
        report: ReportWriter,
        counts: Tally,
    ) -> Iterator[Execution | None]:
        """Where a chunk's writes go (``None`` for a plan)."""
        if self.mode == "plan":
            yield None
            return
        binding = entity.bindings[target]
        with Execution(
            Target(
                step.entity,
                entity,
                source,
                target,
                entity.bindings[source],
                binding,
                self.connectors[source],
                self.connectors[target],
                compile_writer(entity, binding),
                external_id_value(binding) if binding.external_id else None,
            ),
            ledger=self.ledger,
            report=report,
            run_id=run_id,
            tally=counts,
            on_done=lambda n: self.progress.advance(step.entity, n),
        ) as execution:
            yield execution

    def _plan_chunk(
        self, step: Step, entity: Entity, source: str, target: str, first: int, last: int
    ) -> _Chunk:
        """Plan the source records ``first`` to ``last`` with what they need of the
        target's records and the ledger."""
        sources = self.work.sources(first, last)
        links = self.work.links(first, last)
        gid_of = {
            s.key: links[seq].gid
            for seq, s in zip(sources.seqs, sources.records, strict=True)
            if seq in links
        }
        target_of = {link.gid: link.target_key for link in links.values() if link.target_key}
        if self.mode == "relink":
            fetched = self.work.targets(set(target_of.values()))
            items = relink_items(
                step.entity,
                entity,
                source,
                target,
                step.deferred,
                sources.records,
                fetched.records,
                gid_of,
                target_of,
                self._parents(entity, source, target, sources.records, frozenset()),
            )
            return _Chunk(items, [], sources, fetched, gid_of)
        binding = entity.bindings[target]
        given = PlanInput(
            entity_name=step.entity,
            entity=entity,
            source=source,
            target=target,
            sources=sources.records,
            targets=[],
            gid_of=gid_of,
            target_of=target_of,
            parents=self._parents(entity, source, target, sources.records, step.deferred),
            deferred=step.deferred,
            owned=frozenset(
                f for f in entity.fields if entity.field_owners.get(f, entity.owner) == source
            ),
            new_gid=self.ledger.new_global_id,
            ext_value=external_id_value(binding) if binding.external_id else None,
            pending_parents=(
                self._pending(entity, target, sources.records) if self.mode == "plan" else {}
            ),
            writable=bound_names(binding, writable=True),
            held=self.work.held(first, last),
        )
        if self.work.target_count:
            wanted = lookups(given)
            fetched = self.work.targets(wanted.keys, wanted.ext, wanted.match)
        else:
            fetched = Targets([], {}, frozenset())
        plan = plan_entity(replace(given, targets=fetched.records, linked=fetched.linked))
        return _Chunk(plan.items, plan.duplicates, sources, fetched, gid_of)

    def _carry(
        self,
        name: str,
        target: str,
        chunk: _Chunk,
        execution: Execution | None,
        run_id: str,
        report: ReportWriter,
        counts: Tally,
    ) -> None:
        """Count and report a planned chunk; a plan's go to ``diff.csv``, and the
        parents it would create to the work file; else its writes to ``execution``."""
        items = chunk.items
        for group in chunk.duplicates:
            report.duplicate(group)
        self._count_plan(items, counts)
        self._report_unwritable(items, run_id, report)
        if execution is None:
            if name in self.parents:
                kept = ("create", "link", "update", "unchanged")
                keys = (i.source_key for i in items if i.action in kept)
                self.work.add_planned(name, target, keys)
            for item in items:
                report.diff(item)
            self.progress.advance(name, len(items))
            return
        execution.add(
            items,
            known_gids=chunk.gid_of,
            source_house=chunk.sources.house,
            target_house=chunk.targets.house,
        )
        self.progress.advance(name, sum(i.action not in WRITES for i in items))

    # -- helpers -----------------------------------------------------------------------

    def _parents(
        self,
        entity: Entity,
        source: str,
        target: str,
        sources: Sequence[SourceRecord],
        deferred: frozenset[str],
    ) -> dict[str, dict[str, str]]:
        """reference -> {parent's source key: parent's target key}, from the ledger."""
        parents: dict[str, dict[str, str]] = {}
        for ref, reference in entity.references.items():
            if ref in deferred:
                continue
            keys = {s.record.refs.get(ref) for s in sources} - {None, ""}
            gids = self.ledger.global_ids(reference.entity, source, [k for k in keys if k])
            found = self.ledger.native_ids(reference.entity, gids.values(), target)
            parents[ref] = {k: found[g] for k, g in gids.items() if g in found}
        return parents

    def _pending(
        self, entity: Entity, target: str, sources: Sequence[SourceRecord]
    ) -> dict[str, set[str]]:
        """reference -> the chunk's parents this plan creates (or links) in ``target``
        before the chunk: an entity planned earlier in the run."""
        pending = {}
        for ref, reference in entity.references.items():
            keys = {s.record.refs.get(ref) for s in sources} - {None, ""}
            pending[ref] = self.work.planned(
                reference.entity, target, [k for k in keys if k is not None]
            )
        return pending

    def _count_plan(self, items: Sequence[PlanItem], counts: Tally) -> None:
        for item in items:
            if item.deferred:
                self.session.deferred += len(item.deferred)
            action = item.action
            if action == "duplicate":
                counts.add("duplicates")
            elif action == "skip":
                counts.add("skipped")
            elif action == "unchanged":
                counts.add("unchanged")
            elif action in ("missing_parent", "invalid"):
                counts.add("failed")
            elif self.mode == "plan":
                counts.add({"create": "created", "update": "updated", "link": "matched"}[action])

    def _report_unwritable(
        self, items: Sequence[PlanItem], run_id: str, report: ReportWriter
    ) -> None:
        codes = {"missing_parent": "MISSING_PARENT", "invalid": "INVALID"}
        bad = [i for i in items if i.action in codes]
        for item in bad:
            report.exception(
                item.entity, item.source_key, item.target, codes[item.action], item.reason
            )
        if bad and self.mode != "plan":
            self.ledger.record_exceptions(
                run_id,
                [
                    ExceptionEntry(i.entity, i.target, i.source_key, codes[i.action], i.reason)
                    for i in bad
                ],
            )


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
