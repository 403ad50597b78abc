"""Validate a loaded config against the live systems: connect, describe, probe filters.

Every problem is collected at its place in the file; a system that cannot be reached
is reported and its bindings are left unchecked (the outcome then says so, and the
command exits 3 rather than 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lockstep.config.graph import reference_cycles
from lockstep.config.loader import LoadedConfig
from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.config.yaml_locate import Problems
from lockstep.connectors.base import Connector
from lockstep.connectors.factory import open_connector
from lockstep.core.shapes import ObjectShape
from lockstep.errors import AuthFailed, LockstepError, SchemaError, Transient
from lockstep.validation.against_shapes import ShapeKey, bound_objects, check

Open = Callable[[str, SalesforceSystem | SqlSystem], Connector]


@dataclass(frozen=True)
class Outcome:
    """What ``validate`` found: problem lines in file order, systems it could not reach,
    reference cycles (resolved by ``relink``), and counts for the summary."""

    problems: tuple[str, ...]
    unreachable: tuple[str, ...]
    cycles: tuple[tuple[str, ...], ...]
    checked: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unreachable


def validate(
    loaded: LoadedConfig, *, offline: bool = False, connect: Open = open_connector
) -> Outcome:
    """Check ``loaded`` against its systems (or only statically, when ``offline``)."""
    config = loaded.config
    problems = loaded.problems()
    cycles = tuple(reference_cycles(config))
    checked = {
        "systems": len(config.systems),
        "entities": len(config.entities),
        "bindings": sum(len(e.bindings) for e in config.entities.values()),
        "fields": sum(len(b.fields) for e in config.entities.values() for b in e.bindings.values()),
    }
    if offline:
        return Outcome((), (), cycles, checked)

    connectors: dict[str, Connector] = {}
    unreachable: list[str] = []
    try:
        for name, settings in config.systems.items():
            connector = connect(name, settings)
            connectors[name] = connector
            try:
                connector.check()
            except AuthFailed as exc:
                problems.add(("systems", name, "auth"), f"{name} refused the login: {exc.message}")
                unreachable.append(name)
            except LockstepError as exc:
                problems.add(("systems", name), f"cannot reach {name}: {_message(exc)}")
                unreachable.append(name)

        shapes: dict[ShapeKey, ObjectShape | None] = {}
        for system, target in bound_objects(config):
            if system in unreachable:
                continue
            try:
                shapes[(system, target)] = connectors[system].describe(target)
            except SchemaError:
                shapes[(system, target)] = None
            except Transient as exc:
                problems.add(("systems", system), f"cannot describe {target}: {_message(exc)}")
                unreachable.append(system)

        for finding in check(config, shapes):
            problems.add(finding.loc, finding.message, at_key=finding.at_key)
        _probe_filters(loaded, connectors, shapes, problems)
    finally:
        for connector in connectors.values():
            connector.close()
    return Outcome(tuple(problems.messages()), tuple(dict.fromkeys(unreachable)), cycles, checked)


def _probe_filters(
    loaded: LoadedConfig,
    connectors: Mapping[str, Connector],
    shapes: Mapping[ShapeKey, ObjectShape | None],
    problems: Problems,
) -> None:
    """Run each binding's filter once (first page only), so a bad WHERE is found now."""
    for name, entity in loaded.config.entities.items():
        for system, binding in entity.bindings.items():
            shape = shapes.get((system, binding.target))
            if binding.filter is None or shape is None or shape.key is None:
                continue
            stream = connectors[system].snapshot(
                binding.target, [shape.key.name], where=binding.filter, page_size=200
            )
            try:
                next(iter(stream), None)
            except LockstepError as exc:
                problems.add(
                    ("entities", name, "bindings", system, "filter"),
                    f"{system} rejected the filter: {_message(exc)}",
                )
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()


def _message(exc: LockstepError) -> str:
    """The error on one line: a problem is one line of the report."""
    text = getattr(exc, "message", None) or str(exc)
    return " ".join(text.split())
