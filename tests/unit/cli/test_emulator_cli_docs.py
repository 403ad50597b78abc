"""Every option of the admin commands is documented in docs/cli.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lockstep.cli.app import command_group

DOCS = Path(__file__).resolve().parents[3] / "docs" / "cli.md"
ADMIN = ["stats", "refresh", "clock", "undelete", "reset", "seed", "faults list",
         "faults set", "faults clear"]  # fmt: skip


def command(path: str) -> Any:
    group = command_group()
    group.load_all()
    found: Any = group.commands["emulator"]
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
