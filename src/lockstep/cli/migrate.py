"""``lockstep plan``, ``lockstep migrate`` and ``lockstep relink``: each checks the
config against the systems first (``validation.preflight``), as ``validate`` does."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from lockstep.cli.options import (
    DEFAULT_CONFIG,
    ConfigOption,
    EntityOption,
    JsonOption,
    ReportsOption,
    retry_failed_option,
)
from lockstep.cli.output import print_run
from lockstep.errors import EXIT_FAILED_RECORDS, EXIT_OK

if TYPE_CHECKING:
    from lockstep.migrate.run import Mode
    from lockstep.reports.summary import Summary


def plan(
    config: ConfigOption = DEFAULT_CONFIG,
    entity: EntityOption = None,
    reports: ReportsOption = None,
    json: JsonOption = False,
) -> int:
    """Dry run of migrate: read both sides, match, and report what would be created,
    updated, linked or skipped, and which lookups would wait for relink. Writes nothing
    to any system."""
    return _run("plan", config, entity, reports, json)


def migrate(
    config: ConfigOption = DEFAULT_CONFIG,
    entity: EntityOption = None,
    reports: ReportsOption = None,
    json: JsonOption = False,
    retry_failed: Annotated[
        bool, retry_failed_option("Redo only the records that failed last time.")
    ] = False,
) -> int:
    """Load every entity into its targets, parents first, matching before creating."""
    return _run("migrate", config, entity, reports, json, retry_failed=retry_failed)


def relink(
    config: ConfigOption = DEFAULT_CONFIG,
    entity: EntityOption = None,
    reports: ReportsOption = None,
    json: JsonOption = False,
) -> int:
    """Fill the lookups migrate deferred (self-references, cycles); refused before a
    migrate has finished for those entities."""
    return _run("relink", config, entity, reports, json)


def _run(
    mode: Mode,
    config: Path,
    entities: list[str] | None,
    reports: Path | None,
    as_json: bool,
    *,
    retry_failed: bool = False,
) -> int:
    from lockstep.config.loader import load_config
    from lockstep.migrate.run import Options, run
    from lockstep.reports.progress import Progress, make_progress
    from lockstep.runs.interrupt import Interrupted
    from lockstep.validation.preflight import preflight

    loaded = load_config(config)
    options = Options(mode, tuple(entities) if entities else None, retry_failed, reports)
    with preflight(loaded, options.entities) as connect:
        progress = Progress() if as_json else make_progress(sys.stderr)
        try:
            summary = run(loaded, options, progress=progress, connect=connect)
        except Interrupted as stop:  # the run as far as it got; the line is main's
            if stop.summary is not None:
                _result(stop.summary, as_json)
            raise
    _result(summary, as_json)
    if mode != "plan" and summary.counts.failed:
        return EXIT_FAILED_RECORDS
    return EXIT_OK


def _result(summary: Summary, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(summary.to_json().decode() + "\n")
    else:
        _print(summary)


def _print(summary: Summary) -> None:
    columns = (
        "selected",
        "created",
        "updated",
        "matched",
        "unchanged",
        "failed",
        "duplicates",
        "skipped",
    )
    deferred = f"{summary.deferred:,} lookups deferred: run `lockstep relink` after migrate"
    print_run(summary, columns, [deferred] if summary.deferred else [])
