"""Where a drained change ends up: the report's rows, the run's counts, the queue's
states and the ledger's exception rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from lockstep.config.entities import Entity
from lockstep.core.counts import Tally
from lockstep.core.plan import Action, FieldChange, Outcome, PlanItem
from lockstep.ledger import ExceptionEntry, Ledger
from lockstep.mapping.ownership import owner_of
from lockstep.reports.writer import ReportWriter
from lockstep.sync.killpoints import killpoint
from lockstep.sync.work import Work

RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
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
        self.ledger.record_exceptions(
            self.run_id, [ExceptionEntry(self.name, w.origin, w.key, "CONFLICT", message)]
        )

    def finish(self, works: Sequence[Work]) -> None:
        """Each change's queue item ``done``, back in the queue to wait (a failure that
        may pass: 30 s, doubling up to an hour), or ``failed`` with an exception row."""
        killpoint("before_finish")
        done = [i for w in works for i in w.folded]
        entries: list[ExceptionEntry] = []
        for w in works:
            failure = w.failure
            if failure is None:
                done.append(w.item.id)
                continue
            error = f"{failure.code}: {failure.message}"
            if failure.transient:
                delay = min(RETRY_BASE * (2**w.item.attempts), RETRY_MAX)
                retry_at = self.ledger.now() + delay
                self.ledger.fail(w.item.id, error, retry_at=retry_at, code=failure.code)
                killpoint("mid_finish")
                self.waiting += 1
                self.tally.add("skipped")
                continue
            self.ledger.fail(w.item.id, error, retry_at=None, code=failure.code)
            self.tally.add("failed")
            entries.append(
                ExceptionEntry(
                    self.name, failure.system, w.key, failure.code, failure.message, failure.job_id
                )
            )
            self.report.exception(
                self.name, w.key, failure.system, failure.code, failure.message, failure.job_id
            )
        if done:
            self.ledger.complete(done)
        if entries:
            self.ledger.record_exceptions(self.run_id, entries)
        killpoint("after_finish")
