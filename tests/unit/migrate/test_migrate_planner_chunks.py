"""Planning in chunks (pure): each chunk given only the target records ``lookups`` asks
for, the source duplicates held over all records and the target records linked to any
of them, ``plan_entity`` decides as it does over all records at once."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from lockstep.config.entities import Entity
from lockstep.core.plan import DuplicateGroup, PlanItem
from lockstep.mapping.record import Canonical
from lockstep.matching import rule_keys, source_duplicates
from lockstep.migrate.planner import (
    PlanInput,
    SourceRecord,
    TargetRecord,
    held_reason,
    lookups,
    plan_entity,
)

ENTITY = Entity.model_validate(
    {
        "fields": {"name": "string", "city": "string", "email": "string"},
        "references": {"parent": "company"},
        "owner": "app",
        "match": [
            {"fields": ["email"], "normalize": ["email"]},
            {"fields": ["name", "city"], "normalize": ["case", "whitespace"]},
        ],
        "bindings": {
            "app": {"table": "company", "fields": {"name": "name"}},
            "crm": {"object": "Account", "fields": {"name": "Name"}},
        },
    }
)
NAMES = [f"Name {n}" for n in range(40)]
CITIES = ["Leeds", "York", "Hull"]


def world(seed: int) -> PlanInput:
    """300 source and 200 target records that collide often: shared emails and names,
    links known to the ledger, external ids, parents found, pending or missing."""
    rng = random.Random(seed)

    def values() -> dict[str, Any]:
        email = f"p{rng.randrange(150)}@example.org" if rng.random() < 0.7 else None
        return {"name": rng.choice(NAMES), "city": rng.choice(CITIES), "email": email}

    sources = []
    for n in range(300):
        problems = ("required field 'name' is empty",) if rng.random() < 0.02 else ()
        parent = rng.choice([None, "P1", "P2", "P3"])
        sources.append(SourceRecord(f"s{n}", Canonical(values(), {"parent": parent}, problems)))
    targets = []
    for n in range(200):
        ext = f"s{rng.randrange(300)}" if rng.random() < 0.1 else None
        parent = rng.choice([None, "T-P1", "T-P2"])
        targets.append(TargetRecord(f"t{n}", Canonical(values(), {"parent": parent}), ext))
    # s299, alike no other, is in the target already under its external id
    sources[299] = SourceRecord("s299", Canonical({"name": "Only", "city": "Ely"}, {}))
    targets.append(TargetRecord("t-299", Canonical({"name": "Old"}, {}), "s299"))
    linked = rng.sample(range(299), 60)
    gid_of = {f"s{n}": f"G-{n}" for n in linked}
    target_of = {f"G-{n}": f"t{rng.randrange(230)}" for n in linked[:45]}  # some gone
    counter = itertools.count(1)
    return PlanInput(
        entity_name="company",
        entity=ENTITY,
        source="app",
        target="crm",
        sources=sources,
        targets=targets,
        gid_of=gid_of,
        target_of=target_of,
        parents={"parent": {"P1": "T-P1", "P2": "T-P2"}},
        deferred=frozenset(),
        owned=frozenset({"name", "city", "email"}),
        new_gid=lambda: f"NEW-{next(counter)}",
        ext_value=lambda key, _gid: key,
        pending_parents={"parent": {"P3"}},
    )


def chunked(given: PlanInput, size: int) -> tuple[list[PlanItem], list[DuplicateGroup]]:
    """``plan_entity`` over chunks of ``size``, each given what a work file gives it."""
    linked = set(given.target_of.values())
    unlinked = [
        s
        for s in given.sources
        if not s.record.problems and given.target_of.get(given.gid_of.get(s.key, "")) is None
    ]
    groups = [
        DuplicateGroup("company", "crm", "source_duplicates", rule, key, keys)
        for rule, key, keys in source_duplicates(
            ENTITY.match, ((s.key, {**s.record.values, **s.record.refs}) for s in unlinked)
        )
    ]
    held: dict[str, str] = {}
    for group in groups:
        for key in group.source_keys:
            held.setdefault(key, held_reason(group.rule, len(group.source_keys)))
    keys_of = rule_keys(ENTITY.match)
    items: list[PlanItem] = []
    for start in range(0, len(given.sources), size):
        chunk = replace(given, sources=given.sources[start : start + size], targets=[], held=held)
        wanted = lookups(chunk)
        targets = [
            t
            for t in given.targets
            if t.key in wanted.keys
            or t.ext in wanted.ext
            or (
                t.key not in linked
                and any(
                    (rule, key) in wanted.match
                    for rule, key in enumerate(keys_of({**t.record.values, **t.record.refs}))
                )
            )
        ]
        plan = plan_entity(replace(chunk, targets=targets, linked=_in(linked, targets)))
        items.extend(plan.items)
        groups.extend(plan.duplicates)
    return items, groups


def _in(linked: set[str], targets: Sequence[TargetRecord]) -> frozenset[str]:
    return frozenset(t.key for t in targets if t.key in linked)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("size", [1, 7, 64])
def test_chunks_plan_what_one_pass_plans(seed: int, size: int) -> None:
    whole = plan_entity(world(seed))
    items, groups = chunked(world(seed), size)
    assert [(i, i.values) for i in items] == [(i, i.values) for i in whole.items]
    assert groups == whole.duplicates
    assert {i.action for i in whole.items} >= {"create", "update", "link", "duplicate", "skip"}
    assert any(i.reason == "found by its external id" for i in whole.items)


def test_a_target_record_linked_elsewhere_is_no_match_even_when_fetched() -> None:
    """The record ``linked`` is for: fetched by one source's external id, linked to a
    source record of another chunk, and matching a third by email."""
    other = SourceRecord("s1", Canonical({"name": "A", "city": "Leeds"}, {}))
    by_ext = SourceRecord("s2", Canonical({"name": "B", "city": "York"}, {}))
    by_email = SourceRecord("s3", Canonical({"name": "C", "city": "Hull", "email": "x@y"}, {}))
    target = TargetRecord("t1", Canonical({"name": "Z", "city": "Ely", "email": "X@Y"}, {}), "s2")
    given = replace(
        world(0),
        sources=[other, by_ext, by_email],
        targets=[target],
        gid_of={"s1": "G1"},
        target_of={"G1": "t1"},
    )
    whole = plan_entity(given)
    chunk = replace(given, sources=[by_ext, by_email], target_of={}, held={})
    assert "s2" in lookups(chunk).ext
    alone = plan_entity(chunk)  # as if t1 were linked to no one
    told = plan_entity(replace(chunk, linked=frozenset({"t1"})))
    assert [i.action for i in whole.items[1:]] == [i.action for i in told.items]
    assert [i.action for i in told.items] == ["link", "create"]
    assert [i.action for i in alone.items] == ["link", "link"]
