"""Keep syncing: a pass, a pause, another pass, until someone asks it to stop.

A stop request (Ctrl-C, SIGTERM: ``lockstep.runs.interrupt``) ends the pass in
progress at its next step boundary, as ``interrupted`` (its ``Interrupted`` ends the
loop too), or the pause between two passes; no other pass starts. Passes start
``interval`` seconds apart (at once when a pass took longer). A system that is down
is not a failure of the pass: ``sync_once`` notes it, goes on without it and ends
``interrupted``. A pass that
fails as a whole for a reason that may pass (``Transient``: a system unreachable, a
session that keeps expiring) is reported and the next pass tries again, after a
jittered pause (``failure_pause``: several workers that failed together do not come
back together): its changes wait in their systems and in the ledger's queue, so
nothing is lost. A ``Terminal`` failure (credentials refused, an object missing)
ends the loop with exit 3, since every later pass would fail the same way until a
person acts; so does any failure of the first pass: what stops the loop from
starting should be seen at once.

``AskedStop`` is the stop request the command uses; a ``threading.Event`` does too.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from typing import Protocol, TypeVar

from lockstep.config.models import Config
from lockstep.errors import Transient
from lockstep.runs import interrupt

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


class AskedStop:
    """The stop the process's signals ask for (``lockstep.runs.interrupt``; the loop
    runs ``interrupt.deferring``, so the first signal asks and the second stops at
    once)."""

    @property
    def reason(self) -> str | None:
        """The signal that asked for the stop, such as ``"SIGINT"``."""
        asked = interrupt.asked()
        return None if asked is None else asked.name

    def is_set(self) -> bool:
        return interrupt.asked() is not None

    def wait(self, timeout: float | None = None) -> bool:
        return interrupt.wait(timeout)
