"""``lockstep retry ENTITY KEY`` and ``lockstep ignore ENTITY KEY``: a person ends one
record's wait. A thin layer over ``lockstep.control.redrive``: only the ledger is
touched; a line (or one JSON object with ``--json``) says what was done.
"""

from __future__ import annotations

import getpass
import json as jsonlib
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lockstep.cli.options import DEFAULT_CONFIG, ConfigOption, JsonObjectOption
from lockstep.cli.output import say
from lockstep.errors import EXIT_OK

if TYPE_CHECKING:
    from lockstep.control.redrive import Outcome

EntityArgument = Annotated[str, typer.Argument(metavar="ENTITY", help="The entity.")]
KeyArgument = Annotated[
    str,
    typer.Argument(
        metavar="KEY",
        help="The record's native id in any system it is bound in (or in --system), or its "
        "global id.",
    ),
]
SystemOption = Annotated[
    str | None,
    typer.Option("--system", metavar="S", help="The system KEY is a native id of (default: any)."),
]


def retry(
    entity: EntityArgument,
    key: KeyArgument,
    system: SystemOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    json: JsonObjectOption = False,
) -> int:
    """Send one record's failed changes again, due now: the next sync pass carries them.
    A change superseded by a later change of the record is set aside, not sent. Its
    exceptions close when the change is carried."""
    from lockstep.config.loader import load_config
    from lockstep.control import ledger_url
    from lockstep.control.redrive import retry_record

    loaded = load_config(config)
    outcome = retry_record(ledger_url(loaded), loaded.config, entity, key, system)
    _print(outcome, json)
    return EXIT_OK


def ignore(
    entity: EntityArgument,
    key: KeyArgument,
    system: SystemOption = None,
    by: Annotated[
        str | None,
        typer.Option("--by", metavar="NAME", help="Who sets it aside (default: your user name)."),
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    json: JsonObjectOption = False,
) -> int:
    """Set one record's failed changes aside for good: they are never sent, and its
    open exceptions close, noted as ignored by whom."""
    from lockstep.config.loader import load_config
    from lockstep.control import ledger_url
    from lockstep.control.redrive import ignore_record

    loaded = load_config(config)
    who = by or _user()
    outcome = ignore_record(ledger_url(loaded), loaded.config, entity, key, system, by=who)
    _print(outcome, json)
    return EXIT_OK


def _print(outcome: Outcome, json: bool) -> None:
    if json:
        say(jsonlib.dumps(outcome.as_dict(), indent=2, ensure_ascii=False))
        return
    found = outcome.found
    name = f"{found.entity} {found.key} ({found.found_as})"
    if outcome.nothing_failed:
        verb = "retry" if outcome.action == "retry" else "set aside"
        say(f"{name}: nothing failed, nothing to {verb}")
        return
    for line in _lines(outcome):
        say(f"{name}: {line}" if line is not None else "")


def _lines(outcome: Outcome) -> list[Any]:
    n, run = len(outcome.changes), outcome.run_id
    if outcome.action == "ignore":
        return [
            f"{_changes(n)} set aside for good and {_exceptions(outcome.closed)} closed, "
            f"ignored by {outcome.by} (run {run})"
        ]
    lines = []
    if n:
        lines.append(
            f"{_changes(n)} due now: the next `lockstep sync --once` (or the running "
            f"service) sends {'it' if n == 1 else 'them'} (run {run})"
        )
    if outcome.superseded:
        s = len(outcome.superseded)
        lines.append(
            f"{_changes(s)} superseded by a later change of the record, set aside, not sent"
        )
    return lines


def _changes(n: int) -> str:
    return f"{n:,} failed {'change' if n == 1 else 'changes'}"


def _exceptions(n: int) -> str:
    return f"{n:,} {'exception' if n == 1 else 'exceptions'}"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        return "unknown"
