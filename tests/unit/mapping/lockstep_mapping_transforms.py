"""Transforms the mapping tests name in field maps (``lockstep_mapping_transforms:...``).
Not a test module: the tests put this directory on ``sys.path``."""

from __future__ import annotations

from typing import Any

NOT_CALLABLE = 42


def cents_to_units(value: Any) -> Any:
    return value / 100


def units_to_cents(value: Any) -> Any:
    return int(value * 100)


def upper(value: Any) -> Any:
    return str(value).upper()


def explode(value: Any) -> Any:
    raise ValueError("no thanks")
