"""Carry out a plan for one entity in one target: write, link, record, write back.

The plan comes chunk after chunk (``Execution.add``); the writes gather across chunks
into apply calls of ``CHUNK`` records, the Bulk jobs a plan made all at once would make.
The order makes a kill -9 at any point safe to rerun:

1. New global ids are linked to their source records in the ledger first, so a rerun
   reuses them (and the external-id values derived from them).
2. The target is written through ``Connector.apply`` (Collections or Bulk 2.0, by size);
   creates are upserts on the target's external id when it has one, so a rerun after a
   write whose reply was lost updates rather than duplicates.
3. Each call's results are linked and fingerprinted in one ledger transaction (a link
   with nothing to write, at once).
4. Written-back ids, global ids and sync statuses go to the source last, gathered into
   calls of ``CHUNK`` too; a rerun sees which are missing and writes only those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from lockstep.config.entities import Binding, Entity
from lockstep.connectors.base import Connector
from lockstep.core.codec import fingerprint
from lockstep.core.counts import Tally
from lockstep.core.ops import OpResult, Upsert
from lockstep.core.plan import Outcome, PlanItem
from lockstep.ledger import Ledger
from lockstep.ledger.rows import ExceptionEntry
from lockstep.mapping.errors import MappingError
from lockstep.mapping.record import Writer
from lockstep.mapping.status import missing, status_values
from lockstep.reports.writer import ReportWriter

CHUNK = 100_000  # records per apply call: one Bulk job each, few enough calls


@dataclass
class Target:
    """One entity's target: where it goes and how its values are written."""

    entity_name: str
    entity: Entity
    source: str
    target: str
    source_binding: Binding
    target_binding: Binding
    source_connector: Connector
    target_connector: Connector
    writer: Writer
    ext_value: Callable[[str, str], str] | None


class Execution:
    """Carries out one target's plan as it comes, a chunk of plan items at a time.

    While one apply call is out (a Bulk job runs, mostly waiting), the next chunks are
    planned and gathered, and the last call's results recorded. One worker, so the
    target sees one call at a time. Memory holds the writes gathering for one call and
    those of the call that is out. ``finish`` sends the rest and records it all; a
    ``with`` block left without it (an error) still waits for the call that is out, and
    records it if it came back.
    """

    def __init__(
        self,
        t: Target,
        *,
        ledger: Ledger,
        report: ReportWriter,
        run_id: str,
        tally: Tally,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        self._t = t
        self._ledger = ledger
        self._report = report
        self._run_id = run_id
        self._tally = tally
        self._on_done = on_done
        self._writes: list[tuple[PlanItem, Upsert]] = []
        self._house: dict[str, Mapping[str, Any]] = {}  # of the writes not yet recorded
        self._backs: list[Upsert] = []  # write-back into the source, gathering
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lockstep-apply")
        self._out: Future[list[Outcome]] | None = None

    def __enter__(self) -> Execution:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is not None and issubclass(exc_type, Exception):
                # The error that left the block goes on, not these: a write that came
                # back is linked (a rerun reuses it), what was recorded is written back.
                with suppress(Exception):
                    self._collect()
                with suppress(Exception):
                    self._write_back()
        finally:
            self._pool.shutdown(wait=True)

    def add(
        self,
        items: Sequence[PlanItem],
        *,
        known_gids: Mapping[str, str],
        source_house: Mapping[str, Mapping[str, Any]],
        target_house: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Take the writes among ``items``; ``known_gids``: the global ids the ledger
        had of their source records; the houses: housekeeping values by source and by
        target key."""
        t = self._t
        fresh = [
            (i.global_id, i.source_key)
            for i in items
            if i.global_id and i.source_key not in known_gids and i.action in ("create", "link")
        ]
        if fresh:
            self._ledger.link_many(t.entity_name, t.source, fresh)
        settled: list[Outcome] = []  # nothing to write, or nothing that can be written
        unchanged: list[Outcome] = []
        for item in items:
            if item.action in ("create", "update", "link"):
                try:
                    op = _op(t, item, (target_house or {}).get(item.target_key or "", {}))
                except MappingError as exc:
                    settled.append(Outcome(item, ok=False, error_code="INVALID", message=str(exc)))
                    continue
                if op is None:
                    settled.append(_outcome(item, None))
                else:
                    self._writes.append((item, op))
                    self._house[item.source_key] = source_house.get(item.source_key, {})
            elif item.action == "unchanged" and item.target_key:
                unchanged.append(Outcome(item, ok=True, target_key=item.target_key))
        self._gather_backs(_write_back_ops(t, unchanged, source_house))
        self._recorded(settled, source_house)
        while len(self._writes) >= CHUNK:
            self._send(self._writes[:CHUNK])
            del self._writes[:CHUNK]

    def finish(self) -> None:
        """Send what is left, record it all, write back what is waiting."""
        if self._writes:
            self._send(self._writes)
            self._writes = []
        self._collect()
        self._write_back()

    def _send(self, chunk: list[tuple[PlanItem, Upsert]]) -> None:
        """Send ``chunk`` once the call that is out came back; then record that one."""
        out = self._out
        outcomes = out.result() if out is not None else None
        self._out = self._pool.submit(self._apply, list(chunk))
        if outcomes is not None:
            self._recorded(outcomes, self._house)

    def _collect(self) -> None:
        out, self._out = self._out, None
        if out is not None:
            self._recorded(out.result(), self._house)

    def _apply(self, chunk: list[tuple[PlanItem, Upsert]]) -> list[Outcome]:
        results = self._t.target_connector.apply(
            self._t.target_binding.target, [op for _, op in chunk]
        )
        return [_outcome(item, r) for (item, _), r in zip(chunk, results, strict=True)]

    def _recorded(
        self, outcomes: Sequence[Outcome], source_house: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Link and fingerprint ``outcomes``, count and report them, record failures,
        and gather their write-back."""
        if not outcomes:
            return
        t = self._t
        _record(t, outcomes, self._ledger)
        for outcome in outcomes:
            _count(self._tally, outcome)
            self._report.processed(outcome)
        failures = [o for o in outcomes if not o.ok]
        if failures:
            self._ledger.record_exceptions(
                self._run_id,
                [
                    ExceptionEntry(
                        t.entity_name,
                        t.target,
                        o.item.source_key,
                        o.error_code or "UNKNOWN",
                        o.message or "",
                        o.job_id,
                    )
                    for o in failures
                ],
            )
        backs = _write_back_ops(t, outcomes, source_house)
        if source_house is self._house:
            for outcome in outcomes:
                self._house.pop(outcome.item.source_key, None)
        self._gather_backs(backs)
        if self._on_done is not None:
            self._on_done(len(outcomes))

    def _gather_backs(self, ops: Sequence[Upsert]) -> None:
        self._backs.extend(ops)
        if len(self._backs) >= CHUNK:
            self._write_back()

    def _write_back(self) -> None:
        backs, self._backs = self._backs, []
        _send_write_back(self._t, backs, self._report, self._ledger, self._run_id)


def _op(t: Target, item: PlanItem, current: Mapping[str, Any]) -> Upsert | None:
    """The write for ``item``; ``current`` holds the target record's housekeeping fields
    (global id, external id) so a link does not rewrite what is already there."""
    refs = {r: item.values[r] for r in t.entity.references if r in item.values}
    values = {k: v for k, v in item.values.items() if k not in t.entity.references}
    binding = t.target_binding
    back = binding.write_back
    synced = back.status if back is not None else None  # it holds the record synced
    if item.action == "create":
        native = t.writer.write(values, refs, creating=True)
        if synced is not None:
            native.update(status_values(synced, "success"))
        if binding.global_id_field and item.global_id:
            native[binding.global_id_field] = item.global_id
        if binding.external_id and t.ext_value is not None and item.global_id:
            native[binding.external_id] = t.ext_value(item.source_key, item.global_id)
            return Upsert(native, match_on=binding.external_id)
        return Upsert(native)
    only = {c.field for c in item.changes}
    native = t.writer.write(values, refs, only=only, creating=False) if only else {}
    if item.action == "link" and item.global_id:
        stamps: dict[str, Any] = {}
        if binding.global_id_field:
            stamps[binding.global_id_field] = item.global_id
        if binding.external_id and t.ext_value is not None:
            stamps[binding.external_id] = t.ext_value(item.source_key, item.global_id)
        native.update({f: v for f, v in stamps.items() if str(current.get(f) or "") != str(v)})
    if synced is not None and (native or item.action == "link"):
        native.update(missing(synced, current, "success"))
    if not native:
        return None
    return Upsert(native, native_id=item.target_key)


def _outcome(item: PlanItem, result: OpResult | None) -> Outcome:
    if result is None:  # nothing needed writing (a link with equal values)
        return Outcome(item, ok=True, target_key=item.target_key)
    if result.ok:
        return Outcome(
            item,
            ok=True,
            target_key=result.native_id or item.target_key,
            created=result.created,
            job_id=result.job_id,
        )
    error = result.error
    return Outcome(
        item,
        ok=False,
        target_key=item.target_key,
        error_code=error.code if error else "UNKNOWN",
        message=error.message if error else "",
        job_id=result.job_id,
    )


def _record(t: Target, outcomes: Sequence[Outcome], ledger: Ledger) -> None:
    """Link and fingerprint a chunk's successes in one transaction."""
    ok = [o for o in outcomes if o.ok and o.target_key and o.item.global_id]
    if not ok:
        return
    with ledger.transaction() as conn:
        ledger.link_many(
            t.entity_name,
            t.target,
            [(o.item.global_id or "", o.target_key or "") for o in ok],
            conn=conn,
        )
        ledger.mark_synced_many(
            t.entity_name,
            t.target,
            [(o.item.global_id or "", fingerprint(o.item.values), 1) for o in ok],
            conn=conn,
        )


def _count(tally: Tally, outcome: Outcome) -> None:
    action = outcome.item.action
    if not outcome.ok:
        tally.add("failed")
        return
    if action == "create" and outcome.created:
        kind = "created"
    elif action in ("create", "link"):
        kind = "matched"  # a create found by its external id: an earlier run made it
    elif outcome.item.changes:
        kind = "updated"
    else:
        return  # nothing was written
    tally.add(kind)
    tally.add("processed")


def _write_back_ops(
    t: Target, outcomes: Sequence[Outcome], house: Mapping[str, Mapping[str, Any]]
) -> list[Upsert]:
    """The target's id, the global id and the sync status that ``outcomes``' source
    records lack (``house``: their housekeeping values by source key)."""
    binding = t.source_binding
    back = binding.write_back
    id_field = back.ids.get(t.target) if back is not None else None
    status = back.status if back is not None else None
    gid_field = binding.global_id_field
    if id_field is None and status is None and gid_field is None:
        return []
    linked = {o.item.source_key: o for o in outcomes if o.ok and o.target_key}
    failures = [o for o in outcomes if not o.ok]
    ops: list[Upsert] = []
    for key, outcome in linked.items():
        wanted: dict[str, Any] = {}
        if id_field is not None:
            wanted[id_field] = outcome.target_key
        if gid_field is not None and outcome.item.global_id:
            wanted[gid_field] = outcome.item.global_id
        if status is not None:
            wanted.update(status_values(status, "success"))
        current = house.get(key, {})
        changed = {f: v for f, v in wanted.items() if str(current.get(f) or "") != str(v or "")}
        if changed:
            ops.append(Upsert(changed, native_id=key))
    if status is not None:
        for outcome in failures:
            key = outcome.item.source_key
            reason = f"{outcome.error_code}: {outcome.message}"
            failed = missing(status, house.get(key, {}), "failed", reason)
            if failed:
                ops.append(Upsert(failed, native_id=key))
    return ops


def _send_write_back(
    t: Target, ops: Sequence[Upsert], report: ReportWriter, ledger: Ledger, run_id: str
) -> int:
    """Write ``ops`` into the source; report and record those it refuses."""
    if not ops:
        return 0
    results = t.source_connector.apply(t.source_binding.target, ops)
    refused = [
        ExceptionEntry(
            t.entity_name,
            t.source,
            op.native_id or "",
            r.error.code if r.error else "UNKNOWN",
            f"write-back failed: {r.error.message if r.error else ''}",
            r.job_id,
        )
        for op, r in zip(ops, results, strict=True)
        if not r.ok
    ]
    for entry in refused:
        report.exception(
            entry.entity, entry.key, entry.system, entry.code, entry.message, entry.job_id
        )
    if refused:
        ledger.record_exceptions(run_id, refused)
    return sum(r.ok for r in results)
