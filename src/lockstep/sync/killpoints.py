"""Named points at the step boundaries of a pass: where a stop asked by a signal may end
it, and where the tests kill it, or signal it.

Crash consistency is a claim about every point a process may die at, and the step
boundaries are where what the ledger records and what the systems hold may differ. So
the tests kill a real pass at each of them (``tests/integration/sync/test_sync_crash.py``)
and check that the next passes lose, duplicate and revert nothing.

Some of these points are also where a pass stops when Ctrl-C or SIGTERM asked it to
(``lockstep.runs.interrupt``; ``STOPS``): each page of capture stored, a batch claimed
and nothing written yet, and a system's writes recorded. Not where a write is made but
not yet recorded (``after_side_write``, ``after_origin_writeback``), nor around the
transaction of a batch's outcomes: there the batch goes on to its end.

Two testing aids, unset (as always in production) costing nothing:

- ``LOCKSTEP_KILL_AT=<point>[@<nth>]``: the process sends itself SIGKILL (no
  ``finally``, no commit: an open transaction is lost) the ``nth`` time (the first by
  default) it reaches ``point``;
- ``LOCKSTEP_SIGNAL_AT=<point>[@<nth>]:<INT|TERM>[,…]``: the process sends itself
  SIGINT or SIGTERM there, as Ctrl-C or ``kill`` would, and handles it before going on
  (two at one point: a first and a second signal).

The points are listed in docs/sync.md.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

from lockstep.runs import interrupt

ENV = "LOCKSTEP_KILL_AT"
SIGNAL_ENV = "LOCKSTEP_SIGNAL_AT"
STOPS = ("after_capture_page:", "after_claim", "after_ids", "after_golden", "after_record:")
SIGNALS = {"INT": signal.SIGINT, "TERM": signal.SIGTERM}


def stops_at(point: str) -> bool:
    """Whether a stop asked for may end the pass at ``point``."""
    return point.startswith(STOPS)


def _counted(env: str, spec: str, example: str) -> Callable[[str], bool]:
    """A function telling, at each point reached, whether it is the ``nth`` time at
    ``point`` (``spec`` is ``<point>[@<nth>]``)."""
    point, at, nth = spec.partition("@")
    if not point or (at and not (nth.isdigit() and int(nth) > 0)):
        raise ValueError(f"{env}={spec!r}: expected <point>[@<nth>], e.g. {example}")
    left = int(nth) if at else 1

    def due(reached: str) -> bool:
        nonlocal left
        if reached != point:
            return False
        left -= 1
        return left == 0

    return due


def armed(spec: str) -> Callable[[str], None]:
    """The kill point function for ``spec`` (``<point>[@<nth>]``)."""
    due = _counted(ENV, spec, "after_golden@2")

    def kill_at(reached: str) -> None:
        if due(reached):
            os.kill(os.getpid(), signal.SIGKILL)

    return kill_at


def signalling(specs: str) -> Callable[[str], None]:
    """The function that sends the signals ``specs`` asks for
    (``<point>[@<nth>]:<INT|TERM>``, comma separated)."""
    armed_: list[tuple[Callable[[str], bool], signal.Signals]] = []
    for spec in specs.split(","):
        where, _, name = spec.strip().rpartition(":")
        if name not in SIGNALS:
            raise ValueError(
                f"{SIGNAL_ENV}={specs!r}: expected <point>[@<nth>]:<INT|TERM>, "
                "e.g. after_record:crm:TERM"
            )
        armed_.append((_counted(SIGNAL_ENV, where, "after_claim@2:INT"), SIGNALS[name]))

    def signal_at(reached: str) -> None:
        for due, signum in armed_:
            if due(reached):
                signal.raise_signal(signum)  # handled before it returns

    return signal_at


def _unarmed(reached: str) -> None:
    return None


_kill: Callable[[str], None] = armed(os.environ[ENV]) if os.environ.get(ENV) else _unarmed
_signal: Callable[[str], None] = (
    signalling(os.environ[SIGNAL_ENV]) if os.environ.get(SIGNAL_ENV) else _unarmed
)


def killpoint(point: str) -> None:
    """The pass reached ``point``: die or signal here if a test asked, then stop here
    if a signal asked for a stop and ``point`` is one where a pass may stop."""
    _kill(point)
    _signal(point)
    if stops_at(point):
        interrupt.checkpoint()
