"""Drain the queue: claim changes entity by entity (parents first), decide, write.

For one claimed batch of an entity::

    coalesce ─→ global ids (new ones linked before any write) ─→ references as global
    ids ─→ echoes set aside ─→ lock rule ─→ accept into the golden record ─→ every
    system brought up to it (apply.py) ─→ the outcomes of the changes not carried ─→
    the origins' ids and status ─→ the outcomes of the changes carried

An *echo* is a change whose values are what lockstep had agreed with its origin when
the change was read (the origin's last-synced fingerprint then, kept with the queued
change), or what it last refused from it: lockstep's own write read back, or a
housekeeping write (an "In Progress" or "Failed" status). It is done without a
decision, so it can neither conflict nor trip a lock.

A record's changes come claimed together (``ledger.queue``), so they are folded and
decided in one batch, in the order their origins made them; a change older than one
already applied (``--retry-failed``) is superseded, and a record deleted in its owner
stays deleted (its links are kept as tombstones).

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

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from lockstep.config.entities import Binding, Entity
from lockstep.config.models import Config
from lockstep.connectors.base import Connector
from lockstep.core.counts import Tally
from lockstep.errors import Terminal
from lockstep.expr import Expr, parse
from lockstep.ledger import Ledger
from lockstep.mapping.lock import locked
from lockstep.mapping.ownership import print_of
from lockstep.mapping.payload import unpack
from lockstep.reports.writer import ReportWriter
from lockstep.sync.apply import Writes
from lockstep.sync.decide import Accepted, accept
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
        # A drain takes what was due when it began (after capture): a change it sends
        # back to wait (its jittered delay may be short) is not taken again by it.
        self.due: datetime | None = None
        self.stopped_by: dict[str, Terminal] = {}  # systems that refused a whole write

    def entity(self, name: str) -> None:
        """Drain every available change of entity ``name``."""
        entity = self.config.entities[name]
        bound = sides(entity, self.connectors)
        lock = parse(entity.lock) if entity.lock else None
        tally = self.counts.setdefault(name, Tally())
        out = Outcomes(name, entity, self.ledger, self.report, self.run_id, tally)
        if self.due is None:
            self.due = self.ledger.now()
        while items := self.ledger.claim(BATCH, self.worker, now=self.due, entities=[name]):
            killpoint("after_claim")
            works = coalesce(items)
            tally.add("selected", len(works))
            _Batch(self.ledger, name, entity, bound, lock, out).run(works)
        self.waiting += out.waiting
        self.stopped_by.update(out.stopped_by)


def is_echo(w: Work, names: frozenset[str], holds: str | None) -> bool:
    """Whether ``w`` (its change and those folded into it) only reads back what
    lockstep had agreed with the origin.

    Judged as of capture: each change is compared with the fingerprint its origin
    had in the ledger when the change was read (``seen_print``), so neither a write
    lockstep made since (an echo of the old values is still an echo) nor a failure
    (a change retried is judged as it was read) moves the answer. A change read
    before lockstep knew the record falls back to the fingerprint the origin has
    now (``holds``), and is then never an echo once it was retried."""
    items = [*w.earlier, w.item]
    if any(item.seen_print is None for item in items):
        return not w.retried and holds == print_of(w.incoming, names)
    if print_of(w.incoming, names) != w.item.seen_print:
        return False
    refs = {ref: w.incoming[ref] for ref in w.payload.refs if ref in w.incoming}
    for item in w.earlier:
        payload = unpack(item.values)
        if payload.refs != w.payload.refs:  # its references were read another way
            return False
        if print_of({**payload.values, **refs}, names) != item.seen_print:
            return False
    return True


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
        self._global_ids(works)
        killpoint("after_ids")
        deletes = [w for w in works if w.item.kind == "delete" and not w.settled]
        self.writes.deletes(deletes)
        upserts = [w for w in works if w.item.kind == "upsert" and not w.settled]
        self._deleted(upserts, deletes)
        upserts = [w for w in upserts if not w.settled]
        self._references(upserts)
        self._echoes(upserts)  # the read-back of a "Failed" status is an echo too
        for w in upserts:
            if w.payload.problems and not w.echo:
                w.fail("INVALID", "; ".join(w.payload.problems), w.origin)
        live = [w for w in upserts if not w.echo]
        self._golden(live)
        self._locks(live)
        self.writes.in_progress(live)
        self._accept(live)
        killpoint("after_golden")
        for side in self.sides.values():
            self.writes.side(side, live)
        # What a later pass reads is recorded before a write it could misread: the
        # changes not carried before their status is written back, the others after.
        carried = [w for w in works if _was_carried(w)]
        settled = [w for w in works if not _was_carried(w)]
        self.out.finish(settled, self.writes.holds(settled))
        self.writes.origins(upserts)
        self.out.finish(carried, self.writes.holds(carried))

    # -- identity ---------------------------------------------------------------------

    def _global_ids(self, works: Sequence[Work]) -> None:
        """Each record's global id, by one rule: its link in the origin (the current
        one, over the global id the change was stamped with when it was read), else the
        one it was stamped with, else the one it carries (a record a dead pass created
        but did not link), else a new one, linked before any write.

        A change is settled here, without a decision, when a later change of its record
        from its origin was applied already (it is older than the golden record), or
        when its record was deleted in the owner: a delete is final for its global id,
        unless the owner itself has the record again (a key inserted anew), which is a
        new record with a new global id. A record whose link the ledger refuses ends
        ``XREF_CONFLICT``; the others go on."""
        owner = self.entity.owner
        for origin in {w.origin for w in works}:
            group = [w for w in works if w.origin == origin]
            links = self.ledger.links(self.name, origin, [w.key for w in group])
            stamped = {g for w in group if (g := w.item.global_id) and w.key not in links}
            dead = self.ledger.dead_global_ids(self.name, stamped)
            reborn: list[str] = []
            for w in group:
                link = links.get(w.key)
                w.gid = link.global_id if link is not None else w.item.global_id
                if link is not None and w.item.id <= link.seq:
                    self._settle(w, "superseded: a later change of the record was applied")
                elif link is not None and link.deleted:
                    if origin == owner and w.item.kind == "upsert":
                        reborn.append(link.global_id)  # the owner has the record again
                        w.gid = None
                    else:
                        self._settle(w, f"deleted in {owner}, which owns {self.name}")
                elif link is None and w.gid in dead:
                    self._settle(w, f"deleted in {owner}, which owns {self.name}")
            for gid in reborn:
                self.ledger.unlink(self.name, gid, origin)
            unknown = [w for w in group if w.gid is None and not w.settled]
            unknown = [w for w in unknown if w.item.kind == "upsert"]
            carried = self._carried(origin, unknown)
            fresh: list[tuple[str, str]] = []
            for w in unknown:
                w.gid = carried.get(w.key) or self.ledger.new_global_id()
                fresh.append((w.gid, w.key))
            refused = self.ledger.link_new(self.name, origin, fresh) if fresh else {}
            for w in unknown:
                if w.key in refused:
                    w.fail("XREF_CONFLICT", refused[w.key], origin)
                    w.gid = None
        for system in self.sides:
            gids = [w.gid for w in works if w.gid and not w.settled]
            known = self.ledger.native_ids(self.name, gids, system)
            for w in works:
                if w.gid in known:
                    w.natives[system] = known[w.gid]

    def _settle(self, w: Work, reason: str) -> None:
        w.settled = True
        self.out.done(w, w.origin, "skip", reason=reason)

    def _deleted(self, upserts: Sequence[Work], deletes: Sequence[Work]) -> None:
        """A change of a record its owner deleted in the same batch goes with the
        delete: settled when the delete was carried, waiting when it waits."""
        owner = self.entity.owner
        gone = {w.gid: w for w in deletes if w.gid and w.origin == owner}
        for w in upserts:
            d = gone.get(w.gid) if w.gid else None
            if d is None:
                continue
            if d.failure is None:
                self._settle(w, f"deleted in {owner}, which owns {self.name}")
            else:
                f = d.failure
                w.fail(f.code, f.message, f.system, f.job_id, passing=f.transient)

    def _carried(self, origin: str, works: Sequence[Work]) -> dict[str, str]:
        """``{native id: global id}`` for records of ``origin`` that name their global id,
        when it is not linked to another record of ``origin`` nor deleted in the owner.

        A record names it directly, in the binding's global-id field, or through the id
        it holds of itself in another system: a written-back id, or an external id that
        holds the key of the record it was copied from. So a copy lockstep wrote, but a
        dead pass did not link, is known for what it is when it comes back as a change,
        and does not become a second record."""
        binding = self.sides[origin].binding
        offered: dict[str, str] = {}
        if binding.global_id_field:
            gid_field = binding.global_id_field
            offered = {
                w.key: str(w.payload.house[gid_field])
                for w in works
                if w.payload.house.get(gid_field)
            }
        through: dict[str, set[str]] = {}  # key -> the global ids its other ids name
        for system, fields in _id_fields(binding, origin, self.sides).items():
            held = {
                (w.key, str(value))
                for w in works
                if w.key not in offered
                for f in fields
                if (value := w.payload.house.get(f))
            }
            found = self.ledger.global_ids(self.name, system, {n for _, n in held})
            for key, native in held:
                if native in found:
                    through.setdefault(key, set()).add(found[native])
        offered.update({key: gids.pop() for key, gids in through.items() if len(gids) == 1})
        linked = self.ledger.native_ids(self.name, set(offered.values()), origin)
        taken = {*linked, *self.ledger.dead_global_ids(self.name, offered.values())}
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
                    elif not w.payload.problems:  # else it fails INVALID, for good
                        message = (
                            f"{ref}: {reference.entity} {native} in {origin} is not synced yet"
                        )
                        w.fail("MISSING_PARENT", message, origin)

    def _echoes(self, works: Sequence[Work]) -> None:
        """Set aside the changes that are echoes: done, without a decision."""
        for origin in {w.origin for w in works}:
            side = self.sides[origin]
            group = [w for w in works if w.origin == origin and w.alive and w.gid]
            synced = self.ledger.synced_many(self.name, [w.gid or "" for w in group], origin)
            for w in group:
                state = synced.get(w.gid or "")
                agreed = state.fingerprint if state else None
                refused = state.refused_print if state else None
                if is_echo(w, side.names, agreed) or (
                    refused is not None
                    and not w.retried
                    and print_of(w.incoming, side.names) == refused
                ):
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


def _was_carried(w: Work) -> bool:
    """Whether ``w`` is a change carried so far, whose status is yet to be written back
    (not an echo, and not settled: superseded, or its record deleted in its owner)."""
    return w.item.kind == "upsert" and w.alive and not w.echo and not w.settled


def _id_fields(binding: Binding, origin: str, systems: Iterable[str]) -> dict[str, list[str]]:
    """``{system: fields}``: the fields of ``binding`` that may hold the id of its record
    in another system: the ids written back, and an external id holding the key of the
    record it was copied from (which may be in any other system)."""
    out: dict[str, list[str]] = {}
    if binding.write_back is not None:
        for system, id_field in binding.write_back.ids.items():
            out.setdefault(system, []).append(id_field)
    ext = binding.external_id
    if ext and ext.lower() != (binding.global_id_field or "").lower():
        for system in systems:
            if system != origin:
                out.setdefault(system, []).append(ext)
    return out
