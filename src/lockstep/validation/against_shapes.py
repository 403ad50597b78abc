"""Pure checks of the entities' bindings against what the systems describe.

Given each bound object's ``ObjectShape`` (or ``None`` when the system has no such
object), every mismatch is returned as a ``Finding``: a path into the config file and
what is wrong there. Nothing here talks to a system.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lockstep.config.entities import Binding, Entity, FieldMap
from lockstep.config.models import Config
from lockstep.config.systems import SalesforceSystem
from lockstep.core.shapes import FieldShape, Kind, ObjectShape, compatible

Loc = tuple[str | int, ...]
ShapeKey = tuple[str, str]  # (system, object or table)


@dataclass(frozen=True)
class Finding:
    loc: Loc
    message: str
    at_key: bool = False


def bound_objects(config: Config) -> list[ShapeKey]:
    """Every (system, object) the entities bind to, once each, in config order."""
    seen: dict[ShapeKey, None] = {}
    for entity in config.entities.values():
        for system, binding in entity.bindings.items():
            if system in config.systems:
                seen[(system, binding.target)] = None
    return list(seen)


def check(config: Config, shapes: Mapping[ShapeKey, ObjectShape | None]) -> list[Finding]:
    """Every problem of every binding whose system was described."""
    found: list[Finding] = []
    for name, entity in config.entities.items():
        for system, binding in entity.bindings.items():
            key = (system, binding.target)
            if key not in shapes or system not in config.systems:
                continue  # not described (unreachable system): nothing to say here
            where: Loc = ("entities", name, "bindings", system)
            shape = shapes[key]
            if shape is None:
                what = "object" if binding.object else "table"
                found.append(
                    Finding((*where, what), f"{what} '{binding.target}' does not exist in {system}")
                )
                continue
            kind_of = _CheckBinding(config, name, entity, system, binding, shape, shapes, where)
            found.extend(kind_of.findings())
    return found


@dataclass(frozen=True)
class _CheckBinding:
    config: Config
    entity_name: str
    entity: Entity
    system: str
    binding: Binding
    shape: ObjectShape
    shapes: Mapping[ShapeKey, ObjectShape | None]
    where: Loc

    def findings(self) -> Iterator[Finding]:
        yield from self._key()
        yield from self._external_id()
        for canonical, mapping in self.binding.fields.items():
            yield from self._field(canonical, mapping)
        if self.binding.global_id_field:
            yield from self._text_field(("global_id_field",), self.binding.global_id_field)
        if self.binding.write_back is not None:
            for other, native in self.binding.write_back.ids.items():
                yield from self._text_field(("write_back", "ids", other), native)
            if self.binding.write_back.status is not None:
                status = self.binding.write_back.status
                yield from self._status(
                    status.field, (status.in_progress, status.success, status.failed)
                )
                if status.reason:
                    yield from self._text_field(("write_back", "status", "reason"), status.reason)
        capture = self.binding.capture
        if capture is not None and capture.column:
            yield from self._exists(("capture", "column"), capture.column)

    def _key(self) -> Iterator[Finding]:
        name = self.binding.key or ("Id" if self._is_salesforce else None)
        if name is None:
            if self.shape.key is None:
                yield Finding(
                    (*self.where, "table"), f"table '{self.shape.name}' has no primary key"
                )
            return
        field = self.shape.field(name)
        if field is None:
            yield self._missing(("key",), name)
        elif not field.key and not field.external_id:
            yield Finding(
                (*self.where, "key"),
                f"'{name}' is neither the primary key nor unique on {self.shape.name}",
            )

    def _external_id(self) -> Iterator[Finding]:
        name = self.binding.external_id
        if name is None:
            return
        field = self.shape.field(name)
        if field is None:
            yield self._missing(("external_id",), name)
        elif not field.external_id:
            hint = (
                "mark it External ID and Unique in Salesforce"
                if self._is_salesforce
                else "give it a UNIQUE constraint"
            )
            yield Finding(
                (*self.where, "external_id"),
                f"'{field.name}' on {self.shape.name} is not an external id ({hint})",
            )

    def _field(self, canonical: str, mapping: FieldMap) -> Iterator[Finding]:
        if mapping.field is None:
            return
        loc = ("fields", canonical)
        field = self.shape.field(mapping.field)
        if field is None:
            yield self._missing(loc, mapping.field)
            return
        if not mapping.read_only and not (field.createable or field.updateable) and not field.key:
            yield Finding(
                (*self.where, *loc),
                f"'{field.name}' on {self.shape.name} cannot be written; "
                "mark the mapping read_only: true",
            )
        if mapping.values is not None:
            yield from self._value_map(loc, mapping, field)
            return
        if mapping.to_native is not None or mapping.constant is not None:
            return
        wanted = self._canonical_kind(canonical)
        if wanted is None:
            return
        target = mapping.type or field.kind
        if not compatible(wanted, target):
            yield Finding(
                (*self.where, *loc),
                f"'{field.name}' on {self.shape.name} is {field.native_type} ({field.kind}); "
                f"it cannot hold the canonical {wanted} '{canonical}'",
            )
        reference = self.entity.references.get(canonical)
        if reference is not None and field.references:
            yield from self._reference_target(loc, reference.entity, field)

    def _value_map(self, loc: Loc, mapping: FieldMap, field: FieldShape) -> Iterator[Finding]:
        if not field.picklist or mapping.values is None:
            return
        allowed = {v.lower() for v in field.picklist}
        for canonical_value, native_value in mapping.values.items():
            if isinstance(native_value, str) and native_value.lower() not in allowed:
                yield Finding(
                    (*self.where, *loc, "values", canonical_value),
                    f"'{native_value}' is not a value of the picklist {self.shape.name}."
                    f"{field.name} ({', '.join(field.picklist)})",
                )

    def _reference_target(
        self, loc: Loc, target_entity: str, field: FieldShape
    ) -> Iterator[Finding]:
        other = self.config.entities.get(target_entity)
        binding = other.bindings.get(self.system) if other is not None else None
        if binding is None:
            return
        if binding.target.lower() not in {r.lower() for r in field.references}:
            yield Finding(
                (*self.where, *loc),
                f"'{field.name}' on {self.shape.name} refers to {', '.join(field.references)}, "
                f"but entity '{target_entity}' is bound to {binding.target} in {self.system}",
            )

    def _text_field(self, loc: Loc, name: str) -> Iterator[Finding]:
        field = self.shape.field(name)
        if field is None:
            yield self._missing(loc, name)
        elif field.kind not in ("string", "text", "id"):
            yield Finding(
                (*self.where, *loc),
                f"'{field.name}' on {self.shape.name} is {field.native_type}; it must hold text",
            )

    def _status(self, name: str, values: tuple[str, ...]) -> Iterator[Finding]:
        loc: Loc = ("write_back", "status", "field")
        field = self.shape.field(name)
        if field is None:
            yield self._missing(loc, name)
            return
        if field.kind not in ("string", "text"):
            yield Finding(
                (*self.where, *loc),
                f"'{field.name}' on {self.shape.name} is {field.native_type}; it must hold text",
            )
        if field.picklist:
            allowed = {v.lower() for v in field.picklist}
            missing = [v for v in values if v.lower() not in allowed]
            if missing:
                yield Finding(
                    (*self.where, *loc),
                    f"the picklist {self.shape.name}.{field.name} lacks "
                    f"{', '.join(repr(v) for v in missing)}",
                )

    def _exists(self, loc: Loc, name: str) -> Iterator[Finding]:
        if self.shape.field(name) is None:
            yield self._missing(loc, name)

    def _missing(self, loc: Loc, name: str) -> Finding:
        names = [f.name for f in self.shape.fields.values()]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return Finding(
            (*self.where, *loc), f"field '{name}' does not exist on {self.shape.name}{hint}"
        )

    def _canonical_kind(self, canonical: str) -> Kind | None:
        if canonical in self.entity.references:
            return "id"
        spec = self.entity.fields.get(canonical)
        return spec.type if spec is not None else None

    @property
    def _is_salesforce(self) -> bool:
        return isinstance(self.config.systems.get(self.system), SalesforceSystem)
