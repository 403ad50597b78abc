"""Finding the ledger a config names, and opening it only if it is there.

The commands that run work create their ledger (``Ledger.open``). The operator's
commands only look: a ledger that does not exist yet is an answer ("nothing has
run"), not something to create, so a SQLite file is checked for before anything
connects (connecting would create it), and a database without the ledger's tables
counts as no ledger either.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from lockstep.config.loader import LoadedConfig
from lockstep.errors import LockstepError
from lockstep.ledger import Ledger, current_revision, open_engine, upgrade
from lockstep.ledger.base import Clock, utcnow
from lockstep.runs.paths import resolve_paths


class LedgerUnreachable(LockstepError):
    """The ledger's database could not be reached (exit 3)."""


def ledger_url(loaded: LoadedConfig) -> str:
    """The config's ``run.ledger``, a relative SQLite path taken from the config's folder
    (as every command that runs work takes it)."""
    url, _ = resolve_paths(loaded)
    return url


def shown(url: str) -> str:
    """How a person is shown the ledger: a SQLite file's path, else the URL without
    its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def open_existing(url: str, *, clock: Clock = utcnow) -> Ledger | None:
    """The ledger at ``url``, brought up to date as every command does; ``None`` when
    there is none (nothing is created)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            return None
        if not database.startswith("file:") and not Path(database).expanduser().is_file():
            return None
    engine = open_engine(url)
    try:
        if current_revision(engine) is None:
            engine.dispose()
            return None
        upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        raise LedgerUnreachable(f"ledger {shown(url)}: {exc.orig or exc}") from None
    except BaseException:
        engine.dispose()
        raise
    return Ledger(engine, clock=clock)
