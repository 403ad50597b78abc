"""``lockstep reconcile [--apply]``, after the config is checked against the systems
(``validation.preflight``), as ``validate`` does."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from lockstep.reports.summary import Summary

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
    every: Annotated[
        bool,
        typer.Option(
            "--all", help="diff.csv: a row per record and system, not only the differences."
        ),
    ] = False,
    allow_mass_delete: Annotated[
        bool,
        typer.Option(
            "--allow-mass-delete",
            help="Let --apply detach more than run.reconcile.max_delete_share of an "
            "entity's linked records.",
        ),
    ] = False,
    worker: Annotated[str | None, worker_option("The name --apply claims changes under.")] = None,
) -> int:
    """Read every system in full, line each record up across them and compare every
    field with its owner's value; diff.csv lists each difference with its class
    (missing, extra, field_mismatch, link_broken, unlinked_match, writeback_missing,
    status_failed, locked_different; --all: every record and system). With --apply,
    repair them (never an extra, unlinked or locked record: that is a person's
    decision). Exit 1 when differences remain (or a repair failed)."""
    from lockstep.config.loader import load_config
    from lockstep.reconcile.guard import MassDeleteRefused
    from lockstep.reconcile.run import Options
    from lockstep.reconcile.run import reconcile as run_reconcile
    from lockstep.reports.progress import Progress, make_progress
    from lockstep.runs.interrupt import Interrupted
    from lockstep.validation.preflight import preflight

    loaded = load_config(config)
    options = Options(
        tuple(entity) if entity else None, apply, reports, worker, every, allow_mass_delete
    )
    with preflight(loaded, options.entities) as connect:
        try:
            with Progress() if json else make_progress(sys.stderr) as progress:
                summary = run_reconcile(loaded, options, progress=progress, connect=connect)
        except (Interrupted, MassDeleteRefused) as stop:  # the run as far as it got
            if stop.summary is not None:
                _result(stop.summary, json)
            raise
    _result(summary, json)
    counts = summary.counts
    found = summary.found
    left = summary.extra + found["unlinked_match"] + found["locked_different"]
    if counts.failed or left or (not apply and (counts.created or counts.updated)):
        return EXIT_FAILED_RECORDS
    return EXIT_OK


def _result(summary: Summary, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(summary.to_json().decode())
    else:
        print_run(summary, COLUMNS, summary.notes)
