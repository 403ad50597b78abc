"""Which entities a run goes over, in what order, and which lookups wait for ``relink``.

Every command that runs work (plan, migrate, relink, sync, reconcile) takes the
entities it was given, or all, parents first: the references, topologically sorted by
``dependency_order``. A lookup is deferred when its parent does not come strictly
before the child in that order: a self-reference (an account's parent account) or the
edge that closes a cycle. Deferred lookups are written by ``relink``, once every
record exists.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from lockstep.config.graph import dependency_order
from lockstep.config.models import Config
from lockstep.errors import ConfigError


@dataclass(frozen=True)
class Step:
    """Go over ``entity``; its ``deferred`` references wait for relink."""

    entity: str
    deferred: frozenset[str]


def chosen_steps(config: Config, only: Collection[str] | None) -> list[Step]:
    """``migration_steps`` of the entities a command was given (all when none);
    ``ConfigError`` naming any the config lacks."""
    unknown = [e for e in only or () if e not in config.entities]
    if unknown:
        raise ConfigError([f"unknown entity: {', '.join(unknown)}"])
    return migration_steps(config, only)


def migration_steps(config: Config, only: Collection[str] | None = None) -> list[Step]:
    """The entities in migration order, each with its deferred references; ``only``
    keeps a subset (in the same order, with the same deferrals)."""
    order = dependency_order(config)
    position = {name: i for i, name in enumerate(order)}
    steps = []
    for name in order:
        entity = config.entities[name]
        deferred = frozenset(
            ref
            for ref, reference in entity.references.items()
            if position.get(reference.entity, len(order)) >= position[name]
        )
        if only is None or name in only:
            steps.append(Step(name, deferred))
    return steps
