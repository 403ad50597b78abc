"""``lockstep status``: the ledger's health, as an operator needs it.

What ran last (each mode's latest run, whatever became of it), where the change queue
stands per entity (how many items in each state, how old the oldest pending change
is, when the changes that failed for now will be tried again, and the errors behind
what waits, failed or died), and the latest open exceptions: what needs a person. A
ledger that does not exist yet is a ``LedgerStatus`` too, empty, with ``exists``
false: nothing has run.

Everything is read in one transaction, so the numbers agree with each other.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lockstep.control import queries
from lockstep.control.access import open_existing, shown
from lockstep.ledger import Ledger, RecordException, Run
from lockstep.ledger.base import Clock, utcnow
from lockstep.ledger.tables import QUEUE_STATES
from lockstep.reports.summary import iso_utc

MODES = ("migrate", "relink", "sync", "plan")
#: States of the items that wait for a person: a refused change, or one out of
#: attempts (each has an open exception, which is what ``status`` counts).
NEEDS_A_PERSON = ("failed", "dead")
#: States whose items' ``last_error`` says what is wrong now.
ERRED = ("pending", "failed", "dead")
RECENT_EXCEPTIONS = 10
TOP_ERRORS = 5

_CODE = re.compile(r"([A-Z][A-Z0-9_]*): ")


@dataclass(frozen=True)
class LastRun:
    """The latest run of one mode: ``counts`` are its summary's (empty while it runs)."""

    mode: str
    run_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: Mapping[str, int]
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "started_at": iso_utc(self.started_at),
            "finished_at": _iso(self.finished_at),
            "counts": dict(self.counts),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ErrorCount:
    """How many items in ``state`` last failed with error ``code``."""

    state: str
    code: str
    count: int


@dataclass(frozen=True)
class EntityQueue:
    """One entity's part of the queue. ``waiting`` are the pending changes that failed
    for now and wait for ``next_retry`` (the soonest of their retry times)."""

    entity: str
    counts: Mapping[str, int]  # every queue state, zeros included
    waiting: int = 0
    oldest_pending: datetime | None = None  # when it was enqueued
    next_retry: datetime | None = None
    errors: tuple[ErrorCount, ...] = ()  # the most common first

    @property
    def needs_a_person(self) -> int:
        return sum(self.counts[s] for s in NEEDS_A_PERSON)

    def as_dict(self, at: datetime) -> dict[str, Any]:
        age = None if self.oldest_pending is None else (at - self.oldest_pending).total_seconds()
        return {
            **self.counts,
            "waiting": self.waiting,
            "oldest_pending_at": _iso(self.oldest_pending),
            "oldest_pending_age_seconds": age,
            "next_retry_at": _iso(self.next_retry),
            "errors": [e.__dict__ for e in self.errors],
        }


@dataclass(frozen=True)
class LedgerStatus:
    """The ledger's health at ``at``; see the module docstring."""

    ledger: str  # as shown to people: a file path, or a URL without password
    exists: bool
    at: datetime
    runs: Mapping[str, LastRun | None] = field(default_factory=dict)  # by mode, MODES order
    queue: tuple[EntityQueue, ...] = ()
    exceptions: tuple[RecordException, ...] = ()  # the latest unresolved, newest first
    open_exceptions: int = 0

    @property
    def totals(self) -> dict[str, int]:
        """Items in each queue state, over every entity."""
        return {s: sum(q.counts[s] for q in self.queue) for s in QUEUE_STATES}

    @property
    def needs_a_person(self) -> int:
        """The open exceptions: each is a record that failed and waits for someone (a
        fix and ``lockstep retry``, or ``lockstep ignore``). An exception closes by
        itself when its record syncs later; a conflict is recorded closed (the owner's
        value was kept: nothing to do)."""
        return self.open_exceptions

    def as_dict(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger,
            "exists": self.exists,
            "at": iso_utc(self.at),
            "runs": {m: None if r is None else r.as_dict() for m, r in self.runs.items()},
            "queue": {q.entity: q.as_dict(self.at) for q in self.queue},
            "totals": self.totals,
            "needs_a_person": self.needs_a_person,
            "exceptions": {
                "open": self.open_exceptions,
                "recent": [exception_dict(e) for e in self.exceptions],
            },
        }


def read_status(url: str, entities: Sequence[str] = (), *, clock: Clock = utcnow) -> LedgerStatus:
    """The status of the ledger at ``url`` (never created here); ``entities`` (the
    config's, in its order) are listed even when they have nothing queued."""
    ledger = open_existing(url, clock=clock)
    if ledger is None:
        return LedgerStatus(shown(url), exists=False, at=clock())
    with ledger:
        return ledger_status(ledger, shown(url), entities)


def ledger_status(ledger: Ledger, name: str, entities: Sequence[str] = ()) -> LedgerStatus:
    """The status of an open ``ledger``, shown to people as ``name``."""
    with ledger.engine.connect() as conn:
        at = ledger.now()
        runs = {m: _last(ledger.last_run(m, status=None, conn=conn)) for m in MODES}
        states = queries.queue_states(conn)
        oldest = queries.oldest_pending(conn)
        waiting = queries.waiting(conn)
        errors = _errors(queries.last_errors(conn, ERRED))
        recent = tuple(queries.recent_exceptions(conn, RECENT_EXCEPTIONS))
        open_ = queries.open_exceptions(conn)
    names = [*entities, *sorted(set(states) - set(entities))]
    queue = tuple(
        EntityQueue(
            name,
            {s: states.get(name, {}).get(s, 0) for s in QUEUE_STATES},
            waiting.get(name, (0, None))[0],
            oldest.get(name),
            waiting.get(name, (0, None))[1],
            tuple(errors.get(name, ())),
        )
        for name in names
    )
    return LedgerStatus(name, True, at, runs, queue, recent, open_)


def error_code(last_error: str) -> str:
    """The code a queue item's ``last_error`` starts with (``CODE: message``, as the
    drain writes it), for items failed before the ledger kept the code in its own
    column; ``UNKNOWN`` when it does not."""
    found = _CODE.match(last_error)
    return found.group(1) if found else "UNKNOWN"


def exception_dict(e: RecordException) -> dict[str, Any]:
    return {
        "id": e.id,
        "run_id": e.run_id,
        "entity": e.entity,
        "system": e.system,
        "key": e.key,
        "code": e.code,
        "message": e.message,
        "job_id": e.job_id,
        "created_at": iso_utc(e.created_at),
        "resolved_at": _iso(e.resolved_at),
        "resolved_by": e.resolved_by,
        "resolution": e.resolution,
        "global_id": e.global_id,
    }


def _last(run: Run | None) -> LastRun | None:
    if run is None:
        return None
    summary = run.summary or {}
    counts = {str(k): int(v) for k, v in (summary.get("counts") or {}).items()}
    notes = tuple(str(n) for n in summary.get("notes") or ())
    return LastRun(run.mode, run.run_id, run.status, run.started_at, run.finished_at, counts, notes)


def _errors(
    rows: Sequence[tuple[str, str, str | None, str, int]],
) -> dict[str, list[ErrorCount]]:
    """The ``TOP_ERRORS`` most common (state, code) of each entity."""
    tally: dict[str, Counter[tuple[str, str]]] = {}
    for entity, state, code, last_error, n in rows:
        tally.setdefault(entity, Counter())[(state, code or error_code(last_error))] += n
    order = {s: i for i, s in enumerate(QUEUE_STATES)}
    return {
        entity: [
            ErrorCount(state, code, n)
            for (state, code), n in sorted(
                counts.items(), key=lambda kv: (-kv[1], order[kv[0][0]], kv[0][1])
            )[:TOP_ERRORS]
        ]
        for entity, counts in tally.items()
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)
