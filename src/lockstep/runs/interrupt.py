"""Stopping on Ctrl-C (SIGINT) or SIGTERM without leaving anything half done.

A signal is a request, taken up where the work can stop cleanly::

    outside a run's work            a signal ──> Interrupted at once (nothing is half done)
    in a run's work (``deferring``) 1st signal ──> asked: the work ends at its next
                                                   ``checkpoint`` (a step boundary)
                                    2nd signal ──> Interrupted at once, wherever it is
    while a run is being closed     signals are noted; only a 3rd stops at once
    (``shielded``)

Why not raise at once, as Python's own ``KeyboardInterrupt`` does: an exception can land
anywhere, between a write to a system and the ledger row that records it, or inside a
ledger commit (SQLite then refuses the next commit on that connection, and the run
could not even be recorded as stopped). The work instead calls ``checkpoint()`` where a
crash is known to be harmless and nothing is half recorded (between capture pages,
between drained batches, between entities and phases): transactions in flight finish.
A second signal means "now": it stops wherever the work is, as a crash would (and a
crash anywhere is survivable, see docs/sync.md), and the run is still recorded
``interrupted`` where the ledger allows it.

``Interrupted`` is a ``BaseException``, as ``KeyboardInterrupt`` is, so no ``except
Exception`` in the work takes it for a failure of one record or one call; unlike
``KeyboardInterrupt``, click does not turn it into a bare "Aborted!". The command
exits ``128 + signal`` (130 for SIGINT, 143 for SIGTERM), as a shell reports a process
a signal ended.

The handlers are installed by ``handling()`` (the command, for its whole length) or
by ``deferring()`` when nobody installed them: in the main thread only (``signal``
wants it), and only over a signal whose handler is still Python's default, so an
embedding program's own handlers are left alone. ``ask()`` is the handler's first
move, callable without a signal (a thread cannot receive one).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lockstep.reports.summary import Summary

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_DEFAULTS = (signal.SIG_DFL, signal.default_int_handler)


class Interrupted(BaseException):
    """A signal stopped the work: at a checkpoint after the first signal, or at once
    (``hard``: a second signal, or one outside a run's work). ``summary`` is the run's,
    once it was closed as interrupted (``None`` when no run had started), and
    ``recorded`` whether the ledger took its end."""

    def __init__(self, signum: int, *, hard: bool = False) -> None:
        self.signum = signal.Signals(signum)
        self.hard = hard
        self.summary: Summary | None = None
        self.recorded = True
        super().__init__(f"stopped by {self.signum.name}")

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signum)


class _State:
    """The process's one interruption state (signals are the process's)."""

    def __init__(self) -> None:
        self.first: signal.Signals | None = None  # the signal that asked for the stop
        self.count = 0
        self.deferring = 0
        self.shielded = 0
        self.installed = 0
        self.previous: dict[signal.Signals, object] = {}

    def clear(self) -> None:
        self.first, self.count = None, 0

    def on_signal(self, signum: int, frame: FrameType | None = None) -> None:
        """The handler: ask for a stop, or stop at once (see the module docstring)."""
        self.count += 1
        if self.first is None:
            self.first = signal.Signals(signum)
        if self.deferring == 0:
            raise Interrupted(self.first, hard=True)
        if self.count >= (3 if self.shielded else 2):
            raise Interrupted(self.first, hard=True)


_STATE = _State()


def ask(signum: int = signal.SIGINT) -> None:
    """Ask the work to stop at its next checkpoint, as a first signal does."""
    if _STATE.first is None:
        _STATE.first = signal.Signals(signum)
        _STATE.count = max(_STATE.count, 1)


def asked() -> signal.Signals | None:
    """The signal that asked for a stop, if one did."""
    return _STATE.first


def checkpoint() -> None:
    """A place where the work may stop: raise ``Interrupted`` if a stop was asked."""
    if _STATE.first is not None and not _STATE.shielded:
        raise Interrupted(_STATE.first)


def wait(timeout: float | None, *, slice_seconds: float = 0.1) -> bool:
    """Sleep up to ``timeout`` seconds (``None``: until asked), less if a stop is asked
    meanwhile (noticed within ``slice_seconds``: the handler only sets a flag, and a
    handler that took a lock the sleeper holds would wait for ever); whether one was."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while _STATE.first is None:
        left = slice_seconds if deadline is None else deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(left, slice_seconds))
    return _STATE.first is not None


@contextmanager
def handling() -> Iterator[None]:
    """Within, SIGINT and SIGTERM are handled here (where they can be: see the module
    docstring); the handlers before are put back on the way out. Nested uses share the
    handlers; the outermost starts and ends with no stop asked."""
    if _STATE.installed:
        _STATE.installed += 1
        try:
            yield
        finally:
            _STATE.installed -= 1
        return
    mine = threading.current_thread() is threading.main_thread()
    if mine:
        for s in SIGNALS:
            if signal.getsignal(s) in _DEFAULTS:
                _STATE.previous[s] = signal.signal(s, _STATE.on_signal)
        mine = bool(_STATE.previous)
    if mine:
        _STATE.clear()
        _STATE.installed = 1
    try:
        yield
    finally:
        if mine:
            _STATE.installed = 0
            for s, handler in _STATE.previous.items():
                signal.signal(s, handler)  # type: ignore[arg-type]
            _STATE.previous.clear()
            _STATE.clear()


@contextmanager
def deferring() -> Iterator[None]:
    """Within (a run's work), the first signal asks for a stop and the second stops at
    once. The outermost clears what was asked on the way out: the ``Interrupted`` that
    stopped the work carries it."""
    with ExitStack() as stack:
        stack.enter_context(handling())
        _STATE.deferring += 1
        try:
            yield
        finally:
            _STATE.deferring -= 1
            if _STATE.deferring == 0:
                _STATE.clear()


@contextmanager
def shielded() -> Iterator[None]:
    """Within (a run being closed: its ledger row, its reports), checkpoints do not
    stop and a signal only stops at once if it is the third."""
    _STATE.shielded += 1
    try:
        yield
    finally:
        _STATE.shielded -= 1
