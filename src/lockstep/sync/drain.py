"""Drain the queue: claim changes entity by entity (parents first), decide, write.

For one claimed batch of an entity::

    coalesce ─→ global ids (new ones linked before any write) ─→ references as global
    ids ─→ lock rule ─→ accept into the golden record ─→ every other system: write
    what changed (or all, when it is behind) ─→ the origin: ids, status, and the
    owner's value where a conflict was refused ─→ queue states

The golden record is stored before the writes: a crash after it leaves the claimed
items in flight, they are released on the next start, and the systems the writes did
not reach are found *behind* (their fingerprints are not the golden record's) and
written in full. A failure that may pass (a system down, a parent not there yet)
sends the item to the back of the queue with a growing delay; any other failure
ends it ``failed``, with an exception row, and the origin's status field says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from lockstep.config.entities import Entity
from lockstep.config.models import Config
from lockstep.connectors.base import Connector
from lockstep.core.ops import Delete, Op, OpResult, Upsert
from lockstep.errors import SystemFailure, Transient
from lockstep.expr import Expr, parse
from lockstep.ledger import ExceptionEntry, Ledger
from lockstep.mapping.errors import MappingError
from lockstep.migrate.model import Action, FieldChange, Outcome, PlanItem, Tally
from lockstep.reports.writer import ReportWriter
from lockstep.sync.decide import accept, locked, print_of, to_write
from lockstep.sync.work import Side, Work, coalesce, sides

BATCH = 10_000
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)


class Drain:
    def __init__(
        self,
        config: Config,
        ledger: Ledger,
        connectors: Mapping[str, Connector],
        report: ReportWriter,
        run_id: str,
        worker: str,
        counts: dict[str, Tally],
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.connectors = connectors
        self.report = report
        self.run_id = run_id
        self.worker = worker
        self.counts = counts
        self.waiting = 0  # items sent back to wait for a retry

    def entity(self, name: str) -> None:
        """Drain every available change of entity ``name``."""
        entity = self.config.entities[name]
        bound = sides(entity, self.connectors)
        lock = parse(entity.lock) if entity.lock else None
        tally = self.counts.setdefault(name, Tally())
        while items := self.ledger.claim(BATCH, self.worker, entities=[name]):
            works = coalesce(items)
            tally.add("selected", len(works))
            _Batch(self, name, entity, bound, lock, tally).run(works)


class _Batch:
    def __init__(
        self,
        drain: Drain,
        name: str,
        entity: Entity,
        bound: Mapping[str, Side],
        lock: Expr | None,
        tally: Tally,
    ) -> None:
        self.d = drain
        self.ledger = drain.ledger
        self.name = name
        self.entity = entity
        self.sides = bound
        self.lock = lock
        self.tally = tally

    def run(self, works: list[Work]) -> None:
        upserts = [w for w in works if w.item.kind == "upsert"]
        deletes = [w for w in works if w.item.kind == "delete"]
        self._global_ids(works)
        self._deletes(deletes)
        self._invalid(upserts)
        self._references(upserts)
        self._golden(upserts)
        self._locks(upserts)
        self._accept(upserts)
        for system, side in self.sides.items():
            self._write(side, [w for w in upserts if w.alive and w.origin != system])
        self._origins(upserts)
        self._finish(works)

    # -- identity ---------------------------------------------------------------------

    def _global_ids(self, works: Sequence[Work]) -> None:
        for origin in {w.origin for w in works}:
            group = [w for w in works if w.origin == origin]
            found = self.ledger.global_ids(self.name, origin, [w.key for w in group])
            fresh: list[tuple[str, str]] = []
            for w in group:
                w.gid = w.item.global_id or found.get(w.key)
                if w.gid is None and w.item.kind == "upsert":
                    w.gid = self.ledger.new_global_id()
                    fresh.append((w.gid, w.key))
            if fresh:  # before any write, so a rerun reuses them
                self.ledger.link_many(self.name, origin, fresh)
        for system in self.sides:
            known = self.ledger.native_ids(self.name, [w.gid for w in works if w.gid], system)
            for w in works:
                if w.gid in known:
                    w.natives[system] = known[w.gid]

    def _deletes(self, works: Sequence[Work]) -> None:
        """A delete in the entity's owner deletes the record everywhere it is linked; a
        delete elsewhere only unlinks that system (the owner still has the record)."""
        for w in works:
            if w.gid is None:
                w.written[w.origin] = "unchanged"  # never synced: nothing to undo
                continue
            if w.origin != self.entity.owner:
                self._outcome(
                    w,
                    w.origin,
                    "skip",
                    reason=f"deleted in {w.origin}, "
                    f"which does not own {self.name}: not deleted elsewhere",
                )
                self.ledger.unlink(self.name, w.gid, w.origin)
                continue
            for system, native in w.natives.items():
                if system == w.origin:
                    continue
                side = self.sides[system]
                result = self._apply(side, [Delete(native)], [w])[0]
                if result is None:
                    continue
                if result.ok or (result.error and result.error.code == "ENTITY_IS_DELETED"):
                    self.ledger.unlink(self.name, w.gid, system)
                    self._outcome(w, system, "delete", target_key=native)
                else:
                    self._refused(w, system, result)
            if w.alive:
                self.ledger.unlink(self.name, w.gid, w.origin)

    def _invalid(self, works: Sequence[Work]) -> None:
        for w in works:
            if w.payload.problems:
                w.fail("INVALID", "; ".join(w.payload.problems), w.origin)

    def _references(self, works: Sequence[Work]) -> None:
        """References travel as the parent's native id in the origin; they become the
        parent's global id here (the parent, drained first, is linked by now)."""
        for w in works:
            w.incoming = dict(w.payload.values)
        for ref, reference in self.entity.references.items():
            for origin in {w.origin for w in works}:
                group = [w for w in works if w.origin == origin and ref in w.payload.refs]
                natives = {w.payload.refs[ref] for w in group} - {None}
                found = self.ledger.global_ids(reference.entity, origin, natives)  # type: ignore[arg-type]
                for w in group:
                    native = w.payload.refs[ref]
                    if native is None:
                        w.incoming[ref] = None
                    elif native in found:
                        w.incoming[ref] = found[native]
                    else:
                        w.fail(
                            "MISSING_PARENT",
                            f"{ref}: {reference.entity} {native} in {origin} is not synced yet",
                            origin,
                        )

    def _golden(self, works: Sequence[Work]) -> None:
        found = self.ledger.golden_many(self.name, [w.gid for w in works if w.gid])
        for w in works:
            golden = found.get(w.gid or "")
            if golden is not None:
                w.before = golden.values
                w.version = golden.version
            # new everywhere (also when a pass died after linking its new global id)
            w.new = golden is None and set(w.natives) <= {w.origin}

    def _locks(self, works: Sequence[Work]) -> None:
        if self.lock is None:
            return
        parents: dict[str, dict[str, Any]] = {}
        for ref, reference in self.entity.references.items():
            gids = {str(w.before[ref]) for w in works if w.before and w.before.get(ref)}
            golden = self.ledger.golden_many(reference.entity, gids)
            parents[ref] = {gid: g.values for gid, g in golden.items()}
        for w in works:
            if not w.alive or w.before is None:
                continue
            mine = {
                ref: parents[ref].get(str(w.before.get(ref)), {}) for ref in self.entity.references
            }
            if locked(self.lock, w.before, mine):
                w.fail(
                    "RECORD_LOCKED", f"locked ({self.entity.lock}): change not carried", w.origin
                )

    def _accept(self, works: Sequence[Work]) -> None:
        live = sorted((w for w in works if w.alive), key=lambda w: w.item.id)
        latest: dict[str, Work] = {}  # one record changed in two systems: in queue order
        for w in live:
            earlier = latest.get(w.gid or "")
            if earlier is not None and earlier.accepted is not None:
                w.before, w.new = earlier.accepted.merged, False
            w.accepted = accept(self.entity, w.origin, w.incoming, w.before, new=w.new)
            latest[w.gid or ""] = w
        stored = [w for w in live if w.accepted and (w.accepted.changed or w.before is None)]
        versions = self.ledger.put_golden_many(
            self.name, [(w.gid or "", w.accepted.merged) for w in stored if w.accepted]
        )
        for w in stored:
            w.version = versions[w.gid or ""]

    # -- writing ----------------------------------------------------------------------

    def _write(self, side: Side, works: Sequence[Work]) -> None:
        """Bring ``side`` up to the golden record for each of ``works``."""
        if not works:
            return
        synced = self.ledger.synced_many(self.name, [w.gid for w in works if w.gid], side.system)
        plans: list[tuple[Work, frozenset[str]]] = []
        for w in works:
            assert w.accepted is not None and w.gid is not None
            state = synced.get(w.gid)
            behind = state is None or state.fingerprint != print_of(w.before or {}, side.names)
            fields = to_write(
                w.accepted, side.names, exists=side.system in w.natives, behind=behind
            )
            if fields:
                plans.append((w, fields))
            else:
                self._outcome(w, side.system, "unchanged")
        parents = self._parents(side, plans)
        ops: list[Op] = []
        sent: list[Work] = []
        for w, fields in plans:
            op = self._op(side, w, fields, parents)
            if op is not None:
                ops.append(op)
                sent.append(w)
        results = self._apply(side, ops, sent)
        done: list[tuple[Work, OpResult]] = []
        for w, result in zip(sent, results, strict=True):
            if result is None:
                continue
            if result.ok:
                done.append((w, result))
            else:
                self._refused(w, side.system, result)
        self._record(side, done)

    def _parents(
        self, side: Side, plans: Sequence[tuple[Work, frozenset[str]]]
    ) -> dict[str, dict[str, str]]:
        """Per reference, parent global id -> the parent's native id in ``side``."""
        found: dict[str, dict[str, str]] = {}
        for ref, reference in self.entity.references.items():
            gids = {
                str(w.accepted.merged[ref])
                for w, fields in plans
                if w.accepted and ref in fields and w.accepted.merged.get(ref)
            }
            found[ref] = self.ledger.native_ids(reference.entity, gids, side.system) if gids else {}
        return found

    def _op(
        self, side: Side, w: Work, fields: frozenset[str], parents: Mapping[str, Mapping[str, str]]
    ) -> Upsert | None:
        assert w.accepted is not None and w.gid is not None
        merged = w.accepted.merged
        refs: dict[str, str | None] = {}
        for ref in self.entity.references:
            if ref not in fields:
                continue
            parent = merged.get(ref)
            if parent is None:
                refs[ref] = None
            elif str(parent) in parents[ref]:
                refs[ref] = parents[ref][str(parent)]
            else:
                target = self.entity.references[ref].entity
                w.fail(
                    "MISSING_PARENT",
                    f"{ref}: {target} {parent} is not in {side.system} yet",
                    side.system,
                )
                return None
        values = {
            k: v for k, v in merged.items() if k in fields and k not in self.entity.references
        }
        exists = side.system in w.natives
        try:
            native = side.writer.write(values, refs, only=fields, creating=not exists)
        except MappingError as exc:
            w.fail("INVALID", str(exc), side.system)
            return None
        if exists:
            if not native:
                self._outcome(w, side.system, "unchanged")
                return None
            return Upsert(native, native_id=w.natives[side.system])
        native.update(self._stamps(side, w))
        ext = side.binding.external_id
        if ext and ext in native:
            return Upsert(native, match_on=ext)
        return Upsert(native)

    def _stamps(self, side: Side, w: Work) -> dict[str, Any]:
        """What a new record carries of lockstep's own: global id, external id, and the
        ids of the record in the systems lockstep knows it in."""
        assert w.gid is not None
        stamps: dict[str, Any] = {}
        binding = side.binding
        if binding.global_id_field:
            stamps[binding.global_id_field] = w.gid
        if binding.external_id and side.ext_value is not None:
            stamps[binding.external_id] = side.ext_value(w.natives.get(w.origin, w.key), w.gid)
        if binding.write_back is not None:
            known = {**w.natives, w.origin: w.key}
            for system, id_field in binding.write_back.ids.items():
                if system in known:
                    stamps[id_field] = known[system]
        return stamps

    def _apply(self, side: Side, ops: Sequence[Op], works: Sequence[Work]) -> list[OpResult | None]:
        """``ops`` through the side's connector; a whole-call failure fails every work
        (transient: it waits for a retry) and gives ``None`` results."""
        if not ops:
            return []
        try:
            return list(side.connector.apply(side.binding.target, ops))
        except Transient as exc:
            for w in works:
                w.fail("UNREACHABLE", exc.message, side.system)
        except SystemFailure as exc:
            for w in works:
                w.fail("SYSTEM_FAILURE", exc.message, side.system)
        return [None] * len(ops)

    def _refused(self, w: Work, system: str, result: OpResult) -> None:
        error = result.error
        code = error.code if error else "UNKNOWN"
        w.fail(code, error.message if error else "", system, result.job_id)

    def _record(self, side: Side, done: Sequence[tuple[Work, OpResult]]) -> None:
        """Link new records and remember what ``side`` now holds, in one transaction."""
        if not done:
            return
        links: list[tuple[str, str]] = []
        prints: list[tuple[str, str, int]] = []
        for w, result in done:
            assert w.accepted is not None and w.gid is not None
            created = side.system not in w.natives
            if created and result.native_id:
                w.natives[side.system] = result.native_id
                links.append((w.gid, result.native_id))
            prints.append((w.gid, print_of(w.accepted.merged, side.names), w.version))
            self._outcome(
                w,
                side.system,
                "create" if created else "update",
                target_key=w.natives.get(side.system),
                created=result.created,
                job_id=result.job_id,
            )
        with self.ledger.transaction() as conn:
            if links:
                self.ledger.link_many(self.name, side.system, links, conn=conn)
            self.ledger.mark_synced_many(self.name, side.system, prints, conn=conn)

    # -- the origin -------------------------------------------------------------------

    def _origins(self, works: Sequence[Work]) -> None:
        """Into each change's origin: the owner's values where its conflicting ones were
        refused, the ids written back, the global id and the sync status."""
        for origin in {w.origin for w in works}:
            side = self.sides[origin]
            pairs = [(w, self._origin_values(side, w)) for w in works if w.origin == origin]
            pairs = [(w, v) for w, v in pairs if v]
            results = self._apply(
                side, [Upsert(v, native_id=w.key) for w, v in pairs], [w for w, _ in pairs]
            )
            for (w, _), result in zip(pairs, results, strict=True):
                if result is not None and not result.ok:
                    self._refused(w, origin, result)
            held = [w for w in works if w.origin == origin and w.alive and w.accepted and w.gid]
            prints = [
                (
                    w.gid or "",
                    print_of(w.accepted.merged if w.accepted else {}, side.names),
                    w.version,
                )
                for w in held
            ]
            if prints:
                self.ledger.mark_synced_many(self.name, origin, prints)

    def _origin_values(self, side: Side, w: Work) -> dict[str, Any]:
        wanted: dict[str, Any] = {}
        if w.alive and w.accepted is not None and w.accepted.conflicts:
            names = frozenset(c.field for c in w.accepted.conflicts) & side.names
            values = {n: w.accepted.merged.get(n) for n in names if n not in self.entity.references}
            # when the owner's value cannot be written here, the conflict is still reported
            with contextlib.suppress(MappingError):
                wanted.update(side.writer.write(values, {}, only=names, creating=False))
            for change in w.accepted.conflicts:
                self._conflict(w, change)
        binding = side.binding
        back = binding.write_back
        if back is not None:  # where it got to, even when it failed elsewhere
            for system, id_field in back.ids.items():
                if system in w.natives and system != w.origin:
                    wanted[id_field] = w.natives[system]
        if binding.global_id_field and w.gid:
            wanted[binding.global_id_field] = w.gid
        if back is not None and back.status is not None and w.item.kind == "upsert":
            status = back.status
            if w.alive:
                wanted[status.field] = status.success
            else:
                waiting = w.failure is not None and w.failure.transient
                wanted[status.field] = status.in_progress if waiting else status.failed
        house = w.payload.house
        return {
            f: v
            for f, v in wanted.items()
            if f not in house or str(house.get(f) or "") != str(v if v is not None else "")
        }

    def _conflict(self, w: Work, change: FieldChange) -> None:
        owner = self.entity.field_owners.get(change.field, self.entity.owner)
        message = (
            f"{change.field}: {w.origin} has {change.after!r}, but {owner} owns it "
            f"and has {change.before!r} (owner_wins: {owner}'s value is kept)"
        )
        self.d.report.exception(self.name, w.key, w.origin, "CONFLICT", message)
        self.ledger.record_exceptions(
            self.d.run_id, [ExceptionEntry(self.name, w.origin, w.key, "CONFLICT", message)]
        )

    # -- queue and reports ------------------------------------------------------------

    def _outcome(
        self,
        w: Work,
        system: str,
        action: Action,
        *,
        target_key: str | None = None,
        created: bool = False,
        job_id: str | None = None,
        reason: str = "",
    ) -> None:
        w.written[system] = action
        item = PlanItem(
            self.name,
            w.origin,
            system,
            w.key,
            action,
            global_id=w.gid,
            target_key=target_key or w.natives.get(system),
            reason=reason,
        )
        self.d.report.processed(
            Outcome(item, ok=True, target_key=item.target_key, created=created, job_id=job_id)
        )
        kind = {
            "create": "created",
            "update": "updated",
            "delete": "deleted",
            "unchanged": "unchanged",
            "skip": "skipped",
        }.get(action)
        if kind is not None:
            self.tally.add(kind)
        if action in ("create", "update", "delete"):
            self.tally.add("processed")

    def _finish(self, works: Sequence[Work]) -> None:
        done = [i for w in works for i in w.folded]
        entries: list[ExceptionEntry] = []
        for w in works:
            failure = w.failure
            if failure is None:
                done.append(w.item.id)
                continue
            if failure.transient:
                delay = min(RETRY_BASE * (2**w.item.attempts), RETRY_MAX)
                self.ledger.fail(
                    w.item.id,
                    f"{failure.code}: {failure.message}",
                    retry_at=self.ledger.now() + delay,
                )
                self.d.waiting += 1
                self.tally.add("skipped")
                continue
            self.ledger.fail(w.item.id, f"{failure.code}: {failure.message}", retry_at=None)
            self.tally.add("failed")
            entries.append(
                ExceptionEntry(
                    self.name, failure.system, w.key, failure.code, failure.message, failure.job_id
                )
            )
            self.d.report.exception(
                self.name, w.key, failure.system, failure.code, failure.message, failure.job_id
            )
        if done:
            self.ledger.complete(done)
        if entries:
            self.ledger.record_exceptions(self.d.run_id, entries)
