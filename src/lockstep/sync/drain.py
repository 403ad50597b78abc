"""Drain the queue: claim changes entity by entity (parents first), decide, write.

For one claimed batch of an entity::

    coalesce ─→ global ids (new ones linked before any write) ─→ references as global
    ids ─→ echoes set aside ─→ lock rule ─→ accept into the golden record ─→ every
    system brought up to it (apply.py) ─→ the outcomes of the changes not carried ─→
    the origins' ids and status ─→ the outcomes of the changes carried

An *echo* is a change whose values are what lockstep last agreed with its origin (the
origin's last-synced fingerprint), or what it last refused from it: lockstep's own
write read back, or a housekeeping write. It is done without a decision, so it can
neither conflict nor trip a lock. A change retried from the queue is never taken for
an echo.

Crash consistency: each step's effect that a later step (or pass) relies on is
recorded before that effect can be misread. The golden record is stored before the
writes: a crash after it leaves the claimed items in flight, they are released on the
next start, and the systems the writes did not reach are found *behind* (their
fingerprints are not the golden record's) and written in full. A record that a dead
pass created but could not link is known again by the global id it carries. What a
change's origin holds is recorded only with the change's outcome (``Outcomes.finish``,
one transaction), so a change taken up after a crash never meets a fingerprint made
for it and is never taken for the echo of its own write-back. A failure that may pass
(a system down, a parent not there yet) sends the item to the back of the queue with a
growing delay; any other failure ends it ``failed``, with an exception row; either is
recorded before the origin's status says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lockstep.config.entities import Entity
from lockstep.config.models import Config
from lockstep.connectors.base import Connector
from lockstep.core.counts import Tally
from lockstep.errors import Terminal
from lockstep.expr import Expr, parse
from lockstep.ledger import Ledger
from lockstep.mapping.ownership import print_of
from lockstep.reports.writer import ReportWriter
from lockstep.sync.apply import Writes
from lockstep.sync.decide import Accepted, accept, locked
from lockstep.sync.killpoints import killpoint
from lockstep.sync.outcomes import Outcomes
from lockstep.sync.work import Side, Work, coalesce, sides

BATCH = 10_000


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
        self.stopped_by: dict[str, Terminal] = {}  # systems that refused a whole write

    def entity(self, name: str) -> None:
        """Drain every available change of entity ``name``."""
        entity = self.config.entities[name]
        bound = sides(entity, self.connectors)
        lock = parse(entity.lock) if entity.lock else None
        tally = self.counts.setdefault(name, Tally())
        out = Outcomes(name, entity, self.ledger, self.report, self.run_id, tally)
        while items := self.ledger.claim(BATCH, self.worker, entities=[name]):
            killpoint("after_claim")
            works = coalesce(items)
            tally.add("selected", len(works))
            _Batch(self.ledger, name, entity, bound, lock, out).run(works)
        self.waiting += out.waiting
        self.stopped_by.update(out.stopped_by)


class _Batch:
    def __init__(
        self,
        ledger: Ledger,
        name: str,
        entity: Entity,
        bound: Mapping[str, Side],
        lock: Expr | None,
        out: Outcomes,
    ) -> None:
        self.ledger = ledger
        self.name = name
        self.entity = entity
        self.sides = bound
        self.lock = lock
        self.out = out
        self.writes = Writes(name, entity, ledger, bound, out)

    def run(self, works: list[Work]) -> None:
        upserts = [w for w in works if w.item.kind == "upsert"]
        self._global_ids(works)
        killpoint("after_ids")
        self.writes.deletes([w for w in works if w.item.kind == "delete"])
        for w in upserts:
            if w.payload.problems:
                w.fail("INVALID", "; ".join(w.payload.problems), w.origin)
        self._references(upserts)
        self._echoes(upserts)
        live = [w for w in upserts if not w.echo]
        self._golden(live)
        self._locks(live)
        self._accept(live)
        killpoint("after_golden")
        for side in self.sides.values():
            self.writes.side(side, live)
        # What a later pass reads is recorded before a write it could misread: the
        # changes not carried before their status is written back, the others after.
        carried = [w for w in works if _carried(w)]
        settled = [w for w in works if not _carried(w)]
        self.out.finish(settled, self.writes.holds(settled))
        self.writes.origins(upserts)
        self.out.finish(carried, self.writes.holds(carried))

    # -- identity ---------------------------------------------------------------------

    def _global_ids(self, works: Sequence[Work]) -> None:
        """Each record's global id: its link, else the one it carries (a record a dead
        pass created but did not link), else a new one, linked before any write."""
        for origin in {w.origin for w in works}:
            group = [w for w in works if w.origin == origin]
            found = self.ledger.global_ids(self.name, origin, [w.key for w in group])
            for w in group:
                w.gid = w.item.global_id or found.get(w.key)
            unknown = [w for w in group if w.gid is None and w.item.kind == "upsert"]
            carried = self._carried(origin, unknown)
            fresh: list[tuple[str, str]] = []
            for w in unknown:
                w.gid = carried.get(w.key) or self.ledger.new_global_id()
                fresh.append((w.gid, w.key))
            if fresh:
                self.ledger.link_many(self.name, origin, fresh)
        for system in self.sides:
            known = self.ledger.native_ids(self.name, [w.gid for w in works if w.gid], system)
            for w in works:
                if w.gid in known:
                    w.natives[system] = known[w.gid]

    def _carried(self, origin: str, works: Sequence[Work]) -> dict[str, str]:
        """``{native id: global id}`` for records that carry a global id not linked to
        another record of ``origin``."""
        field = self.sides[origin].binding.global_id_field
        if field is None:
            return {}
        offered = {w.key: str(w.payload.house[field]) for w in works if w.payload.house.get(field)}
        taken = self.ledger.native_ids(self.name, set(offered.values()), origin)
        seen: set[str] = set()
        carried: dict[str, str] = {}
        for key, gid in offered.items():
            if gid not in taken and gid not in seen:
                carried[key] = gid
                seen.add(gid)
        return carried

    def _references(self, works: Sequence[Work]) -> None:
        """References travel as the parent's native id in the origin; they become the
        parent's global id here (the parent, drained first, is linked by now)."""
        for w in works:
            w.incoming = dict(w.payload.values)
        for ref, reference in self.entity.references.items():
            for origin in {w.origin for w in works}:
                group = [w for w in works if w.origin == origin and ref in w.payload.refs]
                natives = {str(n) for w in group if (n := w.payload.refs[ref]) is not None}
                found = self.ledger.global_ids(reference.entity, origin, natives)
                for w in group:
                    native = w.payload.refs[ref]
                    if native is None:
                        w.incoming[ref] = None
                    elif native in found:
                        w.incoming[ref] = found[native]
                    else:
                        message = (
                            f"{ref}: {reference.entity} {native} in {origin} is not synced yet"
                        )
                        w.fail("MISSING_PARENT", message, origin)

    def _echoes(self, works: Sequence[Work]) -> None:
        for origin in {w.origin for w in works}:
            side = self.sides[origin]
            group = [w for w in works if w.origin == origin and w.alive and w.gid]
            synced = self.ledger.synced_many(self.name, [w.gid or "" for w in group], origin)
            for w in group:
                state = synced.get(w.gid or "")
                known = (state.fingerprint, state.refused_print) if state else ()
                if not w.retried and print_of(w.incoming, side.names) in known:
                    w.echo = True
                    self.out.done(w, origin, "unchanged")

    # -- deciding ---------------------------------------------------------------------

    def _golden(self, works: Sequence[Work]) -> None:
        found = self.ledger.golden_many(self.name, [w.gid for w in works if w.gid])
        for w in works:
            golden = found.get(w.gid or "")
            if golden is not None:
                w.before = golden.values
                w.version = golden.version

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
                message = f"locked ({self.entity.lock}): change not carried"
                w.fail("RECORD_LOCKED", message, w.origin)

    def _accept(self, works: Sequence[Work]) -> None:
        """Fold the live changes into the golden record, a record's changes in queue
        order; its last change leads the writes with all of them (``final``)."""
        groups: dict[str, list[Work]] = {}
        for w in sorted(works, key=lambda w: w.item.id):
            if w.alive and w.gid:
                groups.setdefault(w.gid, []).append(w)
        to_store: list[tuple[str, Any]] = []
        for gid, group in groups.items():
            stored = group[0].before  # the golden record before the batch (shared)
            current = stored
            changed: frozenset[str] = frozenset()
            for w in group:
                holders = set(w.natives)
                w.accepted = accept(self.entity, w.origin, w.incoming, current, holders=holders)
                changed |= w.accepted.changed
                current = w.accepted.merged
                for conflict in w.accepted.conflicts:
                    self.out.conflict(w, conflict)
            final = Accepted(current or {}, changed, ())
            for w in group:
                w.final = final
            group[-1].lead = True
            if changed or stored is None:
                to_store.append((gid, final.merged))
        versions = self.ledger.put_golden_many(self.name, to_store)
        for gid, group in groups.items():
            if gid in versions:
                for w in group:
                    w.version = versions[gid]


def _carried(w: Work) -> bool:
    """Whether ``w`` is a change carried so far, whose status is yet to be written back."""
    return w.item.kind == "upsert" and w.alive and not w.echo
