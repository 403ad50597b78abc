"""``lockstep demo``: the main job on embedded defaults, narrated."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lockstep.errors import EXIT_CANNOT_RUN


def demo(
    workdir: Annotated[
        Path | None,
        typer.Option("--workdir", help="Keep the demo's databases, configs and reports here."),
    ] = None,
    tour: Annotated[
        bool, typer.Option("--tour", help="Run the emulator tour instead (simple-salesforce only).")
    ] = False,
    accounts: Annotated[
        int, typer.Option(min=1, max=100_000, help="How many Accounts the tour loads.")
    ] = 500,
) -> int:
    """Run the seed scenarios end to end on emulators and SQLite: an AMS migration
    (plan, migrate, relink, retry) and an org sync with a golden-record hub."""
    from lockstep_emulator.client import EmulatorError
    from rich.console import Console

    from lockstep.demo.emulator_tour import run_emulator_tour
    from lockstep.demo.runner import run_demo

    console = Console()
    try:
        if tour:
            return run_emulator_tour(console, accounts=accounts)
        return run_demo(console, workdir)
    except EmulatorError as exc:
        print(f"lockstep demo: error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
