"""What pydantic cannot see: names in one part of the config that must exist in another.

``check`` is pure over a validated ``Config`` (it only imports the ``to_native`` and
``from_native`` callables, to be sure they exist) and returns ``Finding`` values placed
by their path of keys, for the loader to turn into ``file:line:column`` lines.

A cycle of references (``customer.parent -> customer``) is allowed; the order it
imposes is ``config.graph``'s.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lockstep import expr
from lockstep.config import cron
from lockstep.config.entities import Binding, Entity
from lockstep.config.models import Config

Loc = tuple[str | int, ...]

CAPTURE_MODES = {
    "salesforce": ("poll", "cdc", "none"),
    "sql": ("triggers", "watermark", "none"),
}
_KIND_WORDS = {"salesforce": "a Salesforce system", "sql": "a SQL system"}


@dataclass(frozen=True)
class Finding:
    """One problem: where (a path of keys; on the key itself when ``at_key``) and what."""

    loc: Loc
    message: str
    at_key: bool = False


@dataclass(frozen=True)
class _Names:
    config: Config
    systems: Mapping[str, str | None]  # every system the file names -> its kind, if known
    entities: tuple[str, ...]  # every entity the file names, valid or not

    def unknown_system(self, name: str) -> str | None:
        if name in self.systems:
            return None
        return f"unknown system '{name}'; expected one of: {', '.join(self.systems)}"

    def unknown_entity(self, name: str) -> str | None:
        if name in self.entities:
            return None
        return f"unknown entity '{name}'; expected one of: {', '.join(self.entities)}"


def check(
    config: Config,
    *,
    systems: Mapping[str, str | None] | None = None,
    entities: Collection[str] | None = None,
) -> list[Finding]:
    """Every cross-reference problem of ``config``.

    ``systems`` (name -> ``salesforce``, ``sql`` or None when unknown) and ``entities``
    are all the names the file defines, by default those of ``config``; the loader
    passes them when some definitions did not validate, so that a mention of those is
    not reported again."""
    kinds: dict[str, str | None] = {name: system.kind for name, system in config.systems.items()}
    names = _Names(
        config,
        kinds if systems is None else systems,
        tuple(config.entities if entities is None else entities),
    )
    found: list[Finding] = []
    for name, entity in config.entities.items():
        found.extend(_entity(names, name, entity))
    found.extend(_schedules(names))
    return found


def _entity(names: _Names, name: str, entity: Entity) -> Iterator[Finding]:
    loc: Loc = ("entities", name)
    for ref_name, ref in entity.references.items():
        if ref_name in entity.fields:
            yield Finding(
                (*loc, "references", ref_name),
                f"'{ref_name}' is both a field and a reference of entity '{name}'",
                at_key=True,
            )
        problem = names.unknown_entity(ref.entity)
        if problem:
            yield Finding((*loc, "references", ref_name, "entity"), problem)
    for system, binding in entity.bindings.items():
        yield from _binding(names, name, entity, system, binding)
    yield from _owner(names, name, entity, (*loc, "owner"), entity.owner)
    for field, system in entity.field_owners.items():
        if field not in entity.fields:
            yield Finding(
                (*loc, "field_owners", field),
                f"'{field}' is not a field of entity '{name}'",
                at_key=True,
            )
        yield from _owner(names, name, entity, (*loc, "field_owners", field), system)
    for i, rule in enumerate(entity.match):
        for j, field in enumerate(rule.fields):
            if field not in entity.fields and field not in entity.references:
                yield Finding((*loc, "match", i, "fields", j), _not_a_field(field, name))
    if entity.lock is not None:
        yield from _lock(names, name, entity, entity.lock)


def _owner(names: _Names, name: str, entity: Entity, loc: Loc, system: str) -> Iterator[Finding]:
    problem = names.unknown_system(system)
    if problem is None and system not in entity.bindings:
        problem = f"system '{system}' has no binding for entity '{name}'"
    if problem:
        yield Finding(loc, problem)


def _binding(
    names: _Names, name: str, entity: Entity, system: str, binding: Binding
) -> Iterator[Finding]:
    loc: Loc = ("entities", name, "bindings", system)
    problem = names.unknown_system(system)
    if problem:
        yield Finding(loc, problem, at_key=True)
    kind = names.systems.get(system)
    if kind == "sql" and binding.object is not None:
        yield Finding(
            (*loc, "object"), f"'{system}' is a SQL system: give 'table', not 'object'", True
        )
    if kind == "salesforce" and binding.table is not None:
        yield Finding(
            (*loc, "table"), f"'{system}' is a Salesforce system: give 'object', not 'table'", True
        )
    for key, field_map in binding.fields.items():
        if key not in entity.fields and key not in entity.references:
            yield Finding((*loc, "fields", key), _not_a_field(key, name), at_key=True)
        for attr in ("to_native", "from_native"):
            spec = getattr(field_map, attr)
            problem = None if spec is None else callable_problem(spec)
            if problem:
                yield Finding((*loc, "fields", key, attr), problem)
    mode = binding.capture.mode if binding.capture else None
    if kind is not None and mode is not None and mode not in CAPTURE_MODES[kind]:
        yield Finding(
            (*loc, "capture", "mode"),
            f"capture mode '{mode}' is not available for {_KIND_WORDS[kind]}; "
            f"expected one of: {', '.join(CAPTURE_MODES[kind])}",
        )
    for other in binding.write_back.ids if binding.write_back else {}:
        problem = names.unknown_system(other)
        if problem is None and other == system:
            problem = f"'{other}' is this binding's own system"
        elif problem is None and other not in entity.bindings:
            problem = f"system '{other}' has no binding for entity '{name}'"
        if problem:
            yield Finding((*loc, "write_back", "ids", other), problem, at_key=True)


def _lock(names: _Names, name: str, entity: Entity, text: str) -> Iterator[Finding]:
    loc: Loc = ("entities", name, "lock")
    try:
        tree = expr.parse(text)
    except expr.ExprError as exc:
        yield Finding(loc, f"invalid lock expression: {exc}")
        return
    for path in expr.names(tree):
        problem = _lock_name(names, name, entity, path)
        if problem:
            yield Finding(loc, f"unknown name '{'.'.join(path)}' in the lock: {problem}")


def _lock_name(names: _Names, name: str, entity: Entity, path: tuple[str, ...]) -> str | None:
    """Why ``path`` names nothing, or None: each step but the last must be a reference,
    the last a field or reference of the entity reached."""
    here, current = name, entity
    for part in path[:-1]:
        ref = current.references.get(part)
        if ref is None:
            return f"'{part}' is not a reference of entity '{here}'"
        target = names.config.entities.get(ref.entity)
        if target is None:
            return None  # an unknown or invalid entity, reported where it is named
        here, current = ref.entity, target
    last = path[-1]
    if last in current.fields or last in current.references:
        return None
    return _not_a_field(last, here)


def _schedules(names: _Names) -> Iterator[Finding]:
    for i, schedule in enumerate(names.config.run.schedules):
        loc: Loc = ("run", "schedules", i)
        try:
            cron.parse(schedule.cron)
        except cron.CronError as exc:
            yield Finding((*loc, "cron"), f"invalid cron expression: {exc}")
        for j, entity in enumerate(schedule.entities):
            problem = names.unknown_entity(entity)
            if problem:
                yield Finding((*loc, "entities", j), problem)


def _not_a_field(key: str, entity: str) -> str:
    return f"'{key}' is neither a field nor a reference of entity '{entity}'"


# -- transforms -----------------------------------------------------------------------------


def import_callable(spec: str) -> Callable[..., Any]:
    """The callable ``package.module:function`` names; ImportError, AttributeError or
    TypeError (not callable) when there is none."""
    module_name, _, attr = spec.partition(":")
    found = getattr(importlib.import_module(module_name), attr)
    if not callable(found):
        raise TypeError(f"'{spec}' is not callable")
    return found  # type: ignore[no-any-return]


def callable_problem(spec: str) -> str | None:
    """Why ``spec`` cannot be used as a transform, in one line (no traceback), or None."""
    try:
        import_callable(spec)
    except TypeError as exc:
        return str(exc)
    except (ImportError, AttributeError) as exc:
        return f"cannot import '{spec}': {exc}"
    except Exception as exc:  # the module itself failed while being imported
        return f"cannot import '{spec}': {type(exc).__name__}: {exc}"
    return None
