"""The ``lockstep`` command: sub-commands are registered here, each in its own module.

Errors reach the user as one line on stderr, ``lockstep: error: …``, and an exit code
from the contract in DESIGN.md (0 done, 1 done with failed records, 2 bad usage or
config, 3 could not run); never as a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from lockstep_emulator.cli.serve import emulator_app

from lockstep import __version__
from lockstep.cli.demo import demo
from lockstep.cli.migrate import migrate, plan, relink
from lockstep.cli.output import errors_out
from lockstep.cli.reconcile import reconcile
from lockstep.cli.status import explain, status
from lockstep.cli.sync import sync
from lockstep.cli.validate import validate
from lockstep.errors import EXIT_CANNOT_RUN, EXIT_USAGE, ConfigError, LockstepError

app = typer.Typer(
    name="lockstep",
    help="Keep Salesforce orgs and the systems around them in agreement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(emulator_app, name="emulator")
app.command("demo")(demo)
app.command("validate")(validate)
app.command("plan")(plan)
app.command("migrate")(migrate)
app.command("relink")(relink)
app.command("sync")(sync)
app.command("reconcile")(reconcile)
app.command("status")(status)
app.command("explain")(explain)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lockstep {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Keep Salesforce orgs and the systems around them in agreement."""


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: run a command and exit with its code."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="lockstep", standalone_mode=False)
    except typer.TyperException as exc:  # click's errors (typer vendors click)
        print(_one_line(exc), file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
    except typer.Abort:
        print("lockstep: aborted", file=sys.stderr)
        sys.exit(130)
    except ConfigError as exc:
        errors_out(f"lockstep {_command_name(argv)}".rstrip(), exc.problems)
        sys.exit(exc.exit_code)
    except LockstepError as exc:
        print(f"lockstep: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug, or an environment lockstep did not foresee
        if os.environ.get("LOCKSTEP_DEBUG") == "1":
            raise
        print(
            f"lockstep: internal error: {type(exc).__name__}: {exc} "
            "(set LOCKSTEP_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        sys.exit(EXIT_CANNOT_RUN)
    sys.exit(result if isinstance(result, int) else 0)


def _command_name(argv: Sequence[str] | None) -> str:
    args = list(sys.argv[1:] if argv is None else argv)
    return next((a for a in args if not a.startswith("-")), "")


def _one_line(exc: typer.TyperException) -> str:
    """``lockstep emulator serve: error: No such option: --foo``; help text stays whole."""
    message = exc.format_message()
    if "\n" in message:
        return message.rstrip()
    ctx = getattr(exc, "ctx", None)
    where = getattr(ctx, "command_path", None) or "lockstep"
    return f"{where}: error: {message}"
