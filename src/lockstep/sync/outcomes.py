"""Where a drained change ends up: the report's rows, the run's counts, and, in one
ledger transaction, the queue's states, the exception rows and what the changes'
origins hold now; and, for a record a change was carried of, the end of its earlier
failures (``Ledger.settle``: its failed changes superseded, its exceptions closed).

One transaction, because a later pass reads them together: a change whose outcome
was not recorded is taken up again after a crash, and must not meet a fingerprint
recorded for it (it would be taken for the echo of lockstep's own write-back, and
dropped). The drain records the changes that failed before it writes their status
back into their origin, and the changes carried after (see ``drain._Batch.run``).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lockstep.config.entities import Entity
from lockstep.core.counts import Tally
from lockstep.core.plan import Action, FieldChange, Outcome, PlanItem
from lockstep.errors import Terminal
from lockstep.ledger import ExceptionEntry, Ledger, Record
from lockstep.mapping.ownership import owner_of
from lockstep.reports.writer import ReportWriter
from lockstep.sync.killpoints import killpoint
from lockstep.sync.work import Work

RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
RNG = random.Random()  # the jitter's source; tests put a seeded one here
SYNCED = "synced: a later change of the record was carried"
#: A conflict is recorded for information: the owner's value was kept, and the
#: systems agree on it; nobody needs to act (``docs/sync.md``).
INFORMATIONAL = "informational: the owner's value was kept"
COUNTED: dict[str, str] = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "unchanged": "unchanged",
    "skip": "skipped",
}


class Outcomes:
    def __init__(
        self,
        name: str,
        entity: Entity,
        ledger: Ledger,
        report: ReportWriter,
        run_id: str,
        tally: Tally,
    ) -> None:
        self.name = name
        self.entity = entity
        self.ledger = ledger
        self.report = report
        self.run_id = run_id
        self.tally = tally
        self.waiting = 0
        self.gave_up: set[int] = set()  # queue items out of attempts: Failed, not waiting
        self.stopped_by: dict[str, Terminal] = {}  # system -> a whole call it refused

    def stopped(self, failure: Terminal) -> None:
        """A system refused a whole write until someone acts (``AuthFailed``,
        ``SchemaError``): its changes wait, and the pass ends interrupted."""
        self.stopped_by.setdefault(failure.system, failure)

    def done(
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
        """``w`` left ``system`` as ``action`` says (a row in processed.csv)."""
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
        outcome = Outcome(item, ok=True, target_key=item.target_key, created=created, job_id=job_id)
        self.report.processed(outcome)
        kind = COUNTED.get(action)
        if kind is not None:
            self.tally.add(kind)
        if action in ("create", "update", "delete"):
            self.tally.add("processed")

    def conflict(self, w: Work, change: FieldChange) -> None:
        """A value ``w``'s origin offered for a field another system owns."""
        owner = owner_of(self.entity, change.field)
        message = (
            f"{change.field}: {w.origin} has {change.after!r}, but {owner} owns it "
            f"and has {change.before!r} (owner_wins: {owner}'s value is kept)"
        )
        self.report.exception(self.name, w.key, w.origin, "CONFLICT", message)
        entry = ExceptionEntry(
            self.name, w.origin, w.key, "CONFLICT", message, global_id=w.gid, seq=w.item.id
        )
        self.ledger.record_exceptions(self.run_id, [entry], closed_as=INFORMATIONAL)

    def finish(self, works: Sequence[Work], held: Held) -> None:
        """Record, all in one ledger transaction, each change's queue item ``done``, back
        in the queue to wait (a failure that may pass), or ``failed`` with an exception
        row, and what the changes' origins hold now (``held``); the earlier failures of
        the records a change was carried of ended (superseded, their exceptions closed
        by this run); then report them."""
        killpoint("before_finish")
        end = ending(self.name, works, self.ledger.now())
        dead: set[int] = set()  # out of attempts: it waits for a person now
        with self.ledger.transaction() as conn:
            for failed in end.failed:
                state = self.ledger.fail(
                    failed.id,
                    failed.error,
                    retry_at=failed.retry_at,
                    code=failed.code,
                    attempts=failed.attempts,
                    conn=conn,
                )
                if state == "dead":
                    dead.add(failed.id)
                    self.gave_up.add(failed.id)
            killpoint("mid_finish")
            self.ledger.complete(end.done, conn=conn)
            entries = [*end.exceptions, *gave_up(self.name, works, dead)]
            self.ledger.failed_again(self.name, entries, run_id=self.run_id, conn=conn)
            self.ledger.record_exceptions(self.run_id, entries, conn=conn)
            for origin, agreed in held.agreed.items():
                self.ledger.mark_synced_many(self.name, origin, agreed, conn=conn)
            for origin, refused in held.refused.items():
                self.ledger.mark_refused_many(self.name, origin, refused, conn=conn)
            for origin, applied in held.applied.items():
                self.ledger.mark_applied(self.name, origin, applied, conn=conn)
            synced = [_record(w) for w in works if _synced(w, self.entity.owner)]
            self.ledger.settle(self.name, synced, run_id=self.run_id, resolution=SYNCED, conn=conn)
        killpoint("after_finish")
        for w in works:
            failure = w.failure
            if failure is None:
                continue
            if failure.transient and w.item.id not in dead:
                self.waiting += 1
                self.tally.add("skipped")
                continue
            self.tally.add("failed")
            message = failure.message if w.item.id not in dead else _given_up(w, failure.message)
            self.report.exception(
                self.name, w.key, failure.system, failure.code, message, failure.job_id
            )


@dataclass(frozen=True)
class Held:
    """What the origins of a batch's changes hold, recorded with the changes' outcomes
    (never before: see ``Outcomes.finish``). Per origin, ``agreed`` is ``(global id,
    fingerprint, golden version)`` of the changes carried; ``refused`` is ``(global
    id, fingerprint)`` of those that were not, whose origin keeps what it agreed on;
    ``applied``, the queue position of each change carried."""

    agreed: Mapping[str, Sequence[tuple[str, str, int]]] = field(default_factory=dict)
    refused: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    # per origin, ``(native id, queue item id)`` of the changes carried from it: the
    # last change applied of the record, so an older one resent later is superseded
    applied: Mapping[str, Sequence[tuple[str, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    """A queue item that failed: to retry at ``retry_at``, or, without, failed for good."""

    id: int
    error: str
    code: str
    retry_at: datetime | None
    attempts: int = 0  # the earlier failures of the record's changes folded into it


@dataclass(frozen=True)
class Ending:
    """What becomes of a batch's queue items."""

    done: tuple[int, ...]
    failed: tuple[Failed, ...]
    exceptions: tuple[ExceptionEntry, ...]


def ending(
    name: str, works: Sequence[Work], now: datetime, rng: random.Random | None = None
) -> Ending:
    """The queue items of ``works`` (of entity ``name``) at ``now``: a change carried,
    and any change folded into another, is done; a failure that may pass waits
    (``retry_delay``, its jitter drawn from ``rng``); any other is failed, with an
    exception row."""
    done: list[int] = []
    failed: list[Failed] = []
    exceptions: list[ExceptionEntry] = []
    for w in works:
        done.extend(w.folded)
        failure = w.failure
        if failure is None:
            done.append(w.item.id)
            continue
        error = f"{failure.code}: {failure.message}"
        if failure.transient:
            retry_at = now + retry_delay(w.attempts, failure.retry_after, rng)
            failed.append(Failed(w.item.id, error, failure.code, retry_at, w.attempts))
            continue
        failed.append(Failed(w.item.id, error, failure.code, None))
        entry = ExceptionEntry(
            name,
            failure.system,
            w.key,
            failure.code,
            failure.message,
            failure.job_id,
            global_id=w.gid,
            seq=w.item.id,
        )
        exceptions.append(entry)
    return Ending(tuple(done), tuple(failed), tuple(exceptions))


def gave_up(name: str, works: Sequence[Work], dead: Collection[int]) -> list[ExceptionEntry]:
    """Exception rows for the changes of ``works`` that failed in a way that may pass
    once too often (``dead``): they wait for a person now, as a refused one does."""
    return [
        ExceptionEntry(
            name,
            f.system,
            w.key,
            f.code,
            _given_up(w, f.message),
            f.job_id,
            global_id=w.gid,
            seq=w.item.id,
        )
        for w in works
        if w.item.id in dead and (f := w.failure) is not None
    ]


def _given_up(w: Work, message: str) -> str:
    return f"given up after {w.attempts + 1} attempts: {message}"


def _synced(w: Work, owner: str) -> bool:
    """Whether ``w`` is a change carried (an upsert, or a delete in the ``owner``), not
    an echo nor settled without a decision: its record's earlier failures end with it."""
    if w.item.kind == "delete" and w.origin != owner:
        return False  # only unlinked there: the record lives on elsewhere
    return w.failure is None and not w.echo and not w.settled and w.gid is not None


def _record(w: Work) -> Record:
    natives = {**w.natives, w.origin: w.key}
    return Record(w.gid, tuple(sorted(natives.items())), w.item.id)


def retry_delay(
    attempts: int, retry_after: float | None = None, rng: random.Random | None = None
) -> timedelta:
    """How long a change that failed in a way that may pass waits, after ``attempts``
    earlier failures: full jitter, uniform in ``[0, min(RETRY_MAX, RETRY_BASE *
    2**attempts)]``, so changes that failed together (an outage) do not all fall due
    together; never less than the ``retry_after`` the system asked for."""
    ceiling: timedelta = min(RETRY_BASE * (1 << min(attempts, 30)), RETRY_MAX)
    jittered: timedelta = ceiling * (rng or RNG).random()
    return max(jittered, timedelta(seconds=retry_after or 0.0))
