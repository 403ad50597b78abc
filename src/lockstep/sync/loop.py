"""Keep syncing: a pass, a pause, another pass, until someone asks it to stop.

A stop request (Ctrl-C, SIGTERM) never cuts a pass short: the pass in progress ends
as it would have, and no other starts. Passes start ``interval`` seconds apart (at
once when a pass took longer). A system that is down is not a failure of the pass:
``sync_once`` notes it, goes on without it and ends ``interrupted``. A pass that
fails as a whole for a reason that may pass (``Transient``: a system unreachable, a
session that keeps expiring) is reported and the next pass tries again, after a
jittered pause (``failure_pause``: several workers that failed together do not come
back together): its changes wait in their systems and in the ledger's queue, so
nothing is lost. A ``Terminal`` failure (credentials refused, an object missing)
ends the loop with exit 3, since every later pass would fail the same way until a
person acts; so does any failure of the first pass: what stops the loop from
starting should be seen at once.

``SignalStop`` is the stop request the command uses; a ``threading.Event`` does too.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol, TypeVar

from lockstep.config.models import Config
from lockstep.errors import Transient

T = TypeVar("T")


class StopRequest(Protocol):
    """What the loop asks of a stop request (``threading.Event`` is one)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool:
        """Return once the stop is asked for or ``timeout`` seconds have passed;
        whether it was asked for."""
        ...


def keep_syncing(
    pass_once: Callable[[], T],
    stop: StopRequest,
    interval: float,
    *,
    on_pass: Callable[[T], None],
    on_failure: Callable[[Transient, float], None],
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> int:
    """Run ``pass_once`` every ``interval`` seconds until ``stop`` is set; hand each
    result to ``on_pass``, and each transient failure after the first pass to
    ``on_failure`` (with the seconds until the next try). Returns how many passes ran."""
    passes = 0
    while not stop.is_set():
        started = clock()
        try:
            result = pass_once()
        except Transient as failure:
            if passes == 0:
                raise
            passes += 1
            pause = failure_pause(_pause(started, interval, clock), interval, rng or _RNG)
            on_failure(failure, pause)
        else:
            passes += 1
            on_pass(result)
            pause = _pause(started, interval, clock)
        if stop.wait(pause):
            break
    return passes


_RNG = random.Random()


def _pause(started: float, interval: float, clock: Callable[[], float]) -> float:
    return max(0.0, started + interval - clock())


def failure_pause(pause: float, interval: float, rng: random.Random) -> float:
    """The pause after a failed pass, from the regular one (what is left of
    ``interval``): uniform in ``[pause / 2, pause / 2 + interval]``, so never at once
    when a pause was due, about the regular pace on average, and spread over an
    interval (workers that failed together come back apart)."""
    return pause / 2 + rng.uniform(0.0, interval)


def capture_interval(config: Config, entities: Collection[str] | None = None) -> float | None:
    """The shortest ``capture.interval_seconds`` among the capturing bindings of
    ``entities`` (default: all); ``None`` when none of them captures."""
    intervals = [
        binding.capture.interval_seconds
        for name, entity in config.entities.items()
        if entities is None or name in entities
        for binding in entity.bindings.values()
        if binding.capture is not None and binding.capture.mode != "none"
    ]
    return min(intervals, default=None)


class SignalStop:
    """A stop request a signal handler may set: a flag, no lock (a handler that took
    a lock the interrupted code holds would wait for ever). ``wait`` sleeps in short
    slices, so a signal is noticed within ``slice_seconds``."""

    def __init__(
        self,
        *,
        slice_seconds: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reason: str | None = None  # what asked for the stop, such as "SIGINT"
        self._slice = slice_seconds
        self._sleep = sleep
        self._clock = clock

    def set(self, reason: str = "stop") -> None:
        if self.reason is None:
            self.reason = reason

    def is_set(self) -> bool:
        return self.reason is not None

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else self._clock() + timeout
        while self.reason is None:
            left = self._slice if deadline is None else deadline - self._clock()
            if left <= 0:
                break
            self._sleep(min(left, self._slice))
        return self.is_set()


@contextmanager
def stop_on_signals(
    stop: SignalStop, signals: Collection[signal.Signals] = (signal.SIGINT, signal.SIGTERM)
) -> Iterator[SignalStop]:
    """While inside, the first of ``signals`` sets ``stop``; a second one raises
    ``KeyboardInterrupt`` (stop now, whatever is in progress). The handlers in place
    before are put back on the way out. Main thread only, as ``signal.signal`` is."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handle) for s in signals}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
