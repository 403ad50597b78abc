"""``relink``: the lookups ``migrate`` deferred, written once every record exists.

Pure, like the planner: each source record linked in the target gets an ``update`` of
its deferred references whose parent, resolved in the target, differs from what the
target holds; ``missing_parent`` when a parent is not there, ``skip`` when the record
itself was not migrated, ``unchanged`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import replace
from typing import Any

from lockstep.config.entities import Entity
from lockstep.core.plan import FieldChange, PlanItem
from lockstep.migrate.planner import SourceRecord, TargetRecord


def relink_items(
    entity_name: str,
    entity: Entity,
    source: str,
    target: str,
    deferred: Set[str],
    sources: Sequence[SourceRecord],
    targets: Sequence[TargetRecord],
    gid_of: Mapping[str, str],
    target_of: Mapping[str, str],
    parents: Mapping[str, Mapping[str, str]],
) -> list[PlanItem]:
    """One item per source record (``targets``: at least those ``target_of`` names;
    ``parents``: reference -> parent's source key -> its target key)."""
    current = {t.key: t for t in targets}
    items = []
    for s in sources:
        gid = gid_of.get(s.key)
        target_key = target_of.get(gid) if gid else None
        base = PlanItem(entity_name, source, target, s.key, "skip", gid, target_key)
        if target_key is None or target_key not in current:
            items.append(replace(base, reason="not migrated"))
            continue
        values: dict[str, Any] = {}
        changes, missing = [], []
        for ref in sorted(deferred):
            parent = s.record.refs.get(ref)
            if not parent:
                continue
            resolved = parents.get(ref, {}).get(parent)
            if resolved is None:
                missing.append(f"{ref} -> {entity.references[ref].entity} {parent}")
                continue
            before = current[target_key].record.refs.get(ref)
            if before != resolved:
                values[ref] = resolved
                changes.append(FieldChange(ref, before, resolved))
        if missing:
            reason = "parent not in the target: " + ", ".join(missing)
            items.append(replace(base, action="missing_parent", reason=reason))
        elif changes:
            items.append(replace(base, action="update", values=values, changes=tuple(changes)))
        else:
            items.append(replace(base, action="unchanged"))
    return items
