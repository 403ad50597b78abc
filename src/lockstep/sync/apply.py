"""The writes of one drained batch: each system brought up to the golden record, the
origins' housekeeping (ids, global id, sync status), and deletes.

What a system is sent, for each record the batch changed (its ``lead`` change):

- a system a change of the batch came from holds that change's values: it gets the
  fields where the golden record now differs (the owner's value over a refused one,
  or another system's newer value);
- any other system gets the fields that changed, or every field it binds when it is
  *behind* (its last-synced fingerprint is not the golden record's) or lacks the
  record (then it is created, by upsert on its external id when it has one).

Whatever a system now holds is fingerprinted in the same transaction that links a
record it created, so the next pass knows its echo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any

from lockstep.config.entities import Entity
from lockstep.connectors.base import not_done
from lockstep.core.ops import Delete, Op, OpResult, RecordError, Upsert
from lockstep.errors import SystemFailure, Terminal
from lockstep.ledger import Ledger
from lockstep.mapping.errors import MappingError
from lockstep.mapping.ownership import print_of
from lockstep.mapping.record import kind_of
from lockstep.mapping.status import missing, status_values
from lockstep.mapping.values import same
from lockstep.sync.decide import to_write
from lockstep.sync.killpoints import killpoint
from lockstep.sync.outcomes import Held, Outcomes
from lockstep.sync.work import Side, Work


class Writes:
    def __init__(
        self,
        name: str,
        entity: Entity,
        ledger: Ledger,
        sides: Mapping[str, Side],
        outcomes: Outcomes,
    ) -> None:
        self.name = name
        self.entity = entity
        self.ledger = ledger
        self.sides = sides
        self.out = outcomes

    # -- bringing a system up to the golden record --------------------------------------

    def side(self, side: Side, works: Sequence[Work]) -> None:
        """Bring ``side`` up to the golden record for each record ``works`` changed."""
        leads = [w for w in works if w.lead]
        if not leads:
            return
        held = _held(works, side.system)
        synced = self.ledger.synced_many(self.name, [w.gid or "" for w in leads], side.system)
        plans: list[tuple[Work, frozenset[str]]] = []
        for w in leads:
            assert w.final is not None and w.gid is not None
            mine = held.get(w.gid)
            if mine is not None:
                fields = self._differing(mine.incoming, w.final.merged, side)
            else:
                state = synced.get(w.gid)
                behind = state is None or state.fingerprint != print_of(w.before or {}, side.names)
                exists = side.system in w.natives
                fields = to_write(w.final, side.names, exists=exists, behind=behind)
            if fields:
                plans.append((w, fields))
            elif mine is None:
                self.out.done(w, side.system, "unchanged")
        parents = self._parents(side, plans)
        ops: list[Op] = []
        sent: list[Work] = []
        for w, fields in plans:
            op = self._op(side, w, fields, parents, origin=w.gid in held)
            if op is not None:
                ops.append(op)
                sent.append(w)
        done: list[tuple[Work, OpResult]] = []
        results = self.apply(side, ops, sent)
        killpoint(f"after_side_write:{side.system}")
        for w, result in zip(sent, results, strict=True):
            if result is not None and result.ok:
                done.append((w, result))
            elif result is not None:
                refused(w, side.system, result)
        self._record(side, done, held)
        killpoint(f"after_record:{side.system}")

    def _differing(
        self, held: Mapping[str, Any], merged: Mapping[str, Any], side: Side
    ) -> frozenset[str]:
        return frozenset(
            name
            for name in side.names
            if name in merged
            and name in held
            and not same(held[name], merged[name], kind_of(self.entity, name))
        )

    def _parents(
        self, side: Side, plans: Sequence[tuple[Work, frozenset[str]]]
    ) -> dict[str, dict[str, str]]:
        """Per reference, parent global id -> the parent's native id in ``side``."""
        found: dict[str, dict[str, str]] = {}
        for ref, reference in self.entity.references.items():
            gids = {
                str(w.final.merged[ref])
                for w, fields in plans
                if w.final and ref in fields and w.final.merged.get(ref)
            }
            found[ref] = self.ledger.native_ids(reference.entity, gids, side.system) if gids else {}
        return found

    def _op(
        self,
        side: Side,
        w: Work,
        fields: frozenset[str],
        parents: Mapping[str, Mapping[str, str]],
        *,
        origin: bool,
    ) -> Upsert | None:
        """The write bringing ``side`` up to the golden record in ``fields``; a system
        the record's change did not come from (``origin``) is told, with the values,
        that it holds the record synced (``mapping.status``)."""
        assert w.final is not None and w.gid is not None
        merged = w.final.merged
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
                message = f"{ref}: {target} {parent} is not in {side.system} yet"
                w.fail("MISSING_PARENT", message, side.system)
                return None
        references = self.entity.references
        values = {k: v for k, v in merged.items() if k in fields and k not in references}
        exists = side.system in w.natives
        try:
            native = side.writer.write(values, refs, only=fields, creating=not exists)
        except MappingError as exc:
            w.fail("INVALID", str(exc), side.system)
            return None
        back = side.binding.write_back
        if native and not origin and back is not None and back.status is not None:
            native.update(status_values(back.status, "success"))
        if exists:
            if not native:
                self.out.done(w, side.system, "unchanged")
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

    def apply(self, side: Side, ops: Sequence[Op], works: Sequence[Work]) -> list[OpResult | None]:
        """``ops`` through the side's connector; a whole-call failure leaves every op
        not done, so every work waits for a retry (``not_done``: whatever failed, it is
        not the records' fault), and gives ``None`` results. A ``Terminal`` one is
        noted too: the pass ends interrupted, for a person to act."""
        if not ops:
            return []
        try:
            return list(side.connector.apply(side.binding.target, ops))
        except SystemFailure as exc:
            error = not_done(exc)
            for w in works:
                _not_done(w, side.system, error)
            if isinstance(exc, Terminal):
                self.out.stopped(exc)
        return [None] * len(ops)

    def _record(
        self, side: Side, done: Sequence[tuple[Work, OpResult]], held: Mapping[str, Work]
    ) -> None:
        """Link new records and remember what ``side`` now holds, in one transaction.
        A record whose link the ledger refuses ends ``XREF_CONFLICT``. Not where a
        change of the batch came from ``side`` (``held``): that is remembered with the
        change's outcome (``holds``), lest a crash in between leave the change to be
        taken for the echo of this write."""
        if not done:
            return
        links: list[tuple[str, str]] = []
        for w, result in done:
            assert w.final is not None and w.gid is not None
            if side.system not in w.natives and result.native_id:
                links.append((w.gid, result.native_id))
        with self.ledger.transaction() as conn:
            refused = self.ledger.link_new(self.name, side.system, links, conn=conn)
            prints = [
                (w.gid or "", print_of(w.final.merged, side.names) if w.final else "", w.version)
                for w, result in done
                if (result.native_id not in refused or side.system in w.natives)
                and w.gid not in held
            ]
            self.ledger.mark_synced_many(self.name, side.system, prints, conn=conn)
        for w, result in done:
            created = side.system not in w.natives
            if created and result.native_id in refused:
                w.fail("XREF_CONFLICT", refused[result.native_id], side.system, result.job_id)
                continue
            if created and result.native_id:
                w.natives[side.system] = result.native_id
            self.out.done(
                w,
                side.system,
                "create" if created else "update",
                target_key=w.natives.get(side.system),
                created=result.created,
                job_id=result.job_id,
            )

    # -- the origins --------------------------------------------------------------------

    def origins(self, works: Sequence[Work]) -> None:
        """Into each change's origin: the ids the record has elsewhere, the global id and
        the sync status, where they differ from what the change read. What the origin
        then holds is recorded with the change's outcome (``holds``)."""
        for origin in {w.origin for w in works}:
            side = self.sides[origin]
            mine = [w for w in works if w.origin == origin and not w.echo]
            pairs = [(w, self._house(side, w)) for w in mine]
            pairs = [(w, values) for w, values in pairs if values]
            ops: list[Op] = [Upsert(values, native_id=w.key) for w, values in pairs]
            results = self.apply(side, ops, [w for w, _ in pairs])
            killpoint(f"after_origin_writeback:{origin}")
            for (w, _), result in zip(pairs, results, strict=True):
                if result is not None and not result.ok:
                    refused(w, origin, result)
                elif result is not None and w.alive and not _wrote(w):
                    # nothing else was written: the write-back is the repair (reconcile)
                    self.out.done(w, origin, "update", reason="write-back")

    def in_progress(self, works: Sequence[Work]) -> None:
        """Into the origin of each change taken up, ``in_progress`` where its status
        says anything else (``in_progress_on_change``). A courtesy to the people who
        watch the field: a system that refuses it does not hold the change back."""
        for origin in {w.origin for w in works}:
            back = self.sides[origin].binding.write_back
            status = back.status if back is not None else None
            if status is None or not status.in_progress_on_change:
                continue
            mine = [w for w in works if w.origin == origin and w.alive and not w.echo]
            pairs = [(w, missing(status, w.payload.house, "in_progress")) for w in mine]
            ops: list[Op] = []
            for w, values in pairs:
                if values or w.retried:
                    w.marked = True
                    ops.append(
                        Upsert(values or status_values(status, "in_progress"), native_id=w.key)
                    )
            if not ops:
                continue
            with suppress(SystemFailure):  # the change goes on; its outcome follows it
                self.sides[origin].connector.apply(self.sides[origin].binding.target, ops)
            killpoint(f"after_in_progress:{origin}")

    def holds(self, works: Sequence[Work]) -> Held:
        """What the origins of ``works`` hold now, to record with their outcomes: the
        golden record where a change was carried (any refused value was written over);
        where it was not, its values, as refused (the origin keeps what it agreed on:
        it holds something lockstep did not agree to), so that the echo of the status
        written back is known. A change settled without a decision (superseded by a
        later one, or of a record deleted in its owner) records nothing."""
        agreed: dict[str, list[tuple[str, str, int]]] = {}
        refused: dict[str, list[tuple[str, str]]] = {}
        applied: dict[str, list[tuple[str, int]]] = {}
        for w in works:
            if w.alive and not w.echo and not w.settled:  # an echo is not a newer change
                applied.setdefault(w.origin, []).append((w.key, w.item.id))
            if w.item.kind != "upsert" or w.echo or w.settled or w.gid is None:
                continue  # a settled change (superseded, deleted) says nothing of it
            names = self.sides[w.origin].names
            if w.alive and w.final is not None:
                row = (w.gid, print_of(w.final.merged, names), w.version)
                agreed.setdefault(w.origin, []).append(row)
            else:
                refused.setdefault(w.origin, []).append((w.gid, print_of(w.incoming, names)))
        return Held(agreed, refused, applied)

    def _house(self, side: Side, w: Work) -> dict[str, Any]:
        wanted: dict[str, Any] = {}
        binding = side.binding
        back = binding.write_back
        if back is not None:  # where it got to, even when it failed elsewhere
            for system, id_field in back.ids.items():
                if system in w.natives and system != w.origin:
                    wanted[id_field] = w.natives[system]
        if binding.global_id_field and w.gid:
            wanted[binding.global_id_field] = w.gid
        if back is not None and back.status is not None:
            failure = w.failure
            if failure is None:
                wanted.update(status_values(back.status, "success"))
            elif failure.transient and w.item.id not in self.out.gave_up:
                wanted.update(status_values(back.status, "in_progress"))
            else:  # failed for good, or out of attempts
                reason = f"{failure.code}: {failure.message}"
                wanted.update(status_values(back.status, "failed", reason))
        if w.retried or w.marked:  # lockstep wrote over what the change read (a status)
            return wanted
        house = w.payload.house
        return {
            f: v
            for f, v in wanted.items()
            if f not in house or str(house.get(f) or "") != str(v if v is not None else "")
        }

    # -- deletes ------------------------------------------------------------------------

    def deletes(self, works: Sequence[Work]) -> None:
        """A delete in the entity's owner deletes the record everywhere it is linked (one
        call per system), and its links are kept as tombstones: the delete is final for
        the global id. A delete elsewhere only unlinks that system (the owner still has
        the record)."""
        carried: dict[str, list[tuple[Work, str]]] = {}
        for w in works:
            if w.gid is None:
                self.out.done(w, w.origin, "skip", reason="never synced: nothing to delete")
            elif w.origin != self.entity.owner:
                reason = f"deleted in {w.origin}, which does not own {self.name}: kept elsewhere"
                self.out.done(w, w.origin, "skip", reason=reason)
                self.ledger.unlink(self.name, w.gid, w.origin)
            else:
                for system, native in w.natives.items():
                    if system != w.origin:
                        carried.setdefault(system, []).append((w, native))
        for system, pairs in carried.items():
            ops: list[Op] = [Delete(native) for _, native in pairs]
            results = self.apply(self.sides[system], ops, [w for w, _ in pairs])
            for (w, native), result in zip(pairs, results, strict=True):
                if result is None:
                    continue
                if result.ok or (result.error and result.error.code == "ENTITY_IS_DELETED"):
                    self.out.done(w, system, "delete", target_key=native)
                else:
                    refused(w, system, result)
        owned = [w.gid for w in works if w.gid and w.origin == self.entity.owner and w.alive]
        if owned:
            self.ledger.tombstone(self.name, owned)


def refused(w: Work, system: str, result: OpResult) -> None:
    error = result.error
    if error is None:
        w.fail("UNKNOWN", "", system, result.job_id)
        return
    w.fail(
        error.code,
        error.message,
        system,
        result.job_id,
        passing=error.transient,
        retry_after=error.retry_after,
    )


def _wrote(w: Work) -> bool:
    """Whether ``w`` created, updated or deleted the record anywhere."""
    return any(action in ("create", "update", "delete") for action in w.written.values())


def _not_done(w: Work, system: str, error: RecordError) -> None:
    w.fail(error.code, error.message, system, passing=True, retry_after=error.retry_after)


def _held(works: Sequence[Work], system: str) -> dict[str, Work]:
    """Per record, the latest live change read from ``system`` in this batch."""
    held: dict[str, Work] = {}
    for w in sorted(works, key=lambda w: w.item.id):
        if w.origin == system and w.gid and not w.echo and w.failure is None:
            held[w.gid] = w
    return held
