"""Validate a loaded config against the live systems: connect, describe, probe filters.

Every problem is collected at its place in the file; a system that cannot be reached
is reported and its bindings are left unchecked (the outcome then says so, and the
command exits 3 rather than 2). Settings nothing implements yet are problems too
(``unsupported``), found without connecting.

``validate`` is ``lockstep validate``: it connects, checks and closes. ``inspect``
is the same check leaving its connectors open for the caller: the commands that run
work check first with it (``preflight``) and hand the connectors, logged in and
holding the shapes they described, to the run, which would need them anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, MutableMapping
from dataclasses import dataclass, field

from lockstep.config.graph import reference_cycles
from lockstep.config.loader import LoadedConfig
from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.config.yaml_locate import Problems
from lockstep.connectors.base import Connector
from lockstep.connectors.factory import open_connector
from lockstep.connectors.sql.engine import sqlite_file
from lockstep.core.shapes import ObjectShape
from lockstep.errors import AuthFailed, LockstepError, SchemaError, Transient
from lockstep.validation.against_shapes import ShapeKey, bound_objects, check
from lockstep.validation.unsupported import unsupported

Open = Callable[[str, SalesforceSystem | SqlSystem], Connector]


@dataclass(frozen=True)
class Outcome:
    """What ``validate`` found: problem lines in file order, systems it could not reach,
    reference cycles (resolved by ``relink``), and counts for the summary.

    ``reach`` are the lines of ``problems`` that say a system could not be reached,
    and ``failures`` why, by system: a command that may go on without a system (sync)
    tells them from the problems of the file."""

    problems: tuple[str, ...]
    unreachable: tuple[str, ...]
    cycles: tuple[tuple[str, ...], ...]
    checked: Mapping[str, int] = field(default_factory=dict)
    reach: tuple[str, ...] = ()
    failures: Mapping[str, LockstepError] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unreachable

    @property
    def config_problems(self) -> tuple[str, ...]:
        """The problems of the file itself: every line but the unreachable systems'."""
        return tuple(p for p in self.problems if p not in self.reach)


def validate(
    loaded: LoadedConfig, *, offline: bool = False, connect: Open = open_connector
) -> Outcome:
    """Check ``loaded`` against its systems (or only statically, when ``offline``)."""
    if offline:
        problems = loaded.problems()
        _static(loaded, problems)
        return _outcome(loaded, problems, loaded.problems(), {})
    connectors: dict[str, Connector] = {}
    try:
        return inspect(loaded, connectors, connect=connect)
    finally:
        for connector in connectors.values():
            connector.close()


def inspect(
    loaded: LoadedConfig,
    connectors: MutableMapping[str, Connector],
    *,
    entities: Collection[str] | None = None,
    connect: Open = open_connector,
) -> Outcome:
    """The whole check of ``loaded``, of ``entities`` only when given (with the systems
    they are bound in; else every system). Each system is connected into
    ``connectors`` and left open there: the caller closes them."""
    config = loaded.config
    problems, reach = loaded.problems(), loaded.problems()
    _static(loaded, problems)
    failures: dict[str, LockstepError] = {}
    in_scope = [
        (name, entity)
        for name, entity in config.entities.items()
        if entities is None or name in entities
    ]
    names = (
        list(config.systems)
        if entities is None
        else list(dict.fromkeys(s for _, e in in_scope for s in e.bindings if s in config.systems))
    )
    missing = _missing_files(config.systems, names, problems)
    for name in names:
        if name in missing:
            continue
        connector = connect(name, config.systems[name])
        connectors[name] = connector
        try:
            connector.check()
        except AuthFailed as exc:
            _unreachable(
                problems,
                reach,
                ("systems", name, "auth"),
                f"{name} refused the login: {exc.message}",
            )
            failures[name] = exc
        except LockstepError as exc:
            _unreachable(
                problems, reach, ("systems", name), f"cannot reach {name}: {_message(exc)}"
            )
            failures[name] = exc

    shapes: dict[ShapeKey, ObjectShape | None] = {}
    wanted = {(s, b.target) for _, e in in_scope for s, b in e.bindings.items()}
    for system, target in bound_objects(config):
        if (system, target) not in wanted or system in failures or system not in connectors:
            continue
        try:
            shapes[(system, target)] = connectors[system].describe(target)
        except SchemaError:
            shapes[(system, target)] = None
        except Transient as exc:
            _unreachable(
                problems, reach, ("systems", system), f"cannot describe {target}: {_message(exc)}"
            )
            failures[system] = exc

    for finding in check(config, shapes):
        problems.add(finding.loc, finding.message, at_key=finding.at_key)
    _probe_filters(loaded, connectors, shapes, problems)
    return _outcome(loaded, problems, reach, failures)


def _static(loaded: LoadedConfig, problems: Problems) -> None:
    """What the file says that nothing implements (the loader checked the rest)."""
    for finding in unsupported(loaded.config):
        problems.add(finding.loc, finding.message, at_key=finding.at_key)


def _missing_files(
    systems: Mapping[str, SalesforceSystem | SqlSystem], names: Collection[str], problems: Problems
) -> set[str]:
    """The SQL systems whose SQLite file does not exist: connecting would create it."""
    missing = set()
    for name in names:
        system = systems[name]
        if not isinstance(system, SqlSystem):
            continue
        path = sqlite_file(system.url.get_secret_value())
        if path is not None and not path.is_file():
            problems.add(("systems", name, "url"), f"no such database file {path.absolute()}")
            missing.add(name)
    return missing


def _unreachable(problems: Problems, reach: Problems, loc: tuple[str, ...], message: str) -> None:
    problems.add(loc, message)
    reach.add(loc, message)


def _outcome(
    loaded: LoadedConfig,
    problems: Problems,
    reach: Problems,
    failures: Mapping[str, LockstepError],
) -> Outcome:
    config = loaded.config
    checked = {
        "systems": len(config.systems),
        "entities": len(config.entities),
        "bindings": sum(len(e.bindings) for e in config.entities.values()),
        "fields": sum(len(b.fields) for e in config.entities.values() for b in e.bindings.values()),
    }
    return Outcome(
        tuple(problems.messages()),
        tuple(failures),
        tuple(reference_cycles(config)),
        checked,
        tuple(reach.messages()),
        dict(failures),
    )


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
