"""One run of a command, from its first connection to its last report line.

plan, migrate, relink, sync and reconcile differ in their work, not in how a run
begins and ends, so that is written once, here, as the context manager ``running``::

    open the ledger ─→ check(ledger) ─→ connect every system the steps need
      ─→ prepare(ledger, down) ─→ start the run (ledger row: running)
      ─→ open reports/<run-id>/ ─→ the flow's work (the ``with`` block)
      ─→ summarize ─→ finish the ledger row ─→ finish the report (summary.json,
         report.html: when the work returned or a signal stopped it) ─→ close the
         report, the connectors, the ledger (whatever happened)

Nothing is recorded before the run starts: a refused run (``check``), a system that
cannot be reached or a stop asked while connecting ends the command with no run row.
How the run ends:

- ``done``: the work returned;
- ``interrupted``: the work returned, but a system was down (sync goes on without
  it: ``tolerate_down``) or the flow said so (``session.status``); or the work raised
  one of ``interrupted_by`` (migrate: ``Transient``, a system went away mid-run); or
  a signal stopped it (``lockstep.runs.interrupt``: SIGINT, SIGTERM, or a
  ``KeyboardInterrupt`` where lockstep does not handle SIGINT itself);
- ``failed``: the work raised anything else.

From its start to its end the run is ``interrupt.deferring``: the first signal asks
the work to stop at its next checkpoint (and the end of the work is one), a second
stops it at once. Then the run is closed as any other: its row says ``interrupted``,
its reports are finished, and ``Interrupted`` goes on up with the summary, for the
command to print and to exit ``128 + signal``. Closing is ``interrupt.shielded``. A
run stopped at once may have left the ledger's connection unusable (a statement it
cut short still open): its row is then finished on a fresh one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lockstep.config.loader import LoadedConfig
from lockstep.connectors.base import Connector, calls_since
from lockstep.connectors.factory import open_connector
from lockstep.core.counts import Tally
from lockstep.core.status import RunMode, Status
from lockstep.errors import Transient
from lockstep.ledger import Ledger, Run
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary, summarize
from lockstep.reports.writer import ReportWriter
from lockstep.runs import interrupt
from lockstep.runs.connect import Open, connect_all
from lockstep.runs.paths import resolve_paths
from lockstep.runs.scope import Step


@dataclass
class Session:
    """A run in progress: what its work uses, and what it leaves for the summary
    (``counts`` per entity, ``notes``, ``deferred``, and ``status`` when the work
    knows the run did not get through everything)."""

    ledger: Ledger
    connectors: Mapping[str, Connector]
    down: Mapping[str, Transient]  # systems that could not be reached (sync only)
    run: Run
    report: ReportWriter
    reports_root: Path
    notes: list[str]
    status: Status = "done"
    deferred: int = 0
    extra: int = 0  # reconcile: records only in a system that does not own them
    findings: dict[str, dict[str, int]] = field(default_factory=dict)  # reconcile, by entity
    counts: dict[str, Tally] = field(default_factory=dict, init=False)
    _closing: list[Callable[[], None]] = field(default_factory=list, init=False, repr=False)
    _summary: Summary | None = field(default=None, init=False, repr=False)

    @property
    def run_id(self) -> str:
        return self.run.run_id

    def tally(self, entity: str) -> Tally:
        """``entity``'s counts, counted in the summary from now on."""
        return self.counts.setdefault(entity, Tally())

    def on_close(self, last_word: Callable[[], None]) -> None:
        """Call ``last_word`` when the run ends, whatever it ends as, before it is
        summarized (to put in the summary what the work left where it stopped)."""
        self._closing.append(last_word)

    def give_back_claims(self, worker: str) -> None:
        """When the run ends ``interrupted``, put back in the queue what ``worker`` had
        claimed and not finished, so that any worker's next pass takes it up (a run that
        returned finished what it claimed; one that failed keeps it, as a crash does,
        for this worker's next pass). A ledger that refuses leaves it so too."""

        def give_back() -> None:
            if self.status != "interrupted":
                return
            try:
                released = self.ledger.release_in_flight(worker=worker)
            except Exception:
                self.notes.append("the changes in flight wait for this worker's next pass")
                return
            if released:
                noun = "change" if released == 1 else "changes"
                self.notes.append(f"{released:,} {noun} in flight put back in the queue")

        self.on_close(give_back)

    @property
    def summary(self) -> Summary:
        """How the run went; there once the ``with`` block is left."""
        if self._summary is None:
            raise RuntimeError(f"run {self.run_id} is still going")
        return self._summary


@contextmanager
def running(
    loaded: LoadedConfig,
    mode: RunMode,
    steps: Sequence[Step],
    *,
    reports: Path | None = None,
    connect: Open = open_connector,
    tolerate_down: bool = False,
    check: Callable[[Ledger], None] | None = None,
    prepare: Callable[[Ledger, Mapping[str, Transient]], Iterable[str]] | None = None,
    interrupted_by: tuple[type[BaseException], ...] = (),
    progress: Progress | None = None,
) -> Iterator[Session]:
    """A run of ``mode`` over ``steps``, its reports under ``reports`` (else the
    config's). ``check`` may refuse the run (raise) before anything connects;
    ``prepare`` does what must precede the run's start once connected, and returns
    the run's first notes. ``progress``, when given, is told where the reports are
    when the run does not finish."""
    ledger_url, reports_root = resolve_paths(loaded, reports)
    config = loaded.config
    with interrupt.deferring(), ExitStack() as stack:
        ledger = Ledger.open(ledger_url)
        stack.callback(ledger.close)
        if check is not None:
            check(ledger)
        calls_before: dict[str, int] = {}
        down: dict[str, Transient] = {}
        connectors = connect_all(
            config.systems,
            steps,
            config.entities,
            connect,
            calls_before,
            down=down if tolerate_down else None,
        )
        stack.callback(_close_all, connectors)
        notes = list(prepare(ledger, down)) if prepare is not None else []
        interrupt.checkpoint()  # asked while connecting: no run starts
        text = loaded.path.read_bytes()
        run = ledger.start_run(mode, [s.entity for s in steps], hashlib.sha256(text).hexdigest())
        report = stack.enter_context(ReportWriter(reports_root, run.run_id, mode))
        session = Session(ledger, connectors, down, run, report, reports_root, notes)
        if down:
            session.status = "interrupted"
        finished = False
        stopped: BaseException | None = None
        try:
            yield session
            interrupt.checkpoint()  # asked after the work's last checkpoint
            finished = True
        except interrupted_by:
            session.status = "interrupted"
            raise
        except (interrupt.Interrupted, KeyboardInterrupt) as stop:
            session.status = "interrupted"
            stopped = stop
            raise
        except BaseException:
            session.status = "failed"
            raise
        finally:
            with interrupt.shielded():
                if isinstance(stopped, interrupt.Interrupted) and stopped.hard:
                    session.ledger = _fresh(ledger, ledger_url, stack)
                for last_word in session._closing:
                    last_word()
                summary = summarize(
                    run.run_id,
                    mode,
                    session.status,
                    run.started_at,
                    session.counts,
                    calls_since(connectors, calls_before),
                    deferred=session.deferred,
                    extra=session.extra,
                    findings=session.findings,
                    config=str(loaded.path),
                    reports=str(report.directory),
                    notes=tuple(session.notes),
                )
                session._summary = summary
                recorded = _finish_run(session.ledger, summary, rescue=stopped is not None)
                if finished or stopped is not None:
                    report.finish(summary)
                elif progress is not None:
                    progress.note(
                        f"run {run.run_id} {session.status}; reports so far in {report.directory}"
                    )
                if isinstance(stopped, interrupt.Interrupted):
                    stopped.summary = summary
                    stopped.recorded = recorded


def _fresh(ledger: Ledger, url: str, stack: ExitStack) -> Ledger:
    """A new connection to the ledger, for closing a run stopped at once: the stop may
    have cut a ledger call short and left its connection unusable (SQLite refuses to
    commit while a statement it interrupted is open). ``ledger`` when none can be had."""
    try:
        fresh = Ledger.open(url)
    except Exception:
        return ledger
    ledger.close()
    stack.callback(fresh.close)
    return fresh


def _finish_run(ledger: Ledger, summary: Summary, *, rescue: bool) -> bool:
    """Finish the run's ledger row; whether it was. With ``rescue`` (a run a signal
    stopped) a ledger that refuses is reported (False) rather than raised: the process
    is ending anyway; the row then says ``running`` and the next pass takes up what the
    run left, as after a crash."""
    try:
        ledger.finish_run(summary.run_id, summary.status, summary.as_dict())
    except Exception:
        if not rescue:
            raise
        return False
    return True


def _close_all(connectors: Mapping[str, Connector]) -> None:
    for connector in connectors.values():
        connector.close()
