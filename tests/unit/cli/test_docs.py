"""Every command the CLI offers has its own section in docs/cli.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lockstep.cli.app import command_group

DOCS = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def _loaded() -> Any:
    """The command tree with every lazily loaded command built."""
    group = command_group()
    group.load_all()
    return group


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
    commands = _commands(_loaded(), "lockstep")
    assert "lockstep demo" in commands and "lockstep emulator serve" in commands
    missing = [c for c in commands if c not in headings]
    assert missing == [], f"undocumented in docs/cli.md: {missing}"


def test_every_demo_option_is_documented() -> None:
    demo = _loaded().commands["demo"]
    text = DOCS.read_text()
    for param in demo.params:
        for opt in param.opts:
            assert f"`{opt}" in text, f"lockstep demo {opt} is not in docs/cli.md"
