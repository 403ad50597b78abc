"""The seam between a formula and a save: what a compiled formula may ask of it.

``store/rules.py`` implements ``Env`` over a record being saved; the unit tests
implement it over a dict. ``Catalog`` is how the compiler learns an object's fields,
from the schema file being loaded or from a built schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from lockstep_emulator.schema.model import FieldDef

Catalog = Callable[[str], Iterable[FieldDef] | None]
"""The fields of an object by name (any case), or None when there is no such object."""


@dataclass(frozen=True)
class FieldRef:
    """A field of the record (no ``steps``) or of a parent reached through ``steps``."""

    steps: tuple[tuple[FieldDef, str], ...]  # (reference field, object it points at)
    field: FieldDef


class Env(Protocol):
    """One save, as a formula sees it."""

    is_new: bool
    today: date
    now: datetime

    def value(self, ref: FieldRef) -> Any: ...

    def prior(self, ref: FieldRef) -> Any: ...


Fn = Callable[[Env], Any]
