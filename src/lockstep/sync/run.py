"""``lockstep sync``: capture every bound system's changes, then drain the queue.

One pass (``sync_once``): connect to every system the entities are bound in (a
system that cannot be reached is noted, and the pass goes on without reading it; what
is meant for it waits in the queue), give back what a dead run of this
worker left in flight, install capture at a binding's first pass (later passes only
check it, read-only: see ``install``), read each capturing binding's changes into
the queue, then drain the queue entity by entity,
parents first. A system that fails while its changes are read is noted, the others
go on, and the run ends ``interrupted``: its changes wait in that system's change
log, behind the ledger's cursor.

Ctrl-C or SIGTERM ends the pass at its next step boundary (``lockstep.runs.interrupt``:
between capture pages and bindings, between claimed batches and entities, once a
system's writes are recorded; see ``killpoints.STOPS``), and the run ``interrupted``.
What it had claimed and not finished is put back in the queue as it closes, for the
next pass of any worker; what it had captured waits in the queue, what it had not
behind the cursors.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from lockstep.config.entities import Binding
from lockstep.config.loader import LoadedConfig
from lockstep.connectors.base import Connector
from lockstep.connectors.factory import open_connector
from lockstep.errors import CaptureBroken, ConfigError, Transient
from lockstep.ledger import Ledger
from lockstep.mapping.record import compile_reader
from lockstep.reports.progress import Progress
from lockstep.reports.retention import prune_reports
from lockstep.reports.summary import Summary
from lockstep.runs import interrupt
from lockstep.runs.connect import Open
from lockstep.runs.lifecycle import running
from lockstep.runs.scope import chosen_steps
from lockstep.sync.capture import Source, capture, watched_fields
from lockstep.sync.drain import Drain
from lockstep.sync.install import ensure

# Changes another worker has held this long are taken to be a dead worker's: a pass
# holds its claims for seconds or minutes (a Bulk job's wait included).
STALE_CLAIM = timedelta(hours=2)


@dataclass(frozen=True)
class Options:
    entities: tuple[str, ...] | None = None  # default: every entity
    reports: Path | None = None
    worker: str | None = None  # the queue's claimant name; default: this host's name
    retry_failed: bool = False  # send the changes that failed for good (or died) again
    repair_capture: bool = False  # install capture again, and go past a truncate


def sync_once(
    loaded: LoadedConfig,
    options: Options,
    *,
    progress: Progress,
    connect: Open = open_connector,
) -> Summary:
    """One pass: capture, then drain what is available now. The summary says what
    happened; reports are written to ``reports/<run-id>/``."""
    config = loaded.config
    steps = chosen_steps(config, options.entities)
    capturing = [
        (name, system, binding)
        for name, entity in config.entities.items()
        for system, binding in entity.bindings.items()
        if binding.capture is not None and binding.capture.mode != "none"
    ]
    # the same over every entity, whichever are chosen: the triggers of an object serve
    # every binding that captures it
    by_object: dict[tuple[str, str], list[Binding]] = {}
    for _, system, binding in capturing:
        by_object.setdefault((system, binding.target), []).append(binding)
    chosen = {step.entity for step in steps}
    sources = [
        Source(
            name,
            system,
            binding,
            config.systems[system],
            compile_reader(config.entities[name], binding),
            watched_fields(by_object[(system, binding.target)]),
        )
        for name, system, binding in capturing
        if name in chosen
    ]
    if not sources:
        raise ConfigError(
            [
                f"{loaded.path}: no binding of {', '.join(s.entity for s in steps)} captures "
                "changes; give a binding `capture: {mode: triggers}` (SQL) or "
                "`capture: {mode: poll}` (Salesforce)"
            ]
        )
    worker = options.worker or socket.gethostname()

    def prepare(ledger: Ledger, down: Mapping[str, Transient]) -> list[str]:
        # a system that cannot be reached is kept: nothing is read from it, what is
        # meant for it waits in the queue, and the others go on
        notes = [
            f"{name} is unreachable ({f.message}); its changes wait" for name, f in down.items()
        ]
        released = ledger.release_in_flight(worker=worker)
        released += ledger.release_in_flight(older_than=STALE_CLAIM)
        if released:
            notes.append(f"{released:,} changes left in flight by an earlier run were taken up")
        return notes

    with running(
        loaded,
        "sync",
        steps,
        reports=options.reports,
        connect=connect,
        tolerate_down=True,
        prepare=prepare,
    ) as session:
        ledger, connectors, notes = session.ledger, session.connectors, session.notes
        if options.retry_failed:
            notes.append(_redrive(ledger, [s.entity for s in steps], session.run_id))
        for step in steps:
            session.tally(step.entity)
        drain = Drain(
            config, ledger, connectors, session.report, session.run_id, worker, session.counts
        )

        def last_word() -> None:
            session.deferred = drain.waiting

        session.on_close(last_word)
        session.give_back_claims(worker)
        for source in sources:
            interrupt.checkpoint()
            if source.system in session.down:
                continue
            connector = connectors[source.system]
            if not _capture(source, connector, ledger, progress, notes, options.repair_capture):
                session.status = "interrupted"
        for step in steps:
            interrupt.checkpoint()
            progress.open(step.entity, None, "applying")
            drain.entity(step.entity)
            progress.close(step.entity)
        interrupt.checkpoint()
        for system, failure in drain.stopped_by.items():
            session.status = "interrupted"
            notes.append(f"{system} refused the writes ({failure.message}); its changes wait")
        keep = timedelta(days=config.run.keep_days)
        ledger.prune_queue(keep)
        prune_reports(session.reports_root, keep, session.run.started_at)
        waiting = ledger.queue_counts()["pending"]
        if waiting:
            noun = "change waits" if waiting == 1 else "changes wait"
            notes.append(f"{waiting:,} {noun} for a retry in the queue; nothing is lost")
    return session.summary


def _redrive(ledger: Ledger, entities: list[str], run_id: str) -> str:
    """Send the failed and dead changes of ``entities`` again, but those a later change
    of their record superseded (``Ledger.redrive``); the note that says so."""
    resent = superseded = 0
    for entity in entities:
        done = ledger.redrive(entity, run_id=run_id)
        resent += len(done.resent)
        superseded += len(done.superseded)
    note = f"--retry-failed: {resent:,} failed changes sent again"
    if superseded:
        note += f"; {superseded:,} superseded by a later change, set aside"
    return note


def _capture(
    source: Source,
    connector: Connector,
    ledger: Ledger,
    progress: Progress,
    notes: list[str],
    repair: bool,
) -> bool:
    """Capture ``source``; False (with a note) when its system failed meanwhile, or
    its capture is broken (that binding stops; the others go on)."""
    label = f"{source.entity} ({source.system})"
    progress.open(label, None, "capturing")
    obj = source.binding.target
    try:
        if ensure(connector, ledger, source.system, obj, source.spec, repair=repair):
            notes.append(f"capture of {label} installed on {obj}")
        on_page = lambda n: progress.advance(label, n)  # noqa: E731
        capture(source, connector, ledger, on_page=on_page, repair=repair)
    except CaptureBroken as exc:
        notes.append(
            f"capture of {label} stopped: {exc.message}; changes may have been missed. "
            "Run `lockstep sync --once --repair-capture` to install capture again and go "
            "on, then `lockstep reconcile --apply` to carry what was missed"
        )
        return False
    except Transient as exc:
        notes.append(f"capture of {label} stopped: {exc.message}; it resumes next time")
        return False
    finally:
        progress.close(label)
    return True
