"""``lockstep.runs.interrupt``: outside a run's work a signal stops at once; inside, the
first asks for a stop that the next checkpoint makes, the second stops at once; while a
run is closed only a third does; handlers are installed only over Python's defaults and
put back after."""

from __future__ import annotations

import signal
import threading

import pytest

from lockstep.runs import interrupt
from lockstep.runs.interrupt import Interrupted


def test_outside_a_runs_work_a_signal_stops_at_once_with_its_exit_code() -> None:
    before = {s: signal.getsignal(s) for s in interrupt.SIGNALS}
    with interrupt.handling():
        with pytest.raises(Interrupted) as int_:
            signal.raise_signal(signal.SIGINT)
        with pytest.raises(Interrupted) as term:
            signal.raise_signal(signal.SIGTERM)
    assert (int_.value.exit_code, int_.value.hard) == (130, True)
    assert term.value.exit_code == 130  # the first signal names the stop
    assert {s: signal.getsignal(s) for s in interrupt.SIGNALS} == before
    assert interrupt.asked() is None


def test_in_a_runs_work_the_first_signal_asks_and_the_checkpoint_stops() -> None:
    with interrupt.deferring():
        interrupt.checkpoint()  # nothing asked: goes on
        signal.raise_signal(signal.SIGTERM)  # handled, not raised
        assert interrupt.asked() == signal.SIGTERM
        with pytest.raises(Interrupted) as stop:
            interrupt.checkpoint()
        assert (stop.value.signum, stop.value.hard, stop.value.exit_code) == (
            signal.SIGTERM,
            False,
            143,
        )
        with pytest.raises(Interrupted) as second:
            signal.raise_signal(signal.SIGINT)
        assert second.value.hard
    assert interrupt.asked() is None  # the outermost clears


def test_a_run_being_closed_stops_only_at_a_third_signal() -> None:
    with interrupt.deferring():
        signal.raise_signal(signal.SIGINT)
        with interrupt.shielded():
            interrupt.checkpoint()  # closing goes on
            signal.raise_signal(signal.SIGINT)  # the second: noted only
            with pytest.raises(Interrupted) as third:
                signal.raise_signal(signal.SIGINT)
        assert third.value.hard


def test_nested_work_shares_the_handlers_and_the_stop() -> None:
    with interrupt.deferring():
        with interrupt.deferring():
            signal.raise_signal(signal.SIGINT)
        assert interrupt.asked() == signal.SIGINT  # the loop still sees it
        assert interrupt.wait(30.0) is True  # at once
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_embedding_programs_handler_is_left_alone() -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with interrupt.deferring():
            signal.raise_signal(signal.SIGTERM)
            interrupt.checkpoint()  # not ours to handle: no stop
            assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_thread_asks_for_a_stop_without_a_signal() -> None:
    raised: list[BaseException] = []

    def work() -> None:
        with interrupt.deferring():
            interrupt.ask(signal.SIGTERM)
            try:
                interrupt.checkpoint()
            except Interrupted as stop:
                raised.append(stop)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert [type(e) for e in raised] == [Interrupted]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # no handler from a thread


def test_wait_sleeps_its_time_when_nothing_is_asked() -> None:
    with interrupt.deferring():
        assert interrupt.wait(0.05, slice_seconds=0.01) is False
