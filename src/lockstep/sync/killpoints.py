"""Named kill points: a testing aid that SIGKILLs a pass at one step boundary of the drain.

Crash consistency is a claim about every point a process may die at, and the step
boundaries are where what the ledger records and what the systems hold may differ. So
the tests kill a real pass at each of them (``tests/integration/sync/test_sync_crash.py``)
and check that the next passes lose, duplicate and revert nothing.

With ``LOCKSTEP_KILL_AT=<point>[@<nth>]`` in the environment, the process sends itself
SIGKILL (no ``finally``, no commit: an open transaction is lost) the ``nth`` time (the
first by default) it reaches ``point``. The points are listed in docs/sync.md. Unset, as
always in production, ``killpoint`` is a function that returns at once.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

ENV = "LOCKSTEP_KILL_AT"


def armed(spec: str) -> Callable[[str], None]:
    """The kill point function for ``spec`` (``<point>[@<nth>]``)."""
    point, at, nth = spec.partition("@")
    if not point or (at and not (nth.isdigit() and int(nth) > 0)):
        raise ValueError(f"{ENV}={spec!r}: expected <point>[@<nth>], e.g. after_golden@2")
    left = int(nth) if at else 1

    def kill_at(reached: str) -> None:
        nonlocal left
        if reached == point:
            left -= 1
            if left == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    return kill_at


def _unarmed(reached: str) -> None:
    return None


killpoint: Callable[[str], None] = armed(os.environ[ENV]) if os.environ.get(ENV) else _unarmed
