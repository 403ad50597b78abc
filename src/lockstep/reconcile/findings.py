"""The class of each difference reconcile finds (``diff.csv``'s ``finding``), decided
without I/O from ``compare``'s rows and the sides they came from.

A row carries one class, the first of these that applies:

1. ``locked_different``: a ``create`` or ``update`` of a record the entity's ``lock``
   holds for (judged as sync's drain judges it: over the golden record, each reference
   replaced by its parent's): the drain refuses changes to it, so ``--apply`` leaves it;
2. ``unlinked_match``: a ``create`` whose record the entity's ``match`` rules find
   among the target's unlinked records, and the rows of each record so found (its
   ``extra``, or the ``create`` rows of an owner's record never synced): creating it
   would make a second copy, and linking them is a person's call, so ``--apply``
   leaves both;
3. ``link_broken``: a ``create`` in a system the ledger links the record in: the
   record it was linked to is gone (``--apply`` detaches the link, then creates the
   record again);
4. ``missing``: any other ``create``: the system never had the record;
5. ``extra``: an ``extra`` row (only in a system that does not own it);
6. ``field_mismatch``: an ``update`` of fields or references;
7. ``status_failed``: an ``update`` of the write-back whose sync status says failed;
8. ``writeback_missing``: any other ``update`` of the write-back (an id, the global
   id, a status other than success).

``unchanged`` and ``skip`` rows carry none: a ``skip`` row points at the row that does
(the owner's ``create`` of a record it is yet to get; the ``extra`` rows of a record
gone from its owner).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from lockstep.config.entities import Entity
from lockstep.core.plan import Finding, PlanItem
from lockstep.expr import Expr
from lockstep.mapping.lock import locked
from lockstep.matching import MatchIndex
from lockstep.reconcile.compare import Held, Side

LEFT: frozenset[Finding] = frozenset({"extra", "unlinked_match", "locked_different"})
"""The classes ``--apply`` never repairs: a person decides."""
SHOWN = 5  # the keys of the records a match finds, named in its reason


def classify(
    entity: Entity,
    sides: Mapping[str, Side],
    items: Sequence[PlanItem],
    locked: frozenset[str] = frozenset(),
    partners: dict[tuple[str, str], str] | None = None,
) -> list[PlanItem]:
    """``items`` (``compare``'s, for ``entity`` across ``sides``) with their ``finding``;
    ``locked``: the global ids the entity's lock rule holds for.

    ``partners`` carries the unlinked records a match found from one call to the next,
    when an entity is classified a part at a time (reconcile's partitions, then the
    unlinked records): ``(system, key) -> reason``, filled by the rows that find them
    and read by the rows of the records found, in whichever call each comes."""
    matched = _unlinked_matches(entity, sides, items, {} if partners is None else partners)
    out: list[PlanItem] = []
    for n, item in enumerate(items):
        finding, reason = _finding(entity, sides, item, locked, matched.get(n))
        agrees = finding is None and reason == item.reason  # most rows: spare a copy
        out.append(item if agrees else replace(item, finding=finding, reason=reason))
    return out


def detached(items: Sequence[PlanItem]) -> frozenset[str]:
    """The global ids ``--apply`` would unlink somewhere (a ``link_broken`` row: the
    link to a record that is gone goes, the record is created again)."""
    return frozenset(
        item.global_id
        for item in items
        if item.finding == "link_broken" and item.global_id is not None
    )


def locked_ids(
    lock: Expr,
    golden: Mapping[str, Mapping[str, Any]],
    parents: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> frozenset[str]:
    """Those of ``golden``'s global ids (golden record by global id) the lock holds
    for, each reference replaced by its parent's golden record (``parents``:
    reference -> parent's global id -> its golden record), as sync's drain judges a
    change (``mapping.lock.locked``)."""
    found: set[str] = set()
    for gid, values in golden.items():
        mine = {ref: by_gid.get(str(values.get(ref)), {}) for ref, by_gid in parents.items()}
        if locked(lock, values, mine):
            found.add(gid)
    return frozenset(found)


def _finding(
    entity: Entity,
    sides: Mapping[str, Side],
    item: PlanItem,
    locked: frozenset[str],
    match: str | None,
) -> tuple[Finding | None, str]:
    """The class of one row, and its reason (said more fully where the class says
    that ``--apply`` leaves the record)."""
    gid = item.global_id
    if item.action in ("create", "update") and gid is not None and gid in locked:
        return "locked_different", f"{item.reason}; locked ({entity.lock}): --apply leaves it"
    if match is not None:
        return "unlinked_match", match
    if item.action == "create":
        target = sides[item.target]
        broken = gid is not None and (target.known is None or gid in target.known)
        return ("link_broken" if broken else "missing"), item.reason
    if item.action == "extra":
        return "extra", item.reason
    if item.action == "update":
        canonical = (entity.fields.keys() | entity.references.keys()) & {
            c.field for c in item.changes
        }
        if canonical:
            return "field_mismatch", item.reason
        status = sides[item.target].house.status
        if status is not None and any(
            c.field == status.field and str(c.before or "") == status.failed for c in item.changes
        ):
            return "status_failed", item.reason
        return "writeback_missing", item.reason
    return None, item.reason


def _unlinked_matches(
    entity: Entity,
    sides: Mapping[str, Side],
    items: Sequence[PlanItem],
    partners: dict[tuple[str, str], str],
) -> dict[int, str]:
    """``{row number: reason}`` for the rows of ``unlinked_match``: each ``create``
    whose record the match rules find among the target's unlinked records (not those
    deleted in the owner), and the rows of each record found."""
    if not entity.match:
        return {}
    indexes: dict[str, MatchIndex] = {}
    loose: dict[str, dict[str, Held]] = {}  # system -> its unlinked records by key
    found: dict[int, str] = {}
    for n, item in enumerate(items):
        if item.action != "create":
            continue
        for system in (item.source, item.target):
            if system not in loose:
                loose[system] = {h.key: h for h in sides[system].unlinked}
        if item.global_id is not None:
            source = sides[item.source].linked.get(item.global_id)
        else:
            source = loose[item.source].get(item.source_key)
        if source is None:
            continue
        if item.target not in indexes:
            buried = sides[item.target].buried
            indexes[item.target] = MatchIndex.build(
                entity.match,
                ((k, h.values) for k, h in loose[item.target].items() if k not in buried),
            )
        match = indexes[item.target].find(source.values)
        if match.kind == "none":
            continue
        keys = ", ".join(match.ids[:SHOWN]) + (" …" if len(match.ids) > SHOWN else "")
        found[n] = (
            f"{item.reason}; not linked, but {item.target} {keys} "
            f"match{'es' if len(match.ids) == 1 else ''} it by {match.rule}: --apply leaves both"
        )
        for key in match.ids:
            partners.setdefault(
                (item.target, key),
                f"not linked, but matches {item.source} {item.source_key} by {match.rule}: "
                "--apply leaves both",
            )
    if partners:
        for n, item in enumerate(items):
            reason = partners.get((item.source, item.source_key))
            if reason is not None and item.global_id is None and item.action != "skip":
                found.setdefault(n, reason)
    return found
