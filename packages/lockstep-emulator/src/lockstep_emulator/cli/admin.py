"""``lockstep emulator stats|faults|refresh|clock|undelete|reset|seed``: the admin API of
a running emulator from the shell (docs/cli.md; the API itself in docs/emulator.md).

Each command is one or two calls of ``AdminClient`` and prints the emulator's JSON
answer on stdout; the connection options and error handling come from
``emulator_connection``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from lockstep_emulator.cli.connection import Connection, UsageError, connection, show
from lockstep_emulator.exits import EXIT_FAILED_RECORDS


def register(app: typer.Typer) -> None:
    """Add the admin commands to ``lockstep emulator``."""
    app.command("stats")(stats)
    app.command("refresh")(refresh)
    app.command("clock")(clock)
    app.command("undelete")(undelete)
    app.command("reset")(reset)
    app.command("seed")(seed)
    faults = typer.Typer(
        help="Fault injection: list, set or clear the rules.", no_args_is_help=True
    )
    faults.command("list")(faults_list)
    faults.command("set")(faults_set)
    faults.command("clear")(faults_clear)
    app.add_typer(faults, name="faults")


@connection
def stats(
    conn: Connection,
    reset: Annotated[
        bool, typer.Option("--reset", help="Then start counting again from zero.")
    ] = False,
) -> None:
    """Print the API calls counted since start-up: in total, by family and by route."""
    client = conn.client()
    show(client.stats())
    if reset:
        client.reset_stats()


@connection
def faults_list(conn: Connection) -> None:
    """Print the fault rules in force, with how often each matched and fired."""
    show(conn.client().faults())


@connection
def faults_set(
    conn: Connection,
    file: Annotated[Path, typer.Argument(help="JSON file of rules ('-' for stdin).")],
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed of the random draws (overrides the file's).")
    ] = None,
) -> None:
    """Replace the fault rules with those of FILE: a list of rules, or {"rules", "seed"}."""
    data = _json_file(file)
    plan = {"rules": data} if isinstance(data, list) else data
    if not isinstance(plan, dict):
        raise UsageError(f"{file}: expected a list of rules or an object with 'rules'")
    if seed is not None:
        plan = {**plan, "seed": seed}
    show(conn.client().call("PUT", "faults", plan))


@connection
def faults_clear(conn: Connection) -> None:
    """Remove every fault rule."""
    show(conn.client().clear_faults())


@connection
def refresh(conn: Connection) -> None:
    """Refresh the sandbox: new org id, new record ids, every session ended."""
    show(conn.client().refresh())


@connection
def clock(
    conn: Connection,
    advance_seconds: Annotated[float, typer.Option(min=0, help="Seconds to move forward.")] = 0,
    advance_minutes: Annotated[float, typer.Option(min=0, help="Minutes to move forward.")] = 0,
    advance_hours: Annotated[float, typer.Option(min=0, help="Hours to move forward.")] = 0,
    advance_days: Annotated[float, typer.Option(min=0, help="Days to move forward.")] = 0,
) -> None:
    """Print the org's clock; with an --advance-* option, move it forward first."""
    client = conn.client()
    amounts = {
        "advance_seconds": advance_seconds,
        "advance_minutes": advance_minutes,
        "advance_hours": advance_hours,
        "advance_days": advance_days,
    }
    given = {k: v for k, v in amounts.items() if v}
    show(client.advance_clock(**given) if given else client.clock())


@connection
def undelete(
    conn: Connection,
    ids: Annotated[list[str], typer.Argument(help="Ids of records in the recycle bin.")],
) -> None:
    """Restore records from the recycle bin; exit 1 when some could not be restored."""
    results = conn.client().undelete(ids)
    show(results)
    if any(not r.get("success") for r in results):
        raise typer.Exit(EXIT_FAILED_RECORDS)


@connection
def reset(
    conn: Connection,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete every record.")] = False,
) -> None:
    """Delete every record but the org's own rows (sessions and the org id are kept)."""
    if not yes:
        raise UsageError("reset deletes every record of the org; add --yes to do it")
    show(conn.client().reset())


@connection
def seed(
    conn: Connection,
    file: Annotated[Path, typer.Argument(help="JSON or CSV file of records ('-' for stdin).")],
    object_name: Annotated[
        str | None,
        typer.Option("--object", help="The object of a CSV file (a JSON file names its own)."),
    ] = None,
) -> None:
    """Create records, all or nothing: JSON {"Object": [records]}, or CSV with --object."""
    client = conn.client()
    if object_name is not None:
        show(client.seed_csv(object_name, _read(file)))
        return
    if file.suffix.lower() == ".csv":
        raise UsageError(f"{file}: a CSV file needs --object <sObject>")
    data = _json_file(file)
    if not isinstance(data, dict):
        raise UsageError(f'{file}: expected {{"<Object>": [<record>, …]}}; a CSV needs --object')
    show(client.seed(data))


def _read(file: Path) -> bytes:
    if str(file) == "-":
        return sys.stdin.buffer.read()
    try:
        return file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None


def _json_file(file: Path) -> Any:
    try:
        return orjson.loads(_read(file))
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{file} is not JSON: {exc}") from None
