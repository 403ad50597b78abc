"""Validation rules on save: a rule whose formula is true fails the save.

``check_rules`` is called by ``RecordStore.create`` and ``update`` once the record's
values are converted, derived and past the required-field and reference checks, so a
formula sees the row as it would be stored. The failure is Salesforce's
``FIELD_CUSTOM_VALIDATION_EXCEPTION`` with the rule's message, on the rule's field
when it names one; collections and bulk jobs report it per record like any other.

Formulas were checked when the schema loaded; here they are compiled once per schema
and object, and each save only runs closures.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from lockstep_emulator.errors import RecordError
from lockstep_emulator.formula import FieldRef, Formula, compile_formula
from lockstep_emulator.formula.kinds import formula_value
from lockstep_emulator.schema.model import FieldDef, ObjectDef, Schema, ValidationRule
from lockstep_emulator.store.layout import q, rollup_sql

if TYPE_CHECKING:
    from lockstep_emulator.store.records import RecordStore

_compiled: weakref.WeakKeyDictionary[Schema, dict[str, tuple[tuple[ValidationRule, Formula], ...]]]
_compiled = weakref.WeakKeyDictionary()


def check_rules(
    store: RecordStore,
    obj: ObjectDef,
    values: Mapping[str, Any],
    current: Mapping[str, Any] | None,
) -> None:
    """Raise FIELD_CUSTOM_VALIDATION_EXCEPTION for the first rule whose formula is true.

    ``values`` is the whole row being saved; ``current`` the stored row on update
    (what ``PRIORVALUE`` and ``ISCHANGED`` compare with), None on create.
    """
    if not obj.validation_rules:
        return
    save = _Save(store, obj, values, current)
    for rule, formula in rules_of(store.schema, obj):
        if formula.holds(save):
            raise RecordError(
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                rule.message,
                fields=[rule.field] if rule.field else [],
            )


def rules_of(schema: Schema, obj: ObjectDef) -> tuple[tuple[ValidationRule, Formula], ...]:
    """``obj``'s rules with their compiled formulas (compiled on first use)."""
    per_object = _compiled.setdefault(schema, {})
    found = per_object.get(obj.name)
    if found is None:

        def catalog(name: str) -> list[FieldDef] | None:
            target = schema.get(name)
            return None if target is None else list(target.fields.values())

        found = per_object[obj.name] = tuple(
            (rule, compile_formula(rule.expression, obj.name, catalog))
            for rule in obj.validation_rules
        )
    return found


class _Save:
    """One save as a formula sees it; parents and roll-ups are read from the database."""

    def __init__(
        self,
        store: RecordStore,
        obj: ObjectDef,
        values: Mapping[str, Any],
        current: Mapping[str, Any] | None,
    ) -> None:
        self._store = store
        self._obj = obj
        self._values = values
        self._current = current or {}
        self.is_new = current is None
        self.now: datetime = store.clock.now().astimezone(UTC)
        self.today: date = self.now.date()

    def value(self, ref: FieldRef) -> Any:
        if not ref.steps and ref.field.rollup is None:
            return formula_value(ref.field, self._values.get(ref.field.name))
        record_id: Any = self._values.get("Id")
        target = self._obj.name
        for reference, parent in ref.steps:
            if record_id is None:
                break
            record_id = self._read(target, record_id, reference)
            target = parent
        if record_id is None:
            return formula_value(ref.field, None)
        return formula_value(ref.field, self._read(target, record_id, ref.field))

    def prior(self, ref: FieldRef) -> Any:
        return formula_value(ref.field, self._current.get(ref.field.name))

    def _read(self, object_name: str, record_id: str, field: FieldDef) -> Any:
        """One field of one stored record (a roll-up is computed from its children)."""
        if (
            object_name == self._obj.name
            and field.rollup is None
            and record_id == self._values.get("Id")
        ):
            return self._values.get(field.name)
        obj = self._store.schema.get(object_name)
        if obj is None:
            return None
        column = rollup_sql(obj, field, "t") if field.rollup else f"t.{q(field.name)}"
        found = self._store.db.conn.execute(
            f'SELECT {column} FROM {q(obj.name)} t WHERE t."Id" = ?', (record_id,)
        ).fetchone()
        return None if found is None else found[0]
