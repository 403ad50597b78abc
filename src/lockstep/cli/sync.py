"""``lockstep sync``: one pass with ``--once``, else a pass every ``--interval`` seconds.

A thin layer over ``lockstep.sync.run.sync_once`` (one pass) and
``lockstep.sync.loop.keep_syncing`` (passes until Ctrl-C or SIGTERM), after the
config is checked against the systems once (``lockstep.validation.preflight``). Results go to
stdout: the table (``--once``) or one line per pass, or with ``--json`` the summaries
(one compact JSON line per pass in the loop); notes and the start line of the loop go
to stderr when stdout is JSON, else beside the results; errors and the line saying a
signal stopped it go to stderr. A pass a signal stopped is printed as any other, its
status ``interrupted``; then the command exits 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import json as jsonlib
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from lockstep.cli.options import (
    DEFAULT_CONFIG,
    ConfigOption,
    EntityOption,
    JsonOption,
    ReportsOption,
    retry_failed_option,
    worker_option,
)
from lockstep.cli.output import print_run, say
from lockstep.errors import EXIT_CANNOT_RUN, EXIT_FAILED_RECORDS, EXIT_OK, Transient

if TYPE_CHECKING:
    from lockstep.config.loader import LoadedConfig
    from lockstep.reports.summary import Summary
    from lockstep.runs.connect import Open
    from lockstep.sync.run import Options

DEFAULT_INTERVAL = 60.0  # Capture.interval_seconds' default; used when nothing captures

COLUMNS = ("selected", "created", "updated", "deleted", "unchanged", "failed")
PASS_COUNTS = ("created", "updated", "deleted", "unchanged", "failed")


def sync(
    config: ConfigOption = DEFAULT_CONFIG,
    entity: EntityOption = None,
    reports: ReportsOption = None,
    json: JsonOption = False,
    worker: Annotated[
        str | None, worker_option("The name this worker claims changes under.")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    retry_failed: Annotated[
        bool,
        retry_failed_option(
            "First send again the changes that failed for good (status Failed) or "
            "used up their retries."
        ),
    ] = False,
    repair_capture: Annotated[
        bool,
        typer.Option(
            "--repair-capture",
            help="Install capture again where it is broken (triggers dropped, disabled or "
            "changed) and go on past a truncate; then run `lockstep reconcile --apply` "
            "for what capture missed.",
        ),
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            metavar="SECONDS",
            help="Seconds from one pass to the next (default: the shortest "
            "capture.interval_seconds of the entities' bindings).",
        ),
    ] = None,
) -> int:
    """Capture every binding's changes into the ledger's queue, then drain the queue
    parents first: each change goes to the other systems by ownership, with conflicts,
    lock rules and write-back. Once with --once; else a pass every --interval seconds
    until Ctrl-C or SIGTERM. A signal stops the pass at its next step boundary, ends
    its run interrupted and exits 130 (SIGINT) or 143 (SIGTERM); the next pass resumes."""
    if once and interval is not None:
        raise typer.BadParameter(
            "it paces the loop; --once runs one pass", param_hint="'--interval'"
        )
    if retry_failed and not once:
        raise typer.BadParameter(
            "it sends the failed changes once; use it with --once (beside a running loop too)",
            param_hint="'--retry-failed'",
        )
    if repair_capture and not once:
        raise typer.BadParameter(
            "it repairs capture once; use it with --once", param_hint="'--repair-capture'"
        )
    if interval is not None and interval <= 0:
        raise typer.BadParameter(f"{interval:g} is not more than 0", param_hint="'--interval'")
    from lockstep.config.loader import load_config
    from lockstep.sync.loop import capture_interval
    from lockstep.sync.run import Options
    from lockstep.validation.preflight import preflight

    _import_connectors()
    loaded = load_config(config)
    options = Options(
        tuple(entity) if entity else None, reports, worker, retry_failed, repair_capture
    )
    # checked once, before anything is touched; a system that is down is not a problem
    # of the config: the passes go on without it
    with preflight(loaded, options.entities, tolerate_down=True) as connect:
        if once:
            return _once(loaded, options, json, connect)
        every = interval or capture_interval(loaded.config, options.entities) or DEFAULT_INTERVAL
        return _loop(loaded, options, json, every, connect)


def _import_connectors() -> None:
    """Import the connectors now rather than inside the first pass (the factory imports
    them on use), so that a pass's time, and the loop's rhythm, are the passes' own
    from the first on."""
    import lockstep.connectors.salesforce
    import lockstep.connectors.sql  # noqa: F401


# -- one pass ----------------------------------------------------------------------------


def _once(loaded: LoadedConfig, options: Options, as_json: bool, connect: Open) -> int:
    from lockstep.reports.progress import Progress, make_progress
    from lockstep.runs.interrupt import Interrupted
    from lockstep.sync.run import sync_once

    try:
        with Progress() if as_json else make_progress(sys.stderr) as progress:
            summary = sync_once(loaded, options, progress=progress, connect=connect)
    except Interrupted as stop:  # the pass as far as it got; the line is main's
        if stop.summary is not None:
            _result(stop.summary, as_json)
        raise
    _result(summary, as_json)
    if summary.status == "interrupted":
        _interrupted(summary)
        return EXIT_CANNOT_RUN
    return EXIT_FAILED_RECORDS if summary.counts.failed else EXIT_OK


def _result(summary: Summary, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(summary.to_json().decode())  # summary.json, byte for byte
    else:
        print_run(summary, COLUMNS, summary.notes)


def _interrupted(summary: Summary) -> None:
    """Exit 3's line: the notes say which system could not be read."""
    why = "; ".join(summary.notes) or "a system failed while its changes were read"
    print(f"lockstep sync: error: run {summary.run_id} interrupted: {why}", file=sys.stderr)


# -- the loop ----------------------------------------------------------------------------


def _loop(
    loaded: LoadedConfig, options: Options, as_json: bool, interval: float, connect: Open
) -> int:
    from lockstep.reports.progress import Progress
    from lockstep.runs import interrupt
    from lockstep.sync.loop import AskedStop, keep_syncing
    from lockstep.sync.run import sync_once

    def aside(line: str) -> None:  # beside the results, or out of the way of JSON
        print(line, file=sys.stderr if as_json else sys.stdout, flush=True)

    def on_pass(summary: Summary) -> None:
        if as_json:
            say(jsonlib.dumps(summary.as_dict(), ensure_ascii=False))
        else:
            say(_pass_line(summary))
        for note in summary.notes:
            aside(f"  {note}")

    def on_failure(failure: Transient, wait: float) -> None:
        print(
            f"{_stamp(datetime.now(UTC))} sync: pass failed: {failure}; "
            f"next try in {wait:.0f} s (changes wait, nothing is lost)",
            file=sys.stderr,
            flush=True,
        )

    which = ", ".join(options.entities) if options.entities else "every entity"
    aside(f"lockstep sync: a pass every {interval:g} s ({which}); Ctrl-C or SIGTERM stops it")
    stop = AskedStop()
    with interrupt.deferring():
        try:
            passes = keep_syncing(
                lambda: sync_once(loaded, options, progress=Progress(), connect=connect),
                stop,
                interval,
                on_pass=on_pass,
                on_failure=on_failure,
            )
        except interrupt.Interrupted as stopped:  # in a pass; the line is main's
            if stopped.summary is not None:
                on_pass(stopped.summary)
            raise
        asked = interrupt.asked()
    assert asked is not None  # the loop ends only when a stop is asked
    noun = "pass" if passes == 1 else "passes"
    print(
        f"lockstep sync: stopped by {asked.name} after {passes:,} {noun}; the next pass resumes",
        file=sys.stderr,
        flush=True,
    )
    return 128 + int(asked)


def _pass_line(summary: Summary) -> str:
    counts = summary.counts.as_dict()
    parts = [f"{name} {counts[name]:,}" for name in PASS_COUNTS]
    parts.append(f"waiting {summary.deferred:,}")
    status = "" if summary.status == "done" else f" {summary.status}:"
    seconds = summary.duration.total_seconds()
    return (
        f"{_stamp(summary.finished_at)} sync {summary.run_id}:{status} "
        f"{', '.join(parts)} ({seconds:.1f} s)"
    )


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
