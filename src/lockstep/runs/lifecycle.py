"""One run of a command, from its first connection to its last report line.

plan, migrate, relink, sync and reconcile differ in their work, not in how a run
begins and ends, so that is written once, here, as the context manager ``running``::

    open the ledger ─→ check(ledger) ─→ connect every system the steps need
      ─→ prepare(ledger, down) ─→ start the run (ledger row: running)
      ─→ open reports/<run-id>/ ─→ the flow's work (the ``with`` block)
      ─→ summarize ─→ finish the ledger row ─→ finish the report (summary.json,
         report.html: only when the work returned) ─→ close the report, the
         connectors, the ledger (whatever happened)

Nothing is recorded before the run starts: a refused run (``check``) or a system
that cannot be reached ends the command with no run row. How the run ends:

- ``done``: the work returned;
- ``interrupted``: the work returned, but a system was down (sync goes on without
  it: ``tolerate_down``) or the flow said so (``session.status``); or the work raised
  one of ``interrupted_by`` (migrate: ``Transient``, a system went away mid-run); or
  SIGTERM stopped it;
- ``failed``: the work raised anything else, Ctrl-C (``KeyboardInterrupt``) included.

SIGTERM, when nobody else handles it (the sync loop does: it lets the pass finish),
is turned into an exception for the length of the work, so the run is closed as
``interrupted`` like any other; then the signal is raised again and the process ends
as SIGTERM ends it.
"""

from __future__ import annotations

import hashlib
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

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
    with _SigtermGuard() as sigterm, ExitStack() as stack:
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
        text = loaded.path.read_bytes()
        run = ledger.start_run(mode, [s.entity for s in steps], hashlib.sha256(text).hexdigest())
        report = stack.enter_context(ReportWriter(reports_root, run.run_id, mode))
        session = Session(ledger, connectors, down, run, report, reports_root, notes)
        if down:
            session.status = "interrupted"
        interrupting: tuple[type[BaseException], ...] = (*interrupted_by, _Terminated)
        finished = False
        sigterm.install()
        try:
            yield session
            finished = True
        except interrupting:
            session.status = "interrupted"
            raise
        except BaseException:
            session.status = "failed"
            raise
        finally:
            sigterm.restore()
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
                config=str(loaded.path),
                reports=str(report.directory),
                notes=tuple(session.notes),
            )
            session._summary = summary
            ledger.finish_run(run.run_id, session.status, summary.as_dict())
            if finished:
                report.finish(summary)
            elif progress is not None:
                progress.note(
                    f"run {run.run_id} {session.status}; reports so far in {report.directory}"
                )


def _close_all(connectors: Mapping[str, Connector]) -> None:
    for connector in connectors.values():
        connector.close()


class _Terminated(BaseException):
    """SIGTERM arrived during a run's work (never seen outside ``running``)."""


class _SigtermGuard:
    """While installed (the run's work), SIGTERM raises ``_Terminated``, if nobody else
    handles SIGTERM and this is the main thread (``signal.signal`` wants it). Leaving
    the guard, once all is closed, raises the signal again if it came."""

    def __init__(self) -> None:
        self._installed = False
        self._came = False

    def install(self) -> None:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        ):
            signal.signal(signal.SIGTERM, self._handle)
            self._installed = True

    def restore(self) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._came = True
        raise _Terminated

    def __enter__(self) -> _SigtermGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()
        if self._came:
            signal.raise_signal(signal.SIGTERM)  # the default handler again: the process ends
