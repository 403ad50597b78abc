"""The options several commands share, defined once so they read and behave the same
everywhere: ``-c/--config``, ``-e/--entity``, ``--reports``, ``--json``, ``--worker``,
``--retry-failed``.

Where a shared option means something a little different to one command (what
``--json`` prints, what ``--retry-failed`` redoes), the flag and its type are here and
the command gives the help line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_CONFIG = Path("lockstep.yaml")

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The config file.")]
EntityOption = Annotated[
    list[str] | None,
    typer.Option("--entity", "-e", help="Only this entity (repeatable); default: all."),
]
ReportsOption = Annotated[
    Path | None,
    typer.Option("--reports", help="Write reports/<run-id>/ here (default: run.reports)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print summary.json on stdout.")]
JsonObjectOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def worker_option(help: str) -> Any:
    """``--worker NAME``: the name a command claims the queue's changes under."""
    return typer.Option("--worker", metavar="NAME", help=help)


def retry_failed_option(help: str) -> Any:
    """``--retry-failed``: first redo what failed before."""
    return typer.Option("--retry-failed", help=help)
