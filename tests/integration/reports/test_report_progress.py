"""Progress: plain log lines off a terminal, rich bars on one."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime

from rich.console import Console

from lockstep.reports.progress import PlainProgress, Progress, RichProgress, make_progress

STAMP = datetime(2026, 11, 24, 1, 2, 3, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain(stream: io.StringIO, clock: FakeClock) -> PlainProgress:
    return PlainProgress(stream, clock=clock, now=lambda: STAMP)


def test_not_a_terminal_gives_plain_lines() -> None:
    stream = io.StringIO()
    assert isinstance(make_progress(stream), PlainProgress)
    assert isinstance(make_progress(stream, force_plain=True), PlainProgress)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gives_bars_unless_plain_is_forced() -> None:
    assert isinstance(make_progress(Terminal()), RichProgress)
    assert isinstance(make_progress(Terminal(), force_plain=True), PlainProgress)


def test_a_line_at_open_every_tenth_and_at_close() -> None:
    stream, clock = io.StringIO(), FakeClock()
    with plain(stream, clock) as progress:
        progress.open("customer", 10_000, "migrating to salesforce")
        for _ in range(100):
            progress.advance("customer", 100)  # 1% at a time
        clock.now = 40.0
        progress.close("customer")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "2026-11-24T01:02:03Z customer: migrating to salesforce, 10,000 records"
    assert lines[2] == "2026-11-24T01:02:03Z customer: 2,000/10,000 (20%)"
    assert len(lines) == 1 + 10 + 1
    assert lines[-1] == "2026-11-24T01:02:03Z customer: done, 10,000 in 40 s (250/s)"


def test_slow_progress_still_says_something_every_five_seconds() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = plain(stream, clock)
    progress.open("usage", None, "")
    progress.advance("usage", 3)  # no total, no time passed: quiet
    clock.now = 5.0
    progress.advance("usage", 4)
    clock.now = 6.0
    progress.advance("usage")
    progress.note("salesforce: 2 retries")
    assert stream.getvalue().splitlines() == [
        "2026-11-24T01:02:03Z usage: started",
        "2026-11-24T01:02:03Z usage: 7",
        "2026-11-24T01:02:03Z salesforce: 2 retries",
    ]


def test_advance_is_thread_safe() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = plain(stream, clock)
    progress.open("customer", 80_000, "")

    def work() -> None:
        for _ in range(10_000):
            progress.advance("customer")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    progress.close("customer")
    lines = stream.getvalue().splitlines()
    assert lines[-2].endswith("customer: 80,000/80,000 (100%)")
    assert lines[-1].endswith("customer: done, 80,000 in 0.0 s")
    assert len(lines) == 12


def test_rich_bars_render_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with RichProgress(console) as progress:
        progress.open("customer", 50, "migrating")
        progress.open("[contact]", None, "[bold]x")
        for _ in range(50):
            progress.advance("customer")
        progress.advance("[contact]", 7)
        progress.advance("never-opened", 2)
        progress.note("salesforce: [red]2 retries")
        progress.close("customer")
        progress.close("[contact]")
    rendered = out.getvalue()
    assert "customer" in rendered and "50/50" in rendered
    assert "[contact]" in rendered and "[bold]x" in rendered
    assert "salesforce: [red]2 retries" in rendered


def test_the_silent_progress() -> None:
    with Progress() as progress:
        progress.open("customer", 1)
        progress.advance("customer")
        progress.note("nothing shown")
        progress.close("customer")
