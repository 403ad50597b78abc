"""Decide what happens to each source record in one target: the heart of ``plan``.

Pure: it takes the records of both sides (already mapped to canonical values), what
the ledger knows (global ids, xrefs, the parents' ids in the target) and returns one
``PlanItem`` per source record plus the duplicate groups. It can take the source
records a chunk at a time: ``lookups`` says which target records a chunk needs, and
``held`` and ``linked`` carry what only the whole entity tells. The order of questions:

1. Could the record be mapped? If not: ``invalid``.
2. Is it already linked to a target record (an xref)? Then ``update`` or ``unchanged``.
3. Is it one of several source records that look the same (match rules)? ``duplicate``.
4. Is it in the target already under its external id (a run that died before it
   recorded the link)? Then ``link``.
5. Do the match rules find it in the target? One candidate: ``link``; several:
   ``duplicate``; none: ``create``.
6. Can every lookup be resolved in the target (or is its parent about to be
   created)? If not: ``missing_parent`` — never a stray record without its parent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from lockstep.config.entities import Entity
from lockstep.core.plan import DuplicateGroup, FieldChange, PlanItem
from lockstep.mapping.record import Canonical, diff
from lockstep.matching.index import MatchIndex, rule_keys, source_duplicates


@dataclass(frozen=True)
class SourceRecord:
    key: str
    record: Canonical


@dataclass(frozen=True)
class TargetRecord:
    key: str
    record: Canonical
    ext: str | None = None  # the value of the target's external-id field


@dataclass(frozen=True)
class PlanInput:
    """Everything the planner needs for one entity and one target system."""

    entity_name: str
    entity: Entity
    source: str
    target: str
    sources: Sequence[SourceRecord]
    targets: Sequence[TargetRecord]
    gid_of: Mapping[str, str]  # source key -> global id (known xrefs)
    target_of: Mapping[str, str]  # global id -> target key (known xrefs)
    parents: Mapping[str, Mapping[str, str]]  # reference -> source parent key -> target key
    deferred: Set[str]  # references left to relink
    owned: Set[str]  # canonical fields the source owns (written on update)
    new_gid: Callable[[], str]
    ext_value: Callable[[str, str], str] | None = None  # (source key, gid) -> external id
    pending_parents: Mapping[str, Set[str]] = field(default_factory=dict)  # plan mode
    writable: Set[str] | None = None  # fields and references the target can be written (all)
    # When ``sources`` is one chunk of a larger run (``targets`` then holds the records
    # it looks up, see ``lookups``), what is known only over all of it:
    held: Mapping[str, str] | None = None  # source key -> why held as a source duplicate
    linked: Set[str] | None = None  # target keys linked to any source record (target_of's)


@dataclass(frozen=True)
class PlanResult:
    items: list[PlanItem]
    duplicates: list[DuplicateGroup]


@dataclass(frozen=True)
class Lookups:
    """What planning some source records looks up among the target's records: linked
    records by target key, external-id values, and match keys as (rule's position in
    ``entity.match``, key)."""

    keys: frozenset[str]
    ext: frozenset[str]
    match: frozenset[tuple[int, str]]


def lookups(given: PlanInput) -> Lookups:
    """What ``plan_entity(given)`` looks up in the target (``given.targets`` is not
    read), so a caller keeping the target's records elsewhere can pass only those: each
    target record holding one of these keys, external-id values or (unless linked to a
    source record) match keys, in the target's order. A record yet to get a global id
    asks for its external id without one: a new id is in no target."""
    keys_of = rule_keys(given.entity.match)
    keys: set[str] = set()
    ext: set[str] = set()
    match: set[tuple[int, str]] = set()
    for source in given.sources:
        record = source.record
        if record.problems:
            continue
        target_key = _target_key(given, source)
        if target_key is not None:
            keys.add(target_key)
            continue
        if given.held is not None and source.key in given.held:
            continue
        if given.ext_value is not None:
            value = given.ext_value(source.key, given.gid_of.get(source.key) or "")
            if value:
                ext.add(value)
        refs, _, _ = _resolve_refs(given, record)
        for rule, key in enumerate(keys_of({**record.values, **refs})):
            if key is not None:
                match.add((rule, key))
    return Lookups(frozenset(keys), frozenset(ext), frozenset(match))


def plan_entity(given: PlanInput) -> PlanResult:
    """One ``PlanItem`` per source record, in source order, and the duplicate groups
    (with ``given.held``, only those of target matches: the source duplicates were
    found over the whole run)."""
    entity = given.entity
    targets = {t.key: t for t in given.targets}
    by_ext = {t.ext: t.key for t in given.targets if t.ext}
    linked_targets = given.linked if given.linked is not None else set(given.target_of.values())
    index = MatchIndex.build(
        entity.match,
        (
            (t.key, {**t.record.values, **t.record.refs})
            for t in given.targets
            if t.key not in linked_targets
        ),
    )

    groups: list[DuplicateGroup] = []
    held: Mapping[str, str]
    if given.held is not None:
        held = given.held
    else:
        groups, held = _source_duplicates(given)

    items: list[PlanItem] = []
    for source in given.sources:
        item, group = _decide(given, source, targets, by_ext, index, held)
        items.append(item)
        if group is not None:
            groups.append(group)
    return PlanResult(items, groups)


def _source_duplicates(given: PlanInput) -> tuple[list[DuplicateGroup], dict[str, str]]:
    """The groups of unlinked source records that look the same, and why each is held."""
    unlinked = [
        s for s in given.sources if s.key not in given.gid_of or _target_key(given, s) is None
    ]
    groups: list[DuplicateGroup] = []
    held: dict[str, str] = {}
    for rule, key, keys in source_duplicates(
        given.entity.match,
        ((s.key, {**s.record.values, **s.record.refs}) for s in unlinked if not s.record.problems),
    ):
        groups.append(
            DuplicateGroup(given.entity_name, given.target, "source_duplicates", rule, key, keys)
        )
        for k in keys:
            held.setdefault(k, held_reason(rule, len(keys)))
    return groups, held


def held_reason(rule: str, alike: int) -> str:
    """Why a source record is not carried: it is one of ``alike`` by ``rule``."""
    return f"looks the same as {alike - 1} other source record(s) by {rule}"


def _target_key(given: PlanInput, source: SourceRecord) -> str | None:
    gid = given.gid_of.get(source.key)
    return given.target_of.get(gid) if gid is not None else None


def _decide(
    given: PlanInput,
    source: SourceRecord,
    targets: Mapping[str, TargetRecord],
    by_ext: Mapping[str, str],
    index: MatchIndex,
    held: Mapping[str, str],
) -> tuple[PlanItem, DuplicateGroup | None]:
    base = PlanItem(
        entity=given.entity_name,
        source=given.source,
        target=given.target,
        source_key=source.key,
        action="invalid",
        global_id=given.gid_of.get(source.key),
    )
    record = source.record
    if record.problems:
        return _with(base, action="invalid", reason="; ".join(record.problems)), None

    refs, missing, deferred = _resolve_refs(given, record)
    values: dict[str, Any] = {**record.values, **refs}

    target_key = _target_key(given, source)
    if target_key is not None:
        target = targets.get(target_key)
        if target is None:
            return (
                _with(
                    base,
                    action="skip",
                    target_key=target_key,
                    reason=f"linked to {target_key} in {given.target}, which is not there now "
                    "(deleted, or outside the target's filter); run reconcile",
                ),
                None,
            )
        return _update(given, base, target, values, missing, deferred, "update"), None

    if source.key in held:
        return _with(base, action="duplicate", reason=held[source.key]), None

    gid = base.global_id or given.new_gid()
    base = _with(base, global_id=gid)
    if given.ext_value is not None:
        found = by_ext.get(given.ext_value(source.key, gid))
        if found is not None and found in targets:
            item = _update(given, base, targets[found], values, missing, deferred, "link")
            return _with(item, reason=item.reason or "found by its external id"), None

    match = index.find(values)
    if match.kind == "many":
        group = DuplicateGroup(
            given.entity_name,
            given.target,
            "target_matches",
            match.rule or "",
            match.key or "",
            (source.key,),
            match.ids,
        )
        reason = f"{len(match.ids)} records in {given.target} match by {match.rule}"
        return _with(base, action="duplicate", reason=reason), group
    if match.kind == "one":
        item = _update(given, base, targets[match.ids[0]], values, missing, deferred, "link")
        return _with(item, reason=f"matched by {match.rule}"), None

    if missing:
        return _with(base, action="missing_parent", reason=_missing_reason(missing)), None
    return _with(base, action="create", values=values, deferred=deferred), None


def _update(
    given: PlanInput,
    base: PlanItem,
    target: TargetRecord,
    values: Mapping[str, Any],
    missing: Sequence[str],
    deferred: tuple[str, ...],
    action: str,
) -> PlanItem:
    """Linked (or about to be): which owned fields and lookups differ."""
    owned = [
        f for f in given.owned if f in values and (given.writable is None or f in given.writable)
    ]
    changes = list(diff(given.entity, target.record.values, values, owned))
    for ref in given.entity.references:
        if given.writable is not None and ref not in given.writable:
            continue
        if ref in values and ref not in given.deferred:
            before = target.record.refs.get(ref)
            if (before or None) != (values[ref] or None):
                changes.append(FieldChange(ref, before, values[ref]))
    if missing:
        return _with(
            base,
            action="missing_parent",
            target_key=target.key,
            reason=_missing_reason(missing),
        )
    if action == "update" and not changes:
        return _with(base, action="unchanged", target_key=target.key, deferred=deferred)
    return _with(
        base,
        action=action,
        target_key=target.key,
        changes=tuple(sorted(changes, key=lambda c: c.field)),
        values=values,
        deferred=deferred,
    )


def _resolve_refs(
    given: PlanInput, record: Canonical
) -> tuple[dict[str, str | None], list[str], tuple[str, ...]]:
    """Each reference's parent as a target key; the unresolvable ones; the deferred ones."""
    resolved: dict[str, str | None] = {}
    missing: list[str] = []
    deferred: list[str] = []
    for ref, parent in record.refs.items():
        if parent in (None, ""):
            resolved[ref] = None
            continue
        if ref in given.deferred:
            deferred.append(ref)
            continue
        target_parent = given.parents.get(ref, {}).get(parent)
        if target_parent is not None:
            resolved[ref] = target_parent
        elif parent in given.pending_parents.get(ref, ()):
            resolved[ref] = None  # created earlier in the same run: resolved when applied
        else:
            entity = given.entity.references[ref].entity
            missing.append(f"{ref} -> {entity} {parent}")
    return resolved, missing, tuple(deferred)


def _missing_reason(missing: Sequence[str]) -> str:
    return "parent not in the target: " + ", ".join(missing)


def _with(item: PlanItem, **changes: Any) -> PlanItem:
    """``dataclasses.replace`` without its per-call field introspection (it was a tenth of
    the planner's time at 300,000 records); ``PlanItem`` has no ``__post_init__``."""
    new = object.__new__(PlanItem)
    new.__dict__.update(item.__dict__)
    new.__dict__.update(changes)
    return new
