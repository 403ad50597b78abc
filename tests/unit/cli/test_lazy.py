"""Sub-commands load on use: help imports none of the library, and says what it said
when every command was imported up front."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer import _click as click

from lockstep.cli.app import COMMANDS, command_group, main

# What `--help` must leave alone: the flows, the SQL stack, the emulator's server.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "simple_salesforce",
    "lockstep.config",
    "lockstep.ledger",
    "lockstep.migrate",
    "lockstep.sync",
    "lockstep.reconcile",
    "lockstep.control",
    "lockstep.validation",
    "lockstep.demo",
    "lockstep_emulator.server",
    "starlette",
    "uvicorn",
)
IMPORTED = """
import json, sys
from lockstep.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write(json.dumps(sorted(sys.modules)))
"""


def imported_by(*argv: str) -> set[str]:
    """The modules a fresh ``lockstep *argv`` has imported when it exits."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED, *argv], capture_output=True, text=True, check=True
    )
    assert "Usage: lockstep" in done.stdout
    return set(json.loads(done.stderr))


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["sync", "--help"], ["migrate", "--help"], ["demo", "--help"]],
    ids=" ".join,
)
def test_help_imports_no_flow_nor_sql_stack(argv: list[str]) -> None:
    modules = imported_by(*argv)
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    assert heavy == []


def test_lockstep_help_imports_no_command_module() -> None:
    modules = imported_by("--help")
    loaded = sorted(m for m in modules if m.startswith(("lockstep.cli.", "lockstep_emulator")))
    assert loaded == ["lockstep.cli.app", "lockstep.cli.lazy", "lockstep.cli.output"]


def test_emulator_help_leaves_the_server_alone() -> None:
    modules = imported_by("emulator", "--help")
    assert "lockstep_emulator.cli.serve" in modules
    assert not {"lockstep_emulator.server", "starlette", "uvicorn", "simple_salesforce"} & modules


@pytest.mark.parametrize("width", [80, 1000])
def test_the_listing_is_the_commands_own_help(width: int) -> None:
    """The summaries in ``COMMANDS`` say what each command's docstring says."""

    def listing(group: click.core.Command) -> str:
        ctx = click.Context(group, info_name="lockstep", max_content_width=width)
        ctx.terminal_width = width
        return group.get_help(ctx)

    group = command_group()
    lazy = listing(group)
    assert group.commands == {}  # nothing was imported to write it
    group.load_all()
    assert set(group.commands) == set(COMMANDS)
    assert lazy == listing(group)


def test_a_typo_is_answered_from_every_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["synk"])
    assert exit.value.code == 2
    assert capsys.readouterr().err == (
        "lockstep: error: No such command 'synk'. Did you mean 'sync'?\n"
    )
