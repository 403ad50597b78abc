"""How the demo speaks: titles, steps, run tables and checks, and the tally of checks.

Every claim the demo makes is a ``check``: printed with ✓ or ✗ and counted, so the
demo can end with how many held and fail (exit 1) when one did not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from lockstep.reports.summary import Summary

COLUMNS = ("selected", "created", "updated", "matched", "unchanged", "failed", "duplicates")


@dataclass
class Narrator:
    console: Console
    checks: list[tuple[str, bool]] = field(default_factory=list)

    def title(self, text: str) -> None:
        self.console.print(f"\n[bold]{text}[/]")

    def step(self, text: str) -> None:
        self.console.print(f"[bold cyan]>[/] {text}")

    def check(self, claim: str, holds: bool) -> None:
        self.checks.append((claim, holds))
        mark = "[bold green]✓[/]" if holds else "[bold red]✗[/]"
        self.console.print(f"  {mark} {claim}")

    def summary(self, summary: Summary) -> None:
        table = Table(box=None, pad_edge=False, show_edge=False)
        table.add_column(summary.mode)
        for column in COLUMNS:
            table.add_column(column, justify="right")
        for name, counts in summary.by_entity.items():
            row = counts.as_dict()
            table.add_row(name, *(f"{row[c]:,}" for c in COLUMNS))
        self.console.print(table)
        calls = ", ".join(f"{s} {n}" for s, n in summary.api_calls.items())
        self.console.print(f"  [dim]API calls: {calls}; reports: {summary.reports}[/]")

    @property
    def failed(self) -> list[str]:
        """The claims that did not hold."""
        return [claim for claim, holds in self.checks if not holds]

    def verdict(self, root: Path) -> int:
        """Say how many checks held and where the demo's files are; 0 when all held."""
        failed = self.failed
        self.title(
            f"{len(self.checks) - len(failed)} of {len(self.checks)} checks held. "
            f"Everything the demo wrote is in {root}"
        )
        return 1 if failed else 0
