"""Load a ``--schema`` YAML file: custom objects, and fields added to built-in ones.

The format is documented in ``docs/emulator.md``. Loading happens in three passes so
that every mistake in the file is reported at once, each with ``file:line:column``:

1. shape — each object and each field is validated on its own (``file_format``), so
   one bad field does not hide the errors of the next;
2. meaning — names follow Salesforce's rules, references and roll-ups point at
   objects and fields that exist (built in, or elsewhere in the file);
3. the assembled schema — child relationship names are unique on each parent.

Custom objects get key prefixes ``a00``, ``a01``, … in file order, so the same file
always gives the same ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

from lockstep_emulator import ids
from lockstep_emulator.formula import FormulaError, compile_formula
from lockstep_emulator.schema.build import ObjectSpec, build_schema, merge, system_fields
from lockstep_emulator.schema.builtins import BUILTINS
from lockstep_emulator.schema.file_fields import field_def, label_of, name_field, with_r
from lockstep_emulator.schema.file_format import (
    STRICT,
    FieldModel,
    MasterDetailField,
    ObjectModel,
    ReferenceField,
    RollupField,
)
from lockstep_emulator.schema.model import FieldDef, FieldType, Rollup, ValidationRule
from lockstep_emulator.yaml_locate import Loc, Problems, YamlSyntaxError, load

_NAME = r"[A-Za-z](?:[A-Za-z0-9]|_(?!_)){0,39}(?<!_)"
CUSTOM_NAME = re.compile(f"^{_NAME}__c$")
RELATIONSHIP_NAME = re.compile(f"^{_NAME}__r$")
MAX_MASTER_DETAIL = 2

_BUILTINS = {spec.name.lower(): spec for spec in BUILTINS}
_SUMMABLE = frozenset({FieldType.INT, FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT})
_ORDERED = _SUMMABLE | {FieldType.DATE, FieldType.DATETIME}


class SchemaFileError(Exception):
    """The schema file cannot be used; ``messages`` holds one ``file:line:col: …`` each."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


class SchemaFile(BaseModel):
    """The top of the file."""

    model_config = STRICT

    objects: dict[str, Any] = Field(description="Object name → definition.")


_FILE = TypeAdapter(SchemaFile)
_OBJECT = TypeAdapter(ObjectModel)
_FIELD = TypeAdapter[FieldModel](FieldModel)


def load_schema_file(path: Path) -> list[ObjectSpec]:
    """The objects a schema file declares; raises ``SchemaFileError`` listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaFileError([f"{path}: no such schema file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaFileError([f"{path}: cannot read the schema file: {exc}"]) from None
    return parse_schema(text, str(path))


def parse_schema(text: str, source: str = "<schema>") -> list[ObjectSpec]:
    """``load_schema_file`` for text already read; ``source`` names it in messages."""
    try:
        located = load(text)
    except YamlSyntaxError as exc:
        place = f"{source}:{exc.line}:{exc.column}" if exc.line else source
        raise SchemaFileError([f"{place}: invalid YAML: {exc.message}"]) from None
    problems = Problems(source, located)
    for where, message in located.duplicates:
        problems.add_at(where, message)
    if located.data is None:
        problems.add((), "the file is empty: expected a mapping with the key 'objects'")
    top = problems.validate(_FILE, located.data, ()) if located.data is not None else None
    if top is None:
        raise SchemaFileError(problems.messages())
    parsed = [_read_object(problems, key, raw) for key, raw in top.objects.items()]
    known = {p.name.lower(): p for p in parsed}
    for obj in parsed:
        _check_object(problems, obj, known)
    for obj in parsed:
        _check_late(problems, obj, known)
    for obj in parsed:
        _check_formulas(problems, obj, known)
    if problems.found:
        raise SchemaFileError(problems.messages())
    specs = _specs(parsed)
    _check_child_relationships(problems, parsed, specs)
    if problems.found:
        raise SchemaFileError(problems.messages())
    return specs


# -- pass 1: shape ------------------------------------------------------------------------


@dataclass
class _Object:
    """One object of the file as read: its YAML key, canonical name and valid fields."""

    key: str
    name: str
    builtin: ObjectSpec | None
    model: ObjectModel | None
    fields: dict[str, FieldModel] = field(default_factory=dict)  # YAML key → model
    defs: dict[str, FieldDef] = field(default_factory=dict)  # lower name → definition

    @property
    def loc(self) -> tuple[str, ...]:
        return ("objects", self.key)

    @property
    def custom(self) -> bool:
        return self.builtin is None

    @property
    def label(self) -> str:
        if self.model is not None and self.model.label:
            return self.model.label
        return label_of(self.name)

    def field_loc(self, key: str, *rest: str) -> tuple[str, ...]:
        return (*self.loc, "fields", key, *rest)


def _read_object(problems: Problems, key: str, raw: Any) -> _Object:
    builtin = _BUILTINS.get(key.lower())
    obj = _Object(key, builtin.name if builtin else key, builtin, None)
    if builtin is None and not CUSTOM_NAME.match(key):
        problems.add(
            obj.loc,
            f"'{key}' is not a built-in object, and a custom object's name must end with "
            "__c (letters, digits and single underscores, starting with a letter)",
            at_key=True,
        )
    obj.model = problems.validate(_OBJECT, raw, obj.loc)
    if builtin is not None and obj.model is not None:
        for attr in ("label", "plural_label", "name_field"):
            if getattr(obj.model, attr) is not None:
                problems.add(
                    (*obj.loc, attr),
                    f"'{attr}' can only be set on a custom object; {builtin.name} is built in",
                    at_key=True,
                )
    raw_fields = raw.get("fields") if isinstance(raw, dict) else None
    for fkey, fraw in (raw_fields if isinstance(raw_fields, dict) else {}).items():
        if not isinstance(fkey, str):
            continue  # reported by the object's validation
        if not CUSTOM_NAME.match(fkey):
            problems.add(
                obj.field_loc(fkey),
                f"'{fkey}' must end with __c: the fields a schema file adds are custom fields",
                at_key=True,
            )
        model = problems.validate(_FIELD, fraw, obj.field_loc(fkey))
        if model is not None:
            obj.fields[fkey] = model
    return obj


# -- pass 2: meaning ----------------------------------------------------------------------


def _check_object(problems: Problems, obj: _Object, known: dict[str, _Object]) -> None:
    """Resolve references, fill ``obj.defs``; roll-ups wait until every object has defs."""
    for f in _base_fields(obj):
        obj.defs[f.name.lower()] = f
    relationships: dict[str, str] = {}
    details = 0
    for key, model in obj.fields.items():
        if isinstance(model, RollupField):
            continue
        if not isinstance(model, ReferenceField | MasterDetailField):
            obj.defs[key.lower()] = field_def(key, model, None)
        else:
            target = _resolve_target(problems, obj, key, model.to, known)
            definition = obj.defs[key.lower()] = field_def(key, model, target)
            rel = definition.relationship_name or ""
            _check_relationship_name(problems, obj.field_loc(key, "relationship_name"), rel)
            if rel.lower() in relationships:
                problems.add(
                    obj.field_loc(key, "relationship_name"),
                    f"relationship name '{rel}' is already used by {relationships[rel.lower()]}",
                )
            relationships[rel.lower()] = key
            if model.child_relationship is not None:
                child_rel = with_r(model.child_relationship)
                _check_relationship_name(
                    problems, obj.field_loc(key, "child_relationship"), child_rel
                )
        if isinstance(model, MasterDetailField):
            details += 1
            if not obj.custom:
                problems.add(
                    obj.field_loc(key, "type"),
                    f"master_detail fields can only be added to custom objects; {obj.name} is "
                    "built in (use type: reference)",
                )
            elif details > MAX_MASTER_DETAIL:
                problems.add(
                    obj.field_loc(key, "type"),
                    f"an object can have at most {MAX_MASTER_DETAIL} master_detail fields",
                )


def _check_late(problems: Problems, obj: _Object, known: dict[str, _Object]) -> None:
    """Roll-ups and validation rules: they name fields of other objects and of this one."""
    for key, model in obj.fields.items():
        if isinstance(model, RollupField):
            definition = _rollup_def(problems, obj, key, model, known)
            if definition is not None:
                obj.defs[key.lower()] = definition
    names: set[str] = set()
    rules = obj.model.validation_rules if obj.model else []
    for i, rule in enumerate(rules):
        loc: tuple[str | int, ...] = (*obj.loc, "validation_rules", i)
        if rule.name.lower() in names:
            problems.add((*loc, "name"), f"validation rule '{rule.name}' is defined twice")
        names.add(rule.name.lower())
        if rule.field is not None and rule.field.lower() not in obj.defs:
            problems.add((*loc, "field"), f"{obj.name} has no field '{rule.field}'")


def _check_formulas(problems: Problems, obj: _Object, known: dict[str, _Object]) -> None:
    """Each validation rule's formula parses, names fields that exist, and is a condition."""

    def fields_of(name: str) -> Iterable[FieldDef] | None:
        found = known.get(name.lower()) or _builtin_object(name)
        return None if found is None else found.defs.values()

    for i, rule in enumerate(obj.model.validation_rules if obj.model else []):
        try:
            compile_formula(rule.expression, obj.name, fields_of)
        except FormulaError as exc:
            where = f" (at character {exc.column} of the formula)" if exc.column else ""
            problems.add((*obj.loc, "validation_rules", i, "expression"), exc.message + where)


def _resolve_target(
    problems: Problems, obj: _Object, key: str, target: str, known: dict[str, _Object]
) -> str:
    found = known.get(target.lower()) or _builtin_object(target)
    if found is None:
        problems.add(
            obj.field_loc(key, "to"),
            f"unknown object '{target}': expected a built-in object or one defined in this file",
        )
        return target
    return found.name


def _builtin_object(name: str) -> _Object | None:
    spec = _BUILTINS.get(name.lower())
    if spec is None:
        return None
    obj = _Object(spec.name, spec.name, spec, None)
    for f in _base_fields(obj):
        obj.defs[f.name.lower()] = f
    return obj


def _check_relationship_name(problems: Problems, loc: Loc, name: str) -> None:
    if not RELATIONSHIP_NAME.match(name):
        problems.add(
            loc,
            f"'{name}' is not a valid relationship name (letters, digits and single "
            "underscores, starting with a letter, ending with __r)",
        )


def _rollup_def(
    problems: Problems, obj: _Object, key: str, model: RollupField, known: dict[str, _Object]
) -> FieldDef | None:
    child = known.get(model.child.lower()) or _builtin_object(model.child)
    if child is None:
        problems.add(
            obj.field_loc(key, "child"),
            f"unknown object '{model.child}': expected a built-in object or one defined in "
            "this file",
        )
        return None
    via_model = next((m for k, m in child.fields.items() if k.lower() == model.via.lower()), None)
    via = child.defs.get(model.via.lower())
    if (
        via is None
        or not isinstance(via_model, MasterDetailField)
        or obj.name not in via.reference_to
    ):
        problems.add(
            obj.field_loc(key, "via"),
            f"'{model.via}' is not a master_detail field of {child.name} pointing at {obj.name}",
        )
        return None
    if model.field is None:
        return FieldDef(
            key, FieldType.DOUBLE, label=model.label or label_of(key), precision=18, scale=0,
            createable=False, updateable=False, custom=True,
            rollup=Rollup("COUNT", child.name, via.name),
        )  # fmt: skip
    source = child.defs.get(model.field.lower())
    allowed = _SUMMABLE if model.function == "SUM" else _ORDERED
    if source is None or source.rollup is not None or source.type not in allowed:
        kinds = "a number" if model.function == "SUM" else "a number, date or datetime"
        problems.add(
            obj.field_loc(key, "field"),
            f"{model.function} needs {kinds} field of {child.name}; "
            + (f"it has no field '{model.field}'" if source is None else f"'{source.name}' is not"),
        )
        return None
    return FieldDef(
        key, source.type, label=model.label or label_of(key), precision=source.precision,
        scale=source.scale, createable=False, updateable=False, custom=True,
        rollup=Rollup(model.function, child.name, via.name, source.name),
    )  # fmt: skip


# -- pass 3: the assembled schema -----------------------------------------------------------


def _specs(parsed: list[_Object]) -> list[ObjectSpec]:
    specs: list[ObjectSpec] = []
    custom_index = 0
    for obj in parsed:
        fields = tuple(obj.defs[key.lower()] for key in obj.fields)
        children = tuple(
            (key, with_r(model.child_relationship))
            for key, model in obj.fields.items()
            if isinstance(model, ReferenceField | MasterDetailField) and model.child_relationship
        )
        rules = tuple(
            ValidationRule(r.name, r.expression, r.message, _canonical_field(obj, r.field))
            for r in (obj.model.validation_rules if obj.model else [])
        )
        if obj.builtin is not None:
            specs.append(
                ObjectSpec(
                    obj.builtin.name, obj.builtin.key_prefix, fields,
                    validation_rules=rules, child_names=children,
                )
            )  # fmt: skip
            continue
        assert obj.model is not None
        prefix = "a" + ids.encode_base62(custom_index, 2)
        custom_index += 1
        label = obj.label
        specs.append(
            ObjectSpec(
                obj.name, prefix, (_name_field(obj), *fields), label=label,
                label_plural=obj.model.plural_label or label + "s", custom=True,
                has_owner=not any(isinstance(m, MasterDetailField) for m in obj.fields.values()),
                validation_rules=rules, child_names=children,
            )
        )  # fmt: skip
    return specs


def _check_child_relationships(
    problems: Problems, parsed: list[_Object], specs: list[ObjectSpec]
) -> None:
    """Two references into one parent must not share a child relationship name."""
    origin = {
        (obj.name.lower(), key.lower()): obj.field_loc(key) for obj in parsed for key in obj.fields
    }
    schema = build_schema(merge(BUILTINS, specs))
    for parent in schema:
        seen: set[str] = set()
        for rel in parent.child_relationships:
            name = rel.relationship_name.lower()
            loc = origin.get((rel.child_object.lower(), rel.field.lower()))
            if name in seen and loc is not None:
                problems.add(
                    loc,
                    f"child relationship '{rel.relationship_name}' is already used on "
                    f"{parent.name}; set child_relationship to another name",
                    at_key=True,
                )
            seen.add(name)


# -- field definitions ----------------------------------------------------------------------


def _base_fields(obj: _Object) -> list[FieldDef]:
    """What an object has before the file's fields: system fields, built-ins, Name."""
    if obj.builtin is not None:
        return [*system_fields(obj.builtin.has_owner), *obj.builtin.fields]
    owned = not any(isinstance(m, MasterDetailField) for m in obj.fields.values())
    return [*system_fields(owned), _name_field(obj)]


def _name_field(obj: _Object) -> FieldDef:
    return name_field(obj.label, obj.model.name_field if obj.model else None)


def _canonical_field(obj: _Object, name: str | None) -> str | None:
    if name is None:
        return None
    found = obj.defs.get(name.lower())
    return found.name if found else name
