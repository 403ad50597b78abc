"""``lockstep demo``: the seed scenarios end to end, on emulators and SQLite, one after
the other, narrated.

- seed 003, an AMS migration (``ams_migration``);
- seed 002, an org sync with a golden-record hub (``org_sync``);
- seed 001, a service app and Salesforce in sync both ways (``service_app``);
- seed 000, Cases entered in Salesforce and decided in a case system, with the sync
  status on both sides and reconciliation (``case_sync``).

Every step runs the same library calls as the commands, against real emulator
processes over HTTPS; every claim the demo prints is checked with SOQL or SQL, and the
demo fails (exit 1) if one does not hold.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from lockstep.demo.ams_migration import ams_scenario
from lockstep.demo.case_sync import case_sync_scenario
from lockstep.demo.environment import examples_dir
from lockstep.demo.narrator import Narrator
from lockstep.demo.org_sync import org_sync_scenario
from lockstep.demo.service_app import service_app_scenario

Scenario = Callable[[Narrator, Path, Path], None]

# Each scenario with its example folder (copied into a folder of the same name).
SCENARIOS: tuple[tuple[str, Scenario], ...] = (
    ("ams-migration", ams_scenario),
    ("org-sync", org_sync_scenario),
    ("service-app", service_app_scenario),
    ("case-sync", case_sync_scenario),
)


def run_demo(console: Console, workdir: Path | None = None) -> int:
    """Every scenario; 0 when every check held."""
    root = workdir or Path(tempfile.mkdtemp(prefix="lockstep-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    narrator = Narrator(console)
    examples = examples_dir()
    for folder, scenario in SCENARIOS:
        scenario(narrator, examples / folder, root / folder)
    return narrator.verdict(root)
