"""The ``lockstep-emulator`` command (``python -m lockstep_emulator``).

Errors reach the user as one line on stderr, ``lockstep-emulator serve: error: …``, and
an exit code (0 done, 1 done with failures, 2 bad usage, 3 could not run); never as a
traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer

from lockstep_emulator.cli.serve import emulator_app
from lockstep_emulator.exits import EXIT_CANNOT_RUN, EXIT_USAGE

PROG = "lockstep-emulator"


def main(argv: Sequence[str] | None = None, prog_name: str = PROG) -> None:
    """The console script: run a command and exit with its code."""
    command = typer.main.get_command(emulator_app)
    try:
        result = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except typer.TyperException as exc:  # click's errors (typer vendors click)
        print(one_line(exc, prog_name), file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
    except typer.Abort:
        print(f"{prog_name}: aborted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug, or an environment the emulator did not foresee
        if os.environ.get("LOCKSTEP_DEBUG") == "1":
            raise
        print(
            f"{prog_name}: internal error: {type(exc).__name__}: {exc} "
            "(set LOCKSTEP_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        sys.exit(EXIT_CANNOT_RUN)
    sys.exit(result if isinstance(result, int) else 0)


def one_line(exc: typer.TyperException, prog_name: str = PROG) -> str:
    """``lockstep-emulator serve: error: No such option: --foo``; help text stays whole."""
    message = exc.format_message()
    if "\n" in message:
        return message.rstrip()
    ctx = getattr(exc, "ctx", None)
    where = getattr(ctx, "command_path", None) or prog_name
    return f"{where}: error: {message}"
