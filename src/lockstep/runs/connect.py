"""Connecting to the systems a run needs, before anything of the run is recorded.

A run that cannot reach a system it needs ends at once (exit 3), with nothing half
done; sync alone may go on without a system that is down (``down``), since what is
meant for it waits in the queue. The connectors' call counts are taken before their
check, so the check's calls count as the run's.

A command that checked its config against the systems first (``lockstep.validation.
preflight``) hands the run the connectors it checked with: a ``Handover``. Those are
not checked again, and the calls they made (logins aside: describes, filter probes)
count as the run's, as the calls of a run's own check do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from lockstep.config.entities import Entity
from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.connectors.base import Connector
from lockstep.errors import LockstepError, Transient
from lockstep.runs.scope import Step

Open = Callable[[str, SalesforceSystem | SqlSystem], Connector]


@runtime_checkable
class Handover(Protocol):
    """An ``Open`` that may give connectors already connected and checked."""

    def __call__(self, name: str, system: SalesforceSystem | SqlSystem) -> Connector: ...

    def spent(self, name: str) -> int | None:
        """The calls the connector it last gave for ``name`` made before (the run's
        own); ``None`` when it was new, and is to be checked."""


def connect_all(
    systems: Mapping[str, SalesforceSystem | SqlSystem],
    steps: Sequence[Step],
    entities: Mapping[str, Entity],
    connect: Open,
    calls_before: dict[str, int],
    *,
    down: dict[str, Transient] | None = None,
) -> dict[str, Connector]:
    """Every system the steps need, connected and checked; ``calls_before`` gets each
    one's call count before its check (the check's calls are the run's too). With
    ``down``, a system that cannot be reached is kept and put there with its failure
    instead of ending the run; any other failure ends it."""
    needed = dict.fromkeys(s for step in steps for s in entities[step.entity].bindings)
    connectors: dict[str, Connector] = {}
    try:
        for name in needed:
            connector = connect(name, systems[name])
            connectors[name] = connector
            spent = connect.spent(name) if isinstance(connect, Handover) else None
            calls_before[name] = connector.calls.total - (spent or 0)
            if spent is not None:
                continue  # checked already, by the command's own check
            try:
                connector.check()
            except Transient as failure:
                if down is None:
                    raise
                down[name] = failure
    except LockstepError:
        for connector in connectors.values():
            connector.close()
        raise
    return connectors
