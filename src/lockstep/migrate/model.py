"""The values a migration plan is made of, shared by the planner, the executor and the
reports. A plan is a list of ``PlanItem``: one source record and what happens to it in
one target system."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal[
    "create",  # not in the target: create it
    "update",  # linked already (xref or match) and some owned fields differ
    "link",  # found in the target by a match rule: link it (and update if it differs)
    "unchanged",  # linked and equal: nothing to write
    "skip",  # left out on purpose (reason says why)
    "duplicate",  # several candidates, or duplicates inside the source: not created
    "missing_parent",  # a lookup's parent is not in the target: not created
    "invalid",  # the record cannot be mapped (a required field, a value map miss)
    "delete",  # sync: deleted in its owner, so deleted in the target
]
ACTIONS: tuple[Action, ...] = (
    "create",
    "update",
    "link",
    "unchanged",
    "skip",
    "duplicate",
    "missing_parent",
    "invalid",
    "delete",
)
WRITES: frozenset[Action] = frozenset({"create", "update", "link"})


@dataclass(frozen=True)
class FieldChange:
    """One canonical field that will change in the target."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PlanItem:
    """What happens to one source record in one target system."""

    entity: str
    source: str  # source system
    target: str  # target system
    source_key: str  # the record's native id in the source
    action: Action
    global_id: str | None = None
    target_key: str | None = None  # the record's native id in the target, when known
    reason: str = ""
    changes: tuple[FieldChange, ...] = ()
    deferred: tuple[str, ...] = ()  # references left to relink
    values: Mapping[str, Any] = field(default_factory=dict, compare=False)  # canonical


@dataclass(frozen=True)
class DuplicateGroup:
    """Records that could not be told apart: ``source_keys`` share ``key`` under
    ``rule``; ``candidates`` are the target records it matched (native ids)."""

    entity: str
    target: str
    kind: Literal["target_matches", "source_duplicates"]
    rule: str  # e.g. "email(email)" or "name+city(case,whitespace)"
    key: str  # the normalized value they share
    source_keys: tuple[str, ...]
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What happened when a plan item was applied."""

    item: PlanItem
    ok: bool
    target_key: str | None = None
    created: bool = False
    error_code: str | None = None
    message: str | None = None
    job_id: str | None = None


Mode = Literal["plan", "migrate", "relink"]
# every command that writes reports
RunMode = Literal["plan", "migrate", "relink", "sync", "reconcile"]
Status = Literal["running", "done", "failed", "interrupted"]


@dataclass(frozen=True)
class Counts:
    """The contract's counts (summary.json ``counts``)."""

    selected: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    matched: int = 0
    failed: int = 0
    duplicates: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Tally:
    """``Counts`` while a run is going: the planner and the executor add to it."""

    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Counts().as_dict(), 0))

    def add(self, name: str, n: int = 1) -> None:
        self.values[name] += n

    def frozen(self) -> Counts:
        return Counts(**self.values)
