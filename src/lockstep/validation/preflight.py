"""The check every command that runs work makes before it touches anything.

``plan``, ``migrate``, ``relink``, ``sync`` and ``reconcile`` first run what
``lockstep validate`` runs (``live.inspect``: the settings nothing implements, SQLite
files that are not there, each bound object, table and field against the systems,
each filter), over the entities the command goes over. A problem ends the command
with exit 2 and every problem at its file:line, before anything is created or
installed: no ledger, no reports folder, no capture triggers or change table in the
user's database. A system that cannot be reached ends it with exit 3 as before,
except for sync, which goes on without a system that is down (what is meant for it
waits in the queue); its bindings are then unchecked.

The check is not paid twice: the run is given the connectors the check used
(``Handover``), logged in, with the shapes of what they described, and their calls
count as the run's. A connector is handed over once; a later pass of the sync loop
opens its own (the loop is checked once, at its start).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from lockstep.config.loader import LoadedConfig
from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.connectors.base import Connector
from lockstep.connectors.factory import open_connector
from lockstep.errors import ConfigError, Transient
from lockstep.runs.connect import Open
from lockstep.runs.scope import chosen_steps
from lockstep.validation.live import inspect


class Handover:
    """An ``Open`` (``runs.connect.Handover``) giving each checked connector once,
    then new ones; ``close`` closes those nobody took."""

    def __init__(self, checked: dict[str, Connector], starts: dict[str, int], connect: Open):
        self._checked = checked
        self._starts = starts
        self._connect = connect
        self._spent: dict[str, int | None] = {}

    def __call__(self, name: str, system: SalesforceSystem | SqlSystem) -> Connector:
        connector = self._checked.pop(name, None)
        if connector is None:
            self._spent[name] = None
            return self._connect(name, system)
        self._spent[name] = connector.calls.total - self._starts.get(name, 0)
        return connector

    def spent(self, name: str) -> int | None:
        return self._spent.get(name)

    def close(self) -> None:
        while self._checked:
            _, connector = self._checked.popitem()
            connector.close()


@contextmanager
def preflight(
    loaded: LoadedConfig,
    entities: Collection[str] | None = None,
    *,
    tolerate_down: bool = False,
    connect: Open = open_connector,
) -> Iterator[Handover]:
    """Check ``loaded`` for a command over ``entities`` (default: all); give the run
    what to connect with. ``ConfigError`` (exit 2) with every problem; the failure
    of a system that cannot be reached (exit 3), unless ``tolerate_down`` and it is
    ``Transient``."""
    steps = chosen_steps(loaded.config, entities)
    starts: dict[str, int] = {}

    def opening(name: str, system: SalesforceSystem | SqlSystem) -> Connector:
        connector = connect(name, system)
        starts[name] = connector.calls.total
        return connector

    connectors: dict[str, Connector] = {}
    try:
        outcome = inspect(loaded, connectors, entities=[s.entity for s in steps], connect=opening)
        if outcome.config_problems:
            raise ConfigError(outcome.problems)
        for failure in outcome.failures.values():
            if not (tolerate_down and isinstance(failure, Transient)):
                raise failure
    except BaseException:
        for connector in connectors.values():
            connector.close()
        raise
    for name in outcome.failures:  # down: the run tries it again, and notes it
        connectors.pop(name).close()
    handover = Handover(connectors, starts, connect)
    try:
        yield handover
    finally:
        handover.close()
