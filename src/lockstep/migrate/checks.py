"""What ``relink`` and ``--retry-failed`` need before they run: a finished migrate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lockstep.config.entities import Entity
from lockstep.errors import ConfigError
from lockstep.ledger import Ledger
from lockstep.runs.scope import Step


def refuse_relink_before_migrate(
    ledger: Ledger, steps: Sequence[Step], entities: Mapping[str, Entity]
) -> None:
    """Relink needs a finished migrate of each entity with deferred lookups, and of the
    entities those lookups point to; the others have nothing to relink."""
    needed = dict.fromkeys(
        name
        for step in steps
        if step.deferred
        for name in (
            step.entity,
            *(entities[step.entity].references[ref].entity for ref in sorted(step.deferred)),
        )
    )
    waiting = [name for name in needed if ledger.last_run("migrate", entity=name) is None]
    if waiting:
        raise ConfigError(
            [
                f"relink refused: no migrate has finished for {', '.join(waiting)}; "
                "run `lockstep migrate` first (relink fills lookups that migrate deferred)"
            ]
        )


def refuse_retry_without_a_migrate(ledger: Ledger, steps: Sequence[Step]) -> None:
    if all(ledger.last_run("migrate", entity=s.entity) is None for s in steps):
        names = ", ".join(s.entity for s in steps)
        raise ConfigError(
            [
                f"--retry-failed: no migrate has finished for {names}, so nothing failed yet; "
                "run `lockstep migrate` first"
            ]
        )


def failed_last_time(ledger: Ledger, steps: Sequence[Step]) -> dict[str, set[str]]:
    """Per entity, the source keys the last finished migrate could not carry. A run
    that did not finish (killed, interrupted) recorded only part of its failures."""
    keys: dict[str, set[str]] = {}
    for step in steps:
        last = ledger.last_run("migrate", entity=step.entity, status="done")
        if last is not None:
            failed = ledger.exceptions(run_id=last.run_id, entity=step.entity)
            keys[step.entity] = {e.key for e in failed}
    return keys
