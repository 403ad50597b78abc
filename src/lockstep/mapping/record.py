"""Records between a system's native row and lockstep's canonical form.

``compile_reader`` and ``compile_writer`` do the work of a binding once — value maps
turned into look-ups, transforms imported, coercions chosen — so that mapping each of
a few hundred thousand rows is a loop over prepared steps.

Reading (native → canonical), per field: reverse value map → ``from_native`` →
coercion to the canonical type. Writing (canonical → native): ``to_native`` → value
map → coercion to the field map's ``type``. Transforms are not called with ``None``.

Decisions a caller should know:

- A native field absent from the row (a partial row, a change event carrying only
  what changed) leaves the canonical field absent, not ``None``; so does a canonical
  field absent from the values given to the writer: absent means *unknown*, never
  *clear it*.
- A field map with ``constant`` and no ``field`` has no native field: reading gives
  the constant as the canonical value (through the reverse value map and the
  canonical coercion), writing writes nothing. With a ``field``, the constant is
  written on every create and update (whatever ``only`` says) and the field is read
  as any other.
- When creating, fields whose native value is ``None`` are left out, so the system's
  defaults apply (Salesforce field defaults, SQL ``NOT NULL DEFAULT`` columns).
- ``read_only`` fields are read, never written.
- A reference's native value is an id, read as ``str`` (``17`` → ``"17"``; ``""`` →
  ``None``); written as given unless the field map has a ``type`` or ``to_native``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lockstep.config.entities import Binding, Entity, FieldMap
from lockstep.core.plan import FieldChange
from lockstep.core.shapes import Kind
from lockstep.mapping import transforms, valuemap
from lockstep.mapping.errors import MappingError
from lockstep.mapping.values import COERCERS, same, to_id

Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Canonical:
    """One record in canonical form, as read from one system.

    ``values``: canonical fields bound in that system (absent when not bound, or not
    in the row); ``refs``: reference → the referenced record's native id *in that
    system*; ``problems``: why the record cannot be carried (it is then reported as
    invalid, not dropped)."""

    values: Mapping[str, Any]
    refs: Mapping[str, str | None]
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _fast_canonical() -> Callable[
    [Mapping[str, Any], Mapping[str, str | None], tuple[str, ...]], Canonical
]:
    """``Canonical(values, refs, problems)`` without the frozen dataclass's
    ``object.__setattr__`` calls: the reader makes one per row, and this halves the cost."""
    new = object.__new__
    slots = Canonical.__dict__
    set_values, set_refs, set_problems = (slots[n].__set__ for n in ("values", "refs", "problems"))

    def make(
        values: Mapping[str, Any], refs: Mapping[str, str | None], problems: tuple[str, ...]
    ) -> Canonical:
        record = new(Canonical)
        set_values(record, values)
        set_refs(record, refs)
        set_problems(record, problems)
        return record

    return make


_canonical = _fast_canonical()


def _chain(steps: list[Convert]) -> Convert:
    """One converter running ``steps`` in order."""
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:
        first, second = steps

        def both(value: Any) -> Any:
            return second(first(value))

        return both

    def run(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return run


def _skip_none(convert: Convert) -> Convert:
    """``convert``, but ``None`` maps to ``None`` without calling it (transforms)."""

    def call(value: Any) -> Any:
        return None if value is None else convert(value)

    return call


def kind_of(entity: Entity, name: str) -> Kind:
    spec = entity.fields.get(name)
    if spec is not None:
        return spec.type
    if name in entity.references:
        return "id"
    raise MappingError(f"'{name}' is neither a field nor a reference of the entity")


# -- reading ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ReadStep:
    name: str
    native: str
    convert: Convert
    required: bool


@dataclass(frozen=True, slots=True)
class _Plan:
    """The steps for one set of row keys: (name, the row's key, converter)."""

    fields: tuple[tuple[str, str, Convert], ...]
    refs: tuple[tuple[str, str, Convert], ...]
    required_fields: tuple[str, ...]
    required_refs: tuple[str, ...]
    key: str | None  # the row's key for the binding's native key


class Reader:
    """Maps native rows of one binding to ``Canonical`` records."""

    _CACHE_LIMIT = 256

    def __init__(
        self,
        fields: tuple[_ReadStep, ...],
        refs: tuple[_ReadStep, ...],
        fixed: Mapping[str, Any],
        key: str,
    ) -> None:
        self._fields = fields
        self._refs = refs
        self._fixed = dict(fixed)
        self._key = key
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def read(self, row: Mapping[str, Any]) -> Canonical:
        """The canonical form of ``row``; problems are collected, never raised."""
        keys = tuple(row)
        plan = self._plans.get(keys)
        if plan is None:
            plan = self._plan(keys)
        values: dict[str, Any] = self._fixed.copy() if self._fixed else {}
        problems: list[str] | None = None
        for name, key, convert in plan.fields:
            try:
                values[name] = convert(row[key])
            except MappingError as exc:
                problems = problems or []
                problems.append(str(exc) if exc.field else f"{key}: {exc}")
        refs: dict[str, str | None] = {}
        for name, key, convert in plan.refs:
            try:
                refs[name] = convert(row[key])
            except MappingError as exc:
                problems = problems or []
                problems.append(str(exc) if exc.field else f"{key}: {exc}")
        for name in plan.required_fields:
            if name in values and values[name] in (None, ""):
                problems = problems or []
                problems.append(f"required field '{name}' is empty")
        for name in plan.required_refs:
            if name in refs and refs[name] is None:
                problems = problems or []
                problems.append(f"required reference '{name}' is empty")
        return _canonical(values, refs, tuple(problems) if problems else ())

    def native_id(self, row: Mapping[str, Any]) -> str | None:
        """The row's native key (the binding's ``key``, else ``Id`` for an object and
        ``id`` for a table) as ``str``; ``None`` when the row lacks it."""
        keys = tuple(row)
        plan = self._plans.get(keys)
        if plan is None:
            plan = self._plan(keys)
        return None if plan.key is None else to_id(row[plan.key])

    def _plan(self, keys: tuple[str, ...]) -> _Plan:
        where = _resolve([s.native for s in (*self._fields, *self._refs)] + [self._key], keys)
        fields = tuple(
            (s.name, where[s.native], s.convert) for s in self._fields if s.native in where
        )
        refs = tuple((s.name, where[s.native], s.convert) for s in self._refs if s.native in where)
        plan = _Plan(
            fields,
            refs,
            tuple(s.name for s in self._fields if s.required and s.native in where),
            tuple(s.name for s in self._refs if s.required and s.native in where),
            where.get(self._key),
        )
        if len(self._plans) >= self._CACHE_LIMIT:
            self._plans.clear()
        self._plans[keys] = plan
        return plan


def _resolve(names: Iterable[str], keys: tuple[str, ...]) -> dict[str, str]:
    """Configured native name → the row's key for it: exact, else without case."""
    present = set(keys)
    lowered: dict[str, str] = {}
    for key in keys:
        lowered.setdefault(key.lower(), key)
    found: dict[str, str] = {}
    for name in names:
        if name in present:
            found[name] = name
        elif name.lower() in lowered:
            found[name] = lowered[name.lower()]
    return found


def compile_reader(entity: Entity, binding: Binding) -> Reader:
    """A ``Reader`` for ``binding`` of ``entity``; ``MappingError`` when the binding
    names something the entity lacks, or a transform that cannot be loaded."""
    fields: list[_ReadStep] = []
    refs: list[_ReadStep] = []
    fixed: dict[str, Any] = {}
    for name, fm in binding.fields.items():
        kind = kind_of(entity, name)
        is_ref = name in entity.references
        convert = _read_converter(fm, kind, fm.field or name)
        if fm.field is None:
            try:
                fixed[name] = convert(fm.constant)
            except MappingError as exc:
                raise MappingError(f"the constant of '{name}': {exc}") from None
            continue
        required = (entity.references[name] if is_ref else entity.fields[name]).required
        (refs if is_ref else fields).append(_ReadStep(name, fm.field, convert, required))
    key = binding.key or ("Id" if binding.object is not None else "id")
    return Reader(tuple(fields), tuple(refs), fixed, key)


def _read_converter(fm: FieldMap, kind: Kind, native: str) -> Convert:
    steps: list[Convert] = []
    if fm.values is not None:
        steps.append(valuemap.to_canonical(fm.values, native))
    if fm.from_native is not None:
        steps.append(_skip_none(transforms.guarded(fm.from_native)))
    steps.append(COERCERS[kind])
    return _chain(steps)


# -- writing ----------------------------------------------------------------------------


class Writer:
    """Maps canonical values of one entity to native rows of one binding."""

    def __init__(
        self,
        fields: tuple[tuple[str, str, Convert], ...],
        refs: tuple[tuple[str, str, Convert], ...],
        constants: Mapping[str, Any],
        names: Mapping[str, str],
    ) -> None:
        self._fields = fields
        self._refs = refs
        self._constants = dict(constants)
        self._names = dict(names)

    def write(
        self,
        values: Mapping[str, Any],
        refs: Mapping[str, str | None],
        *,
        only: Collection[str] | None = None,
        creating: bool,
    ) -> dict[str, Any]:
        """The native row for ``values`` and ``refs`` (reference → native id in this
        system); ``only`` limits it to those canonical fields and references
        (constants are always written). ``MappingError`` when a value cannot be
        carried."""
        if only is not None and not isinstance(only, set | frozenset):
            only = frozenset(only)
        row: dict[str, Any] = {}
        for source, steps in ((values, self._fields), (refs, self._refs)):
            for name, native, convert in steps:
                if only is not None and name not in only:
                    continue
                value = source.get(name, _ABSENT)
                if value is _ABSENT:
                    continue
                try:
                    value = convert(value)
                except MappingError as exc:
                    if exc.field is not None:
                        raise
                    message = f"field '{name}' ({native}): {exc}"
                    raise MappingError(message, field=native) from exc
                if value is None and creating:
                    continue
                row[native] = value
        if self._constants:
            row.update(self._constants)
        return row

    def native_name(self, canonical: str) -> str | None:
        """The native field that holds the canonical field or reference, if bound."""
        return self._names.get(canonical)


_ABSENT: Any = object()


def compile_writer(entity: Entity, binding: Binding) -> Writer:
    """A ``Writer`` for ``binding`` of ``entity``; ``MappingError`` as for
    ``compile_reader``."""
    fields: list[tuple[str, str, Convert]] = []
    refs: list[tuple[str, str, Convert]] = []
    constants: dict[str, Any] = {}
    names: dict[str, str] = {}
    for name, fm in binding.fields.items():
        kind_of(entity, name)
        if fm.field is None:
            continue
        names[name] = fm.field
        if fm.read_only:
            continue
        if fm.constant is not None:
            constants[fm.field] = fm.constant
            continue
        step = (name, fm.field, _write_converter(fm, name, fm.field))
        (refs if name in entity.references else fields).append(step)
    return Writer(tuple(fields), tuple(refs), constants, names)


def _write_converter(fm: FieldMap, name: str, native: str) -> Convert:
    steps: list[Convert] = []
    if fm.to_native is not None:
        steps.append(_skip_none(transforms.guarded(fm.to_native)))
    if fm.values is not None:
        steps.append(valuemap.to_native(fm.values, name, native))
    if fm.type is not None:
        steps.append(COERCERS[fm.type])
    if not steps:
        return _identity
    return _chain(steps)


def _identity(value: Any) -> Any:
    return value


# -- comparing --------------------------------------------------------------------------


def diff(
    entity: Entity, before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str]
) -> tuple[FieldChange, ...]:
    """The ``fields`` (canonical fields or references) whose value in ``after`` differs
    from ``before``, compared with ``same`` by each field's kind. A field absent from
    ``after`` is unknown there and not a change; absent from ``before``, it was
    ``None``."""
    changes: list[FieldChange] = []
    for name in fields:
        if name not in after:
            continue
        new = after[name]
        old = before.get(name)
        if not same(old, new, kind_of(entity, name)):
            changes.append(FieldChange(name, old, new))
    return tuple(changes)
