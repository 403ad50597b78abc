"""``killpoint``: unset, nothing; ``LOCKSTEP_KILL_AT=<point>[@<nth>]``, the process dies
(SIGKILL) the nth time it reaches that point, and not at any other;
``LOCKSTEP_SIGNAL_AT=<point>[@<nth>]:<INT|TERM>``, it signals itself there, and the stop
the signal asks for is made at the next point where a pass may stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from lockstep.sync import killpoints
from lockstep.sync.killpoints import ENV, SIGNAL_ENV, armed, signalling, stops_at

REACH = """
from lockstep.sync.killpoints import killpoint
for point in ("after_claim", "after_side_write:crm", "after_side_write:app",
              "after_side_write:crm", "after_golden"):
    killpoint(point)
    print(point, flush=True)
"""


def reach(spec: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (ENV, SIGNAL_ENV)}
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


# -- signals: LOCKSTEP_SIGNAL_AT ---------------------------------------------------------

SIGNALLED = """
from lockstep.runs import interrupt
from lockstep.sync.killpoints import killpoint
with interrupt.deferring():
    try:
        for point in ("after_claim", "after_side_write:crm", "after_record:crm",
                      "after_origin_writeback:app", "after_golden"):
            killpoint(point)
            print(point, flush=True)
    except interrupt.Interrupted as stop:
        print("stopped", stop.signum.name, "at once" if stop.hard else "asked", flush=True)
"""


def signalled(spec: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in (ENV, SIGNAL_ENV)}
    env[SIGNAL_ENV] = spec
    done = subprocess.run(
        [sys.executable, "-c", SIGNALLED], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    ("spec", "printed"),
    [
        # a write not yet recorded goes on to its record, where the pass stops
        (
            "after_side_write:crm:TERM",
            ["after_claim", "after_side_write:crm", "stopped SIGTERM asked"],
        ),
        ("after_claim:INT", ["stopped SIGINT asked"]),
        # after a write-back nothing stops the batch: it ends, and the next batch not
        (
            "after_origin_writeback:app:INT",
            [
                "after_claim",
                "after_side_write:crm",
                "after_record:crm",
                "after_origin_writeback:app",
                "stopped SIGINT asked",
            ],
        ),
        # a second signal stops at once, where it comes
        (
            "after_side_write:crm:INT,after_side_write:crm:INT",
            ["after_claim", "stopped SIGINT at once"],
        ),
        (
            "after_claim@2:INT",
            [
                "after_claim",
                "after_side_write:crm",
                "after_record:crm",
                "after_origin_writeback:app",
                "after_golden",
            ],
        ),
    ],
)
def test_a_signal_asks_for_a_stop_that_the_next_stop_point_makes(
    spec: str, printed: list[str]
) -> None:
    assert signalled(spec) == printed


@pytest.mark.parametrize(
    "spec", ["after_claim", "after_claim:KILL", ":INT", "after_claim@0:INT", "after_claim:INT,"]
)
def test_a_malformed_signal_spec_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=SIGNAL_ENV):
        signalling(spec)


def test_the_points_where_a_pass_may_stop() -> None:
    stops = [
        "after_capture_page:app",
        "after_claim",
        "after_ids",
        "after_golden",
        "after_record:crm",
    ]
    goes_on = [
        "after_capture_read:app",
        "after_side_write:crm",
        "before_finish",
        "mid_finish",
        "after_finish",
        "after_origin_writeback:app",
    ]
    assert [p for p in stops + goes_on if stops_at(p)] == stops
