"""Progress while a run goes: bars on a terminal, log lines anywhere else.

``Progress`` itself shows nothing (use it where output would be in the way, such as
``--json``); ``make_progress`` picks bars (rich) when the stream is a terminal, or
``PlainProgress`` lines when it is a file or a pipe (CI logs, cron mail)::

    2026-11-24T01:02:03Z customer: migrating to salesforce, 10,000 records
    2026-11-24T01:02:09Z customer: 2,000/10,000 (20%)
    2026-11-24T01:02:41Z customer: done, 10,000 in 38 s (263/s)

Plain lines come at most once per 10% of the total (or per 5 s when the total is
unknown or progress is slow), plus one at open and one at close. ``advance`` may be
called from several threads.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichBars
from rich.text import Text


class Progress:
    """The progress seam; this base shows nothing."""

    def open(self, entity: str, total: int | None, label: str = "") -> None:
        """Work on ``entity`` starts: ``total`` records (``None``: not known)."""

    def advance(self, entity: str, n: int = 1) -> None:
        """``n`` more records of ``entity`` are done."""

    def close(self, entity: str) -> None:
        """Work on ``entity`` is over."""

    def note(self, message: str) -> None:
        """A line worth showing between the bars."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def make_progress(stream: TextIO | None = None, *, force_plain: bool = False) -> Progress:
    """Bars when ``stream`` (stderr by default) is a terminal, plain lines otherwise."""
    stream = sys.stderr if stream is None else stream
    if not force_plain and _is_tty(stream):
        return RichProgress(Console(file=stream))
    return PlainProgress(stream)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # ValueError: a closed stream
        return False


# -- plain lines -----------------------------------------------------------------------


@dataclass
class _Track:
    total: int | None
    done: int = 0
    step: int = 0  # tenths of the total already reported
    started: float = 0.0
    said_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class PlainProgress(Progress):
    """One log line now and then; ``clock`` (monotonic seconds) and ``now`` (the wall
    clock for the line's stamp) are there for tests."""

    def __init__(
        self,
        stream: TextIO,
        *,
        every_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._stream = stream
        self._every = every_seconds
        self._clock = clock
        self._now = now
        self._tracks: dict[str, _Track] = {}
        self._tracks_lock = threading.Lock()
        self._write_lock = threading.Lock()

    def open(self, entity: str, total: int | None, label: str = "") -> None:
        start = self._clock()
        with self._tracks_lock:
            self._tracks[entity] = _Track(total, started=start, said_at=start)
        size = "" if total is None else f"{total:,} {'record' if total == 1 else 'records'}"
        words = ", ".join(part for part in (label, size) if part) or "started"
        self._say(f"{entity}: {words}")

    def advance(self, entity: str, n: int = 1) -> None:
        track = self._tracks.get(entity) or self._adopt(entity)
        line = None
        with track.lock:
            track.done += n
            now = self._clock()
            step = track.step
            if track.total:
                step = min(10, track.done * 10 // track.total)
            if step > track.step or now - track.said_at >= self._every:
                track.step = max(step, track.step)
                track.said_at = now
                line = f"{entity}: {_fraction(track.done, track.total)}"
        if line is not None:
            self._say(line)

    def _adopt(self, entity: str) -> _Track:
        """A track for an entity advanced without ``open``."""
        start = self._clock()
        with self._tracks_lock:
            return self._tracks.setdefault(entity, _Track(None, started=start, said_at=start))

    def close(self, entity: str) -> None:
        with self._tracks_lock:
            track = self._tracks.pop(entity, None)
        if track is None:
            return
        seconds = max(self._clock() - track.started, 0.0)
        rate = f" ({track.done / seconds:,.0f}/s)" if seconds >= 0.001 and track.done else ""
        self._say(f"{entity}: done, {track.done:,} in {_seconds(seconds)}{rate}")

    def note(self, message: str) -> None:
        self._say(message)

    def _say(self, text: str) -> None:
        stamp = f"{self._now().astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
        with self._write_lock:
            self._stream.write(f"{stamp} {text}\n")
            self._stream.flush()


def _fraction(done: int, total: int | None) -> str:
    if not total:
        return f"{done:,}"
    return f"{done:,}/{total:,} ({done * 100 // total}%)"


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:,.0f} s"


# -- bars ------------------------------------------------------------------------------


class _RateColumn(ProgressColumn):
    """Records per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


class RichProgress(Progress):
    """One bar per entity, with counts, rate and elapsed time, drawn on ``console``."""

    def __init__(self, console: Console) -> None:
        self._bars = RichBars(
            TextColumn("{task.fields[entity]}", style="bold", markup=False),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()
        self._started = False

    def open(self, entity: str, total: int | None, label: str = "") -> None:
        with self._lock:
            self._start()
            self._tasks[entity] = self._bars.add_task(label, total=total, entity=entity)

    def advance(self, entity: str, n: int = 1) -> None:
        task = self._tasks.get(entity)
        if task is None:
            with self._lock:
                if entity not in self._tasks:
                    self._start()
                    self._tasks[entity] = self._bars.add_task("", total=None, entity=entity)
                task = self._tasks[entity]
        self._bars.advance(task, n)

    def close(self, entity: str) -> None:
        with self._lock:
            task = self._tasks.pop(entity, None)
        if task is None:
            return
        state = next((t for t in self._bars.tasks if t.id == task), None)
        if state is not None and state.total is None:
            self._bars.update(task, total=state.completed)  # unknown total: full bar
        self._bars.stop_task(task)

    def note(self, message: str) -> None:
        self._bars.console.print(message, markup=False, highlight=False)

    def __enter__(self) -> RichProgress:
        with self._lock:
            self._start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            if self._started:
                self._bars.stop()
                self._started = False

    def _start(self) -> None:
        if not self._started:
            self._bars.start()
            self._started = True
