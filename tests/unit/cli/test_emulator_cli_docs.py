"""Every option of the admin commands is documented in docs/cli.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from lockstep.cli.app import app

DOCS = Path(__file__).resolve().parents[3] / "docs" / "cli.md"
ADMIN = ["stats", "refresh", "clock", "undelete", "reset", "seed", "faults list",
         "faults set", "faults clear"]  # fmt: skip


def command(path: str) -> Any:
    found: Any = typer.main.get_command(app).commands["emulator"]  # type: ignore[attr-defined]
    for name in path.split():
        found = found.commands[name]
    return found


@pytest.mark.parametrize("path", ADMIN)
def test_every_admin_option_is_documented(path: str) -> None:
    text = DOCS.read_text()
    assert f"## `lockstep emulator {path}`" in text
    for param in command(path).params:
        for opt in param.opts:
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}" in text, f"lockstep emulator {path} {opt} is not in docs/cli.md"
