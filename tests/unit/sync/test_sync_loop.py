"""The sync loop: pacing, stopping when asked, transient failures, and the stop request
the process's signals make (``lockstep.runs.interrupt``)."""

from __future__ import annotations

import random
import signal
import threading
from pathlib import Path

import pytest

from lockstep.config.loader import load_config
from lockstep.errors import AuthFailed, Transient, Unreachable
from lockstep.runs import interrupt
from lockstep.runs.interrupt import Interrupted
from lockstep.sync.loop import AskedStop, capture_interval, failure_pause, keep_syncing


class Clock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Stop:
    """A stop request asked for after ``after`` waits; it records each wait."""

    def __init__(self, clock: Clock, after: int) -> None:
        self.clock = clock
        self.after = after
        self.waits: list[float] = []
        self.asked = False

    def is_set(self) -> bool:
        return self.asked

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        if len(self.waits) >= self.after:
            self.asked = True
        else:
            self.clock.sleep(timeout)
        return self.asked


def test_passes_start_an_interval_apart_until_a_stop() -> None:
    clock = Clock()
    stop = Stop(clock, after=3)
    durations = iter([2.0, 15.0, 1.0])
    seen: list[int] = []

    def pass_once() -> int:
        clock.sleep(next(durations))
        return len(seen)

    passes = keep_syncing(
        pass_once, stop, 10.0, on_pass=seen.append, on_failure=_no_failure, clock=clock
    )

    assert passes == 3 and seen == [0, 1, 2]
    assert stop.waits == [8.0, 0.0, 9.0]  # a pass longer than the interval: no pause


def test_a_stop_asked_for_during_a_pass_lets_it_finish() -> None:
    stop = threading.Event()
    finished: list[str] = []

    def pass_once() -> str:
        stop.set()  # as a signal handler would, mid-pass
        return "finished"

    assert keep_syncing(pass_once, stop, 60.0, on_pass=finished.append, on_failure=_no_failure) == 1
    assert finished == ["finished"]


def test_a_transient_failure_after_the_first_pass_is_reported_and_tried_again() -> None:
    clock = Clock()
    stop = Stop(clock, after=3)
    results: list[object] = ["ok", Unreachable("crm", "down"), "ok again"]
    seen: list[object] = []
    failures: list[tuple[str, float]] = []

    def pass_once() -> object:
        clock.sleep(1.0)
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    passes = keep_syncing(
        pass_once,
        stop,
        5.0,
        on_pass=seen.append,
        on_failure=lambda exc, wait: failures.append((str(exc), wait)),
        clock=clock,
        rng=random.Random(7),
    )

    assert passes == 3
    assert seen == ["ok", "ok again"]
    # the regular pause (4 s) jittered: half of it, plus up to an interval
    assert failures == [("crm: down", failure_pause(4.0, 5.0, random.Random(7)))]
    assert 2.0 <= failures[0][1] <= 7.0
    assert stop.waits == [4.0, failures[0][1], 4.0]


def test_the_pause_after_a_failed_pass_is_spread_never_at_once() -> None:
    rng = random.Random(11)
    pauses = [failure_pause(4.0, 10.0, rng) for _ in range(200)]

    assert all(2.0 <= p <= 12.0 for p in pauses)
    assert len({round(p, 3) for p in pauses}) > 150  # workers that failed together spread
    assert 5.0 < sum(pauses) / len(pauses) < 9.0  # about the regular pace on average


def test_a_failure_of_the_first_pass_ends_the_loop() -> None:
    def pass_once() -> None:
        raise Unreachable("crm", "down")

    with pytest.raises(Unreachable):
        keep_syncing(
            pass_once, threading.Event(), 1.0, on_pass=lambda _: None, on_failure=_no_failure
        )


def test_a_failure_that_waiting_cannot_mend_ends_the_loop() -> None:
    calls: list[int] = []

    def pass_once() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise AuthFailed("crm", "credentials refused")

    with pytest.raises(AuthFailed):
        keep_syncing(
            pass_once, threading.Event(), 0.0, on_pass=lambda _: None, on_failure=_no_failure
        )
    assert len(calls) == 2


def test_a_stop_asked_for_before_the_first_pass_runs_none() -> None:
    stop = threading.Event()
    stop.set()

    assert keep_syncing(_never, stop, 1.0, on_pass=lambda _: None, on_failure=_no_failure) == 0


def test_the_first_signal_ends_the_loop_at_its_pause_and_the_second_stops_a_pass() -> None:
    stop = AskedStop()
    passes: list[int] = []

    def pass_once() -> int:
        passes.append(1)
        if len(passes) == 1:
            signal.raise_signal(signal.SIGINT)  # during the first pass: it ends
        return len(passes)

    with interrupt.deferring():  # the minute's pause is cut short: no second pass
        assert (
            keep_syncing(pass_once, stop, 60.0, on_pass=lambda _: None, on_failure=_no_failure) == 1
        )
        assert stop.reason == "SIGINT"

        def second() -> int:
            signal.raise_signal(signal.SIGTERM)
            raise AssertionError("not stopped at once")

        with pytest.raises(Interrupted) as at_once:
            keep_syncing(
                second, threading.Event(), 1.0, on_pass=lambda _: None, on_failure=_no_failure
            )
    assert at_once.value.hard
    assert stop.reason is None  # cleared on the way out


def test_the_default_interval_is_the_shortest_among_capturing_bindings(tmp_path: Path) -> None:
    path = tmp_path / "lockstep.yaml"
    path.write_text(
        """
version: 1
systems:
  app: {kind: sql, url: "sqlite:///app.db"}
entities:
  customer:
    owner: app
    fields: {name: string}
    bindings:
      app:
        table: customers
        key: id
        fields: {name: name}
        capture: {mode: triggers, interval_seconds: 30}
  contact:
    owner: app
    fields: {name: string}
    bindings:
      app:
        table: contacts
        key: id
        fields: {name: name}
        capture: {mode: triggers, interval_seconds: 5}
  note:
    owner: app
    fields: {name: string}
    bindings:
      app:
        table: notes
        key: id
        fields: {name: name}
        capture: {mode: none, interval_seconds: 1}
"""
    )
    config = load_config(path).config

    assert capture_interval(config) == 5
    assert capture_interval(config, ["customer"]) == 30
    assert capture_interval(config, ["note"]) is None
    assert capture_interval(config, ["customer", "nope"]) == 30


def _no_failure(failure: Transient, wait: float) -> None:
    raise AssertionError(f"unexpected failure: {failure}")


def _never() -> None:
    raise AssertionError("no pass should run")
