from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lockstep_emulator.clock import Clock


@settings(max_examples=25, deadline=None)
@given(writers=st.integers(min_value=2, max_value=8), per_writer=st.integers(1, 200))
def test_stamps_strictly_increase_across_concurrent_writers(writers: int, per_writer: int) -> None:
    clock = Clock()
    seen: list[list[float]] = [[] for _ in range(writers)]
    start = threading.Barrier(writers)

    def write(slot: int) -> None:
        start.wait()
        for _ in range(per_writer):
            seen[slot].append(clock.stamp().timestamp())

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for stamps in seen:
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    every = [s for stamps in seen for s in stamps]
    assert len(set(every)) == writers * per_writer


def test_stamps_survive_a_restart_point() -> None:
    first = Clock()
    last = first.stamp()
    again = Clock(last_stamp_ms=first.last_stamp_ms + 10_000)
    assert again.stamp() > last + timedelta(seconds=9)


def test_clock_moves_forward_only() -> None:
    clock = Clock()
    before = clock.now()
    clock.advance(timedelta(days=3))
    assert clock.now() - before >= timedelta(days=3)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))
