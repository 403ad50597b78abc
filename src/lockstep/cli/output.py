"""How commands speak: results on stdout, problems on stderr, one line each."""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from lockstep.reports.summary import Summary
    from lockstep.runs.interrupt import Interrupted

# What takes up a run a signal stopped, by command.
RESUMES = {
    "sync": "the next pass resumes",
    "migrate": "run `lockstep migrate` again to go on (what was carried is not carried twice)",
    "relink": "run `lockstep relink` again to finish",
    "reconcile": "run `lockstep reconcile` again (repairs queued are carried by it or by "
    "the next sync pass)",
    "plan": "nothing was written",
}


def say(line: str) -> None:
    print(line, flush=True)


def print_run(summary: Summary, columns: Sequence[str], lines: Iterable[str] = ()) -> None:
    """A run's result for people: what it was and how long it took, its counts per
    entity and in total under ``columns``, ``lines`` (notes), API calls, reports."""
    seconds = summary.duration.total_seconds()
    say(f"{summary.mode} {summary.run_id}: {summary.status} in {seconds:.1f} s")
    width = max([len(e) for e in summary.by_entity] + [6])
    say("  " + "entity".ljust(width) + "".join(c.rjust(11) for c in columns))
    for name, counts in [*summary.by_entity.items(), ("total", summary.counts)]:
        row = counts.as_dict()
        say("  " + name.ljust(width) + "".join(f"{row[c]:>11,}" for c in columns))
    for line in lines:
        say(f"  {line}")
    calls = ", ".join(f"{s}: {n:,}" for s, n in summary.api_calls.items())
    say(f"  API calls: {calls}")
    say(f"  reports: {summary.reports} (open report.html)")


def errors_out(command: str, lines: Iterable[str]) -> int:
    """Print each problem line on stderr; return how many there were."""
    count = 0
    for line in lines:
        print(f"{line}", file=sys.stderr)
        count += 1
    if count:
        noun = "problem" if count == 1 else "problems"
        print(f"{command}: {count} {noun}", file=sys.stderr, flush=True)
    return count


def table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[str] = (),
) -> None:
    """``rows`` under ``columns`` (the ``right`` ones aligned right, as numbers are):
    a rich table when stdout is a terminal, else the title and aligned plain lines
    that a script or a log can take."""
    if _is_tty(sys.stdout):
        from rich.console import Console  # on a terminal only
        from rich.table import Table

        grid = Table(title=title, title_justify="left", title_style="bold")
        for name in columns:
            grid.add_column(name, justify="right" if name in right else "left")
        for row in rows:
            grid.add_row(*row)
        Console(markup=False, highlight=False).print(grid)
        return
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        aligned = [
            cell.rjust(width) if name in right else cell.ljust(width)
            for cell, width, name in zip(cells, widths, columns, strict=True)
        ]
        return ("  " + "  ".join(aligned)).rstrip()

    say(title)
    say(line(columns))
    for row in rows:
        say(line(row))


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # ValueError: a closed stream
        return False


def stopped(prefix: str, command: str, stop: Interrupted) -> str:
    """The one line a command a signal stopped prints: what stopped it, the run it left
    ``interrupted`` (if one had started), and what takes it up."""
    summary = stop.summary
    hard = stop.hard and summary is not None  # a second signal, in a run's work
    how = "stopped at once by a second signal" if hard else f"stopped by {stop.signum.name}"
    resumes = RESUMES.get(command)
    if summary is None:
        run = ""
    elif stop.recorded:
        run = f"run {summary.run_id} interrupted"
    else:
        run = f"run {summary.run_id} stopped, but the ledger could not record it"
    return f"{prefix}: " + "; ".join(part for part in (how, run, resumes) if part)
