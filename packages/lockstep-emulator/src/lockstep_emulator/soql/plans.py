"""What the compiler hands the executor: SQL text, bound parameters, and output shapes.

Three kinds, because Salesforce answers three ways: records (paged, with nested
parents and child subqueries), aggregate rows (``AggregateResult``), and a bare count
(``SELECT COUNT()``: only ``totalSize``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lockstep_emulator.soql.shape import Convert, Shape


@dataclass(frozen=True)
class ChildPlan:
    """One child subquery, run once per page of parents.

    ``sql`` takes the page's parent ids as a JSON array in its first parameter; the
    parent id a row belongs to is ``row[parent_index]``, after the record's columns.
    """

    key: str
    sql: str
    params: tuple[Any, ...]
    shape: Shape
    parent_index: int


@dataclass(frozen=True)
class RecordPlan:
    sql: str
    params: tuple[Any, ...]
    count_sql: str
    count_params: tuple[Any, ...]
    shape: Shape
    children: tuple[ChildPlan, ...] = ()


@dataclass(frozen=True)
class AggregatePlan:
    """Rows of ``AggregateResult``: ``keys[i]`` is column i's name, converted by ``converts[i]``."""

    sql: str
    params: tuple[Any, ...]
    keys: tuple[str, ...]
    converts: tuple[Convert | None, ...]


@dataclass(frozen=True)
class CountPlan:
    sql: str
    params: tuple[Any, ...]


Plan = RecordPlan | AggregatePlan | CountPlan
