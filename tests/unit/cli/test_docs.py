"""Every command the CLI offers has its own section in docs/cli.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from lockstep.cli.app import app

DOCS = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def _commands(group: Any, prefix: str) -> list[str]:
    subcommands = getattr(group, "commands", None)
    if not subcommands:
        return [prefix]
    found: list[str] = []
    for name, sub in subcommands.items():
        found.extend(_commands(sub, f"{prefix} {name}"))
    return found


def test_every_command_has_a_section() -> None:
    headings = {
        line.removeprefix("## ").strip().strip("`")
        for line in DOCS.read_text().splitlines()
        if line.startswith("## ")
    }
    commands = _commands(typer.main.get_command(app), "lockstep")
    assert "lockstep demo" in commands and "lockstep emulator serve" in commands
    missing = [c for c in commands if c not in headings]
    assert missing == [], f"undocumented in docs/cli.md: {missing}"


def test_every_demo_option_is_documented() -> None:
    demo = typer.main.get_command(app).commands["demo"]  # type: ignore[attr-defined]
    text = DOCS.read_text()
    for param in demo.params:
        for opt in param.opts:
            assert f"`{opt}" in text, f"lockstep demo {opt} is not in docs/cli.md"
