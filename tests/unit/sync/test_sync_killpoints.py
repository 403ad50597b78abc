"""``killpoint``: unset, nothing; ``LOCKSTEP_KILL_AT=<point>[@<nth>]``, the process dies
(SIGKILL) the nth time it reaches that point, and not at any other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from lockstep.sync import killpoints
from lockstep.sync.killpoints import ENV, armed

REACH = """
from lockstep.sync.killpoints import killpoint
for point in ("after_claim", "after_side_write:crm", "after_side_write:app",
              "after_side_write:crm", "after_golden"):
    killpoint(point)
    print(point, flush=True)
"""


def reach(spec: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if spec is not None:
        env[ENV] = spec
    return subprocess.run(
        [sys.executable, "-c", REACH], env=env, capture_output=True, text=True, check=False
    )


def test_unset_every_point_is_passed() -> None:
    done = reach(None)
    assert done.returncode == 0
    assert done.stdout.split() == [
        "after_claim",
        "after_side_write:crm",
        "after_side_write:app",
        "after_side_write:crm",
        "after_golden",
    ]


@pytest.mark.parametrize(
    ("spec", "passed"),
    [
        ("after_claim", []),
        ("after_side_write:crm", ["after_claim"]),
        ("after_side_write:crm@2", ["after_claim", "after_side_write:crm", "after_side_write:app"]),
    ],
)
def test_the_process_dies_the_nth_time_it_reaches_the_point(spec: str, passed: list[str]) -> None:
    done = reach(spec)
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == passed


def test_a_point_not_reached_as_often_as_asked_kills_nothing() -> None:
    assert reach("after_golden@2").returncode == 0
    assert reach("after_side_write").returncode == 0  # a point is named in full


@pytest.mark.parametrize("spec", ["@2", "after_golden@", "after_golden@0", "after_golden@x"])
def test_a_malformed_spec_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=ENV):
        armed(spec)


def test_in_this_process_the_points_are_unarmed() -> None:
    assert ENV not in os.environ
    killpoints.killpoint("after_claim")  # returns
