"""Rows read from a system, and changes captured from it.

A ``Row`` maps *native* field names to Python values: ``str``, ``int``,
``decimal.Decimal``, ``float``, ``bool``, ``datetime.date``, ``datetime.datetime``
(timezone-aware, UTC) or ``None``. Mapping to canonical names happens elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    """Record ``native_id`` of ``obj`` changed. ``values`` is the record as read when
    the change was collected (``None`` for a delete, or when it is gone already);
    ``version`` orders changes of one system (a change-table id, a SystemModstamp)."""

    obj: str
    native_id: str
    kind: Literal["upsert", "delete"]
    values: Row | None
    version: str


@dataclass(frozen=True)
class ChangeBatch:
    """Changes after a cursor, oldest first; ``cursor`` resumes after the last one
    and ``more`` says whether a next call would find more right away."""

    changes: tuple[Change, ...]
    cursor: str | None
    more: bool = False
