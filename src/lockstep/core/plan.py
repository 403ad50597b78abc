"""What a flow decides for each record, and what came of it.

A plan is a list of ``PlanItem``: one source record and what happens to it in one
target system. migrate plans them, reconcile's comparison and sync's drain produce
them too, and the reports write them; so they live here, below every flow, rather
than in the one flow that used them first. Reconcile gives each difference a class
(``Finding``: ``lockstep.reconcile.findings`` says which and when)."""

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
    "extra",  # reconcile: only in a system that does not own it; left for a person
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
    "extra",
)
WRITES: frozenset[Action] = frozenset({"create", "update", "link"})

Finding = Literal[
    "missing",  # not in the system, which never had it
    "extra",  # only in a system that does not own it
    "field_mismatch",  # a field's value differs from its owner's
    "link_broken",  # linked in the ledger, but the record is gone from the system
    "unlinked_match",  # not linked, yet the match rules find it in the other system
    "writeback_missing",  # the ids, the global id or the sync status are not written back
    "status_failed",  # the sync status says the last change failed
    "locked_different",  # differs, but the lock rule holds: no repair is made
]
FINDINGS: tuple[Finding, ...] = (
    "missing",
    "extra",
    "field_mismatch",
    "link_broken",
    "unlinked_match",
    "writeback_missing",
    "status_failed",
    "locked_different",
)


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
    finding: Finding | None = None  # reconcile: the class of the difference


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
