"""The ``lockstep`` command: sub-commands are named here, each in its own module, and
imported only when it is used (``cli.lazy``), so ``lockstep --help`` starts quickly.

Errors reach the user as one line on stderr, ``lockstep: error: …``, and an exit code
from the contract in DESIGN.md (0 done, 1 done with failed records, 2 bad usage or
config, 3 could not run); never as a traceback.

Ctrl-C (SIGINT) and SIGTERM are handled by ``lockstep.runs.interrupt`` for the whole
command (the emulator's server handles its own): a run stops at its next step boundary
and is recorded ``interrupted``; the command prints one line saying so and what resumes
it, and exits 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated

import typer

from lockstep import __version__
from lockstep.cli.lazy import Lazy, LazyGroup
from lockstep.cli.output import errors_out, stopped
from lockstep.errors import EXIT_CANNOT_RUN, EXIT_USAGE, ConfigError, LockstepError
from lockstep.runs import interrupt

COMMANDS = {
    "demo": Lazy(
        "lockstep.cli.demo:demo",
        "Run the seed scenarios end to end on emulators and SQLite: an AMS migration "
        "(plan, migrate, relink, retry) and an org sync with a golden-record hub.",
    ),
    "validate": Lazy(
        "lockstep.cli.validate:validate",
        "Load the config and check it against the systems: objects, tables, fields, "
        "types, external ids, references and filters.",
    ),
    "plan": Lazy(
        "lockstep.cli.migrate:plan",
        "Dry run of migrate: read both sides, match, and report what would be created, "
        "updated, linked or skipped, and which lookups would wait for relink.",
    ),
    "migrate": Lazy(
        "lockstep.cli.migrate:migrate",
        "Load every entity into its targets, parents first, matching before creating.",
    ),
    "relink": Lazy(
        "lockstep.cli.migrate:relink",
        "Fill the lookups migrate deferred (self-references, cycles); refused before a "
        "migrate has finished for those entities.",
    ),
    "sync": Lazy(
        "lockstep.cli.sync:sync",
        "Capture every binding's changes into the ledger's queue, then drain the queue "
        "parents first: each change goes to the other systems by ownership, with "
        "conflicts, lock rules and write-back.",
    ),
    "reconcile": Lazy(
        "lockstep.cli.reconcile:reconcile",
        "Read every system in full, line each record up across them and compare every "
        "field with its owner's value; diff.csv lists each difference with its class "
        "(missing, extra, field_mismatch, link_broken, unlinked_match, writeback_missing, "
        "status_failed, locked_different; --all: every record and system).",
    ),
    "status": Lazy(
        "lockstep.cli.status:status",
        "The ledger's health: the last run of each mode, the change queue per entity "
        "(states, the oldest pending change, the next retry, the errors behind what "
        "waits or failed) and the latest open exceptions.",
    ),
    "explain": Lazy(
        "lockstep.cli.status:explain",
        "One record's lineage: its ids in every system, its golden record, what each "
        "system last agreed on, its changes in the queue and its exceptions.",
    ),
    "retry": Lazy(
        "lockstep.cli.redrive:retry",
        "Send one record's failed changes again, due now: the next sync pass carries them.",
    ),
    "ignore": Lazy(
        "lockstep.cli.redrive:ignore",
        "Set one record's failed changes aside for good: they are never sent, and its "
        "open exceptions close, noted as ignored by whom.",
    ),
    "emulator": Lazy(
        "lockstep_emulator.cli.serve:emulator_app",
        "A local, HTTPS Salesforce API server that unmodified clients use.",
    ),
}


class Commands(LazyGroup):
    """``lockstep``'s sub-commands, each imported when it is used."""

    commands_at = COMMANDS


app = typer.Typer(
    name="lockstep",
    cls=Commands,
    help="Keep Salesforce orgs and the systems around them in agreement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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


def command_group() -> Commands:
    """The click command typer builds from ``app``: what ``main`` runs."""
    group = typer.main.get_command(app)
    assert isinstance(group, Commands)
    return group


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: run a command and exit with its code."""
    command = command_group()
    name = _command_name(argv)
    signals: AbstractContextManager[None] = (
        nullcontext() if name == "emulator" else interrupt.handling()
    )
    try:
        with signals:
            result = command.main(args=argv, prog_name="lockstep", standalone_mode=False)
    except interrupt.Interrupted as stop:
        print(stopped(f"lockstep {name}".rstrip(), name, stop), file=sys.stderr, flush=True)
        sys.exit(stop.exit_code)
    except typer.TyperException as exc:  # click's errors (typer vendors click)
        print(_one_line(exc), file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
    except typer.Abort:
        print("lockstep: aborted", file=sys.stderr)
        sys.exit(130)
    except ConfigError as exc:
        errors_out(f"lockstep {name}".rstrip(), exc.problems)
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
