"""``lockstep reconcile [--apply]``, after the config is checked against the systems
(``validation.preflight``), as ``validate`` does."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lockstep.cli.options import (
    DEFAULT_CONFIG,
    ConfigOption,
    EntityOption,
    JsonOption,
    ReportsOption,
    worker_option,
)
from lockstep.cli.output import print_run
from lockstep.errors import EXIT_FAILED_RECORDS, EXIT_OK

COLUMNS = ("selected", "created", "updated", "unchanged", "skipped", "failed")


def reconcile(
    config: ConfigOption = DEFAULT_CONFIG,
    entity: EntityOption = None,
    reports: ReportsOption = None,
    json: JsonOption = False,
    apply: Annotated[
        bool,
        typer.Option("--apply", help="Repair what differs, through sync's path (by ownership)."),
    ] = False,
    worker: Annotated[str | None, worker_option("The name --apply claims changes under.")] = None,
) -> int:
    """Read every system in full, line each record up across them and compare every
    field with its owner's value; diff.csv lists each record and system (create:
    missing, update: differs, skip: not linked or gone from its owner). With --apply,
    repair them. Exit 1 when differences remain (or a repair failed)."""
    from lockstep.config.loader import load_config
    from lockstep.reconcile.run import Options
    from lockstep.reconcile.run import reconcile as run_reconcile
    from lockstep.reports.progress import Progress, make_progress
    from lockstep.validation.preflight import preflight

    loaded = load_config(config)
    options = Options(tuple(entity) if entity else None, apply, reports, worker)
    with (
        preflight(loaded, options.entities) as connect,
        Progress() if json else make_progress(sys.stderr) as progress,
    ):
        summary = run_reconcile(loaded, options, progress=progress, connect=connect)
    if json:
        sys.stdout.write(summary.to_json().decode())
    else:
        print_run(summary, COLUMNS, summary.notes)
    counts = summary.counts
    if counts.failed or (not apply and (counts.created or counts.updated)):
        return EXIT_FAILED_RECORDS
    return EXIT_OK
