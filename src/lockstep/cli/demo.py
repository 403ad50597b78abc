"""``lockstep demo``: the main job on embedded defaults, narrated."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from lockstep.demo import run_emulator_tour
from lockstep.emulator.client import EmulatorError

EXIT_COULD_NOT_RUN = 3


def demo(
    accounts: Annotated[
        int, typer.Option(min=1, max=100_000, help="How many Accounts the tour loads.")
    ] = 500,
) -> int:
    """Run the most complete scenario so far: the emulator plus simple-salesforce, end to end."""
    console = Console()
    try:
        return run_emulator_tour(console, accounts=accounts)
    except EmulatorError as exc:
        print(f"lockstep demo: error: {exc}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
