"""``plan``, ``migrate`` and ``relink``: one run over the entities in dependency order.

For each entity, its owner is the source and every other binding a target. A run
connects to every system first (exit 3 before anything is recorded if one is down),
records itself in the ledger, reads both sides, plans, and (unless it is a plan)
applies; every run writes ``reports/<run-id>/``.

Ctrl-C or SIGTERM ends the run ``interrupted`` between entities, between targets, or
between reading and writing (``lockstep.runs.interrupt.checkpoint``): a target's writes,
once begun, are carried out and recorded. Running the same command again goes on: what
was carried is linked in the ledger and is not carried twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from lockstep.config.entities import Entity
from lockstep.config.loader import LoadedConfig
from lockstep.connectors.factory import open_connector
from lockstep.core.counts import Tally
from lockstep.core.plan import FieldChange, PlanItem
from lockstep.errors import ConfigError, Transient
from lockstep.ledger import ExceptionEntry, Ledger
from lockstep.mapping.record import compile_reader, compile_writer
from lockstep.migrate.execute import Target, execute
from lockstep.migrate.planner import PlanInput, SourceRecord, TargetRecord, plan_entity
from lockstep.migrate.retry import in_list
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.reports.writer import ReportWriter
from lockstep.runs import interrupt
from lockstep.runs.connect import Open
from lockstep.runs.lifecycle import Session, running
from lockstep.runs.scope import Step, chosen_steps
from lockstep.runs.select import (
    SideRecord,
    bound_names,
    external_id_value,
    key_field,
    read_side,
)

Mode = Literal["plan", "migrate", "relink"]


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
            _refuse_relink_before_migrate(ledger, steps, config.entities)
        if options.retry_failed:
            _refuse_retry_without_a_migrate(ledger, steps)
            retry_keys.update(_failed_last_time(ledger, steps))

    with running(
        loaded,
        options.mode,
        steps,
        reports=options.reports,
        connect=connect,
        check=check,
        interrupted_by=(Transient,),
        progress=progress,
    ) as session:
        _Run(loaded, options, steps, session, retry_keys, progress).go()
    return session.summary


def _refuse_relink_before_migrate(
    ledger: Ledger, steps: Sequence[Step], entities: Mapping[str, Entity]
) -> None:
    """Relink needs a finished migrate of each entity with deferred lookups, and of the
    entities those lookups point to; the others have nothing to relink."""
    needed = dict.fromkeys(
        name
        for step in steps
        if step.deferred
        for name in (
            step.entity,
            *(entities[step.entity].references[ref].entity for ref in sorted(step.deferred)),
        )
    )
    waiting = [name for name in needed if ledger.last_run("migrate", entity=name) is None]
    if waiting:
        raise ConfigError(
            [
                f"relink refused: no migrate has finished for {', '.join(waiting)}; "
                "run `lockstep migrate` first (relink fills lookups that migrate deferred)"
            ]
        )


def _refuse_retry_without_a_migrate(ledger: Ledger, steps: Sequence[Step]) -> None:
    if all(ledger.last_run("migrate", entity=s.entity) is None for s in steps):
        names = ", ".join(s.entity for s in steps)
        raise ConfigError(
            [
                f"--retry-failed: no migrate has finished for {names}, so nothing failed yet; "
                "run `lockstep migrate` first"
            ]
        )


def _failed_last_time(ledger: Ledger, steps: Sequence[Step]) -> dict[str, set[str]]:
    """Per entity, the source keys the last finished migrate could not carry. A run
    that did not finish (killed, interrupted) recorded only part of its failures."""
    keys: dict[str, set[str]] = {}
    for step in steps:
        last = ledger.last_run("migrate", entity=step.entity, status="done")
        if last is not None:
            failed = ledger.exceptions(run_id=last.run_id, entity=step.entity)
            keys[step.entity] = {e.key for e in failed}
    return keys


class _Run:
    def __init__(
        self,
        loaded: LoadedConfig,
        options: Options,
        steps: Sequence[Step],
        session: Session,
        retry_keys: dict[str, set[str]],
        progress: Progress,
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
        self.planned: dict[tuple[str, str], set[str]] = {}  # (entity, target) -> source keys
        self.retry_keys = retry_keys

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
        sources = read_side(
            self.connectors[source],
            binding,
            system,
            compile_reader(entity, binding),
            where=where,
            on_page=lambda n: self.progress.advance(name, n),
        )
        counts.add("selected", len(sources))
        self.progress.close(name)
        for target in entity.bindings:
            if target != source:
                interrupt.checkpoint()
                self._target(step, entity, source, target, sources, run_id, report, counts)

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
        sources: list[SideRecord],
        run_id: str,
        report: ReportWriter,
        counts: Tally,
    ) -> None:
        name = step.entity
        binding = entity.bindings[target]
        system = self.config.systems[target]
        self.progress.open(name, None, f"reading {target}")
        targets = read_side(
            self.connectors[target],
            binding,
            system,
            compile_reader(entity, binding),
            on_page=lambda n: self.progress.advance(name, n),
        )
        self.progress.close(name)
        keys = [s.key for s in sources]
        gid_of = self.ledger.global_ids(name, source, keys)
        target_of = self.ledger.native_ids(name, gid_of.values(), target)
        ext_field = binding.external_id
        items: list[PlanItem]
        if self.mode == "relink":
            items = self._relink_items(
                step, entity, source, target, sources, targets, gid_of, target_of
            )
        else:
            plan = plan_entity(
                PlanInput(
                    entity_name=name,
                    entity=entity,
                    source=source,
                    target=target,
                    sources=[SourceRecord(s.key, s.record) for s in sources],
                    targets=[
                        TargetRecord(
                            t.key, t.record, _text(t.house.get(ext_field)) if ext_field else None
                        )
                        for t in targets
                    ],
                    gid_of=gid_of,
                    target_of=target_of,
                    parents=self._parents(entity, source, target, sources, step.deferred),
                    deferred=step.deferred,
                    owned=frozenset(
                        f
                        for f in entity.fields
                        if entity.field_owners.get(f, entity.owner) == source
                    ),
                    new_gid=self.ledger.new_global_id,
                    ext_value=external_id_value(binding) if ext_field else None,
                    pending_parents=self._pending(entity, target) if self.mode == "plan" else {},
                    writable=bound_names(binding, writable=True),
                )
            )
            items = plan.items
            for group in plan.duplicates:
                report.duplicate(group)
        self._count_plan(items, counts)
        self.planned[(name, target)] = {
            i.source_key for i in items if i.action in ("create", "link", "update", "unchanged")
        }
        self._report_unwritable(items, run_id, report)
        if self.mode == "plan":
            for item in items:
                report.diff(item)
            return
        writes = sum(i.action in ("create", "update", "link") for i in items)
        interrupt.checkpoint()  # read and planned; nothing written yet
        self.progress.open(name, writes, f"writing {target}")
        execute(
            Target(
                name,
                entity,
                source,
                target,
                entity.bindings[source],
                binding,
                self.connectors[source],
                self.connectors[target],
                compile_writer(entity, binding),
                external_id_value(binding) if ext_field else None,
            ),
            items,
            known_gids=gid_of,
            source_house={s.key: s.house for s in sources},
            target_house={t.key: t.house for t in targets},
            ledger=self.ledger,
            report=report,
            run_id=run_id,
            on_done=lambda n: self.progress.advance(name, n),
            tally=counts,
        )
        self.progress.close(name)

    def _relink_items(
        self,
        step: Step,
        entity: Entity,
        source: str,
        target: str,
        sources: Sequence[SideRecord],
        targets: Sequence[SideRecord],
        gid_of: Mapping[str, str],
        target_of: Mapping[str, str],
    ) -> list[PlanItem]:
        """An update per linked record whose deferred lookups differ in the target."""
        current = {t.key: t for t in targets}
        parents = self._parents(entity, source, target, sources, frozenset())
        items = []
        for s in sources:
            gid = gid_of.get(s.key)
            target_key = target_of.get(gid) if gid else None
            base = PlanItem(step.entity, source, target, s.key, "skip", gid, target_key)
            if target_key is None or target_key not in current:
                items.append(replace(base, reason="not migrated"))
                continue
            values: dict[str, Any] = {}
            changes, missing = [], []
            for ref in sorted(step.deferred):
                parent = s.record.refs.get(ref)
                if not parent:
                    continue
                resolved = parents.get(ref, {}).get(parent)
                if resolved is None:
                    missing.append(f"{ref} -> {entity.references[ref].entity} {parent}")
                    continue
                before = current[target_key].record.refs.get(ref)
                if before != resolved:
                    values[ref] = resolved
                    changes.append(FieldChange(ref, before, resolved))
            if missing:
                reason = "parent not in the target: " + ", ".join(missing)
                items.append(replace(base, action="missing_parent", reason=reason))
            elif changes:
                items.append(replace(base, action="update", values=values, changes=tuple(changes)))
            else:
                items.append(replace(base, action="unchanged"))
        return items

    # -- helpers -----------------------------------------------------------------------

    def _parents(
        self,
        entity: Entity,
        source: str,
        target: str,
        sources: Sequence[SideRecord],
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

    def _pending(self, entity: Entity, target: str) -> dict[str, set[str]]:
        return {
            ref: self.planned.get((reference.entity, target), set())
            for ref, reference in entity.references.items()
        }

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
