"""The planner's decisions, one question at a time (pure: no system, no ledger)."""

from __future__ import annotations

import itertools
from typing import Any

from lockstep.config.entities import Entity
from lockstep.mapping.record import Canonical
from lockstep.migrate.planner import PlanInput, SourceRecord, TargetRecord, plan_entity

ENTITY = Entity.model_validate(
    {
        "fields": {"name": "string", "city": "string", "dues": "decimal"},
        "references": {"parent": "company"},
        "owner": "app",
        "match": [{"fields": ["name", "city"], "normalize": ["case", "whitespace"]}],
        "bindings": {
            "app": {"table": "company", "fields": {"name": "name"}},
            "crm": {"object": "Account", "fields": {"name": "Name"}},
        },
    }
)


def rec(name: str, city: str = "Leeds", parent: str | None = None, **more: Any) -> Canonical:
    return Canonical({"name": name, "city": city, **more}, {"parent": parent})


def given(
    sources: list[tuple[str, Canonical]],
    targets: list[tuple[str, Canonical]] = (),  # type: ignore[assignment]
    **overrides: Any,
) -> PlanInput:
    counter = itertools.count(1)
    settings: dict[str, Any] = {
        "entity_name": "company",
        "entity": ENTITY,
        "source": "app",
        "target": "crm",
        "sources": [SourceRecord(k, r) for k, r in sources],
        "targets": [TargetRecord(k, r, overrides.pop("ext", {}).get(k)) for k, r in targets],
        "gid_of": {},
        "target_of": {},
        "parents": {},
        "deferred": frozenset(),
        "owned": frozenset({"name", "city", "dues"}),
        "new_gid": lambda: f"G{next(counter)}",
        **overrides,
    }
    return PlanInput(**settings)


def actions(plan: Any) -> dict[str, str]:
    return {i.source_key: i.action for i in plan.items}


def test_a_record_not_in_the_target_is_created_with_a_new_global_id() -> None:
    plan = plan_entity(given([("1", rec("Acme"))]))
    (item,) = plan.items
    assert (item.action, item.global_id, item.target_key) == ("create", "G1", None)
    assert item.values["name"] == "Acme"


def test_a_linked_record_is_updated_only_where_owned_fields_differ() -> None:
    plan = plan_entity(
        given(
            [("1", rec("Acme", dues=5)), ("2", rec("Beta"))],
            [("a1", rec("Acme", dues=4)), ("a2", rec("Beta"))],
            gid_of={"1": "G-1", "2": "G-2"},
            target_of={"G-1": "a1", "G-2": "a2"},
        )
    )
    assert actions(plan) == {"1": "update", "2": "unchanged"}
    (change,) = plan.items[0].changes
    assert (change.field, change.before, change.after) == ("dues", 4, 5)


def test_fields_the_source_does_not_own_are_not_updated() -> None:
    plan = plan_entity(
        given(
            [("1", rec("Acme", dues=5))],
            [("a1", rec("Acme", dues=4))],
            gid_of={"1": "G-1"},
            target_of={"G-1": "a1"},
            owned=frozenset({"name"}),
        )
    )
    assert actions(plan) == {"1": "unchanged"}


def test_a_single_match_is_linked_not_created() -> None:
    plan = plan_entity(given([("1", rec("ACME  corp"))], [("a1", rec("acme corp"))]))
    (item,) = plan.items
    assert (item.action, item.target_key) == ("link", "a1")
    assert "matched by name+city" in item.reason


def test_several_matches_are_a_duplicate_with_every_candidate() -> None:
    plan = plan_entity(given([("1", rec("Acme"))], [("a1", rec("Acme")), ("a2", rec("ACME"))]))
    assert actions(plan) == {"1": "duplicate"}
    (group,) = plan.duplicates
    assert (group.kind, group.source_keys, set(group.candidates)) == (
        "target_matches",
        ("1",),
        {"a1", "a2"},
    )


def test_duplicates_inside_the_source_are_all_held_back() -> None:
    plan = plan_entity(given([("1", rec("Acme")), ("2", rec(" acme ")), ("3", rec("Beta"))]))
    assert actions(plan) == {"1": "duplicate", "2": "duplicate", "3": "create"}
    (group,) = plan.duplicates
    assert (group.kind, group.source_keys) == ("source_duplicates", ("1", "2"))


def test_found_by_external_id_after_a_lost_reply_is_linked() -> None:
    plan = plan_entity(
        given(
            [("1", rec("Acme"))],
            [("a9", rec("Acme Renamed"))],
            gid_of={"1": "G-1"},
            ext={"a9": "1"},
            ext_value=lambda key, gid: key,
        )
    )
    (item,) = plan.items
    assert (item.action, item.target_key, item.global_id) == ("link", "a9", "G-1")


def test_a_parent_missing_from_the_target_blocks_the_record() -> None:
    plan = plan_entity(
        given(
            [("1", rec("Acme", parent="7")), ("2", rec("Beta", parent="8"))],
            parents={"parent": {"8": "a8"}},
        )
    )
    assert actions(plan) == {"1": "missing_parent", "2": "create"}
    assert plan.items[0].reason == "parent not in the target: parent -> company 7"
    assert plan.items[1].values["parent"] == "a8"


def test_a_deferred_reference_is_left_for_relink() -> None:
    plan = plan_entity(given([("1", rec("Acme", parent="7"))], deferred=frozenset({"parent"})))
    (item,) = plan.items
    assert (item.action, item.deferred) == ("create", ("parent",))
    assert "parent" not in item.values


def test_a_parent_created_in_the_same_plan_is_not_missing() -> None:
    plan = plan_entity(given([("1", rec("Acme", parent="7"))], pending_parents={"parent": {"7"}}))
    assert actions(plan) == {"1": "create"}


def test_a_record_that_cannot_be_mapped_is_invalid_with_its_reasons() -> None:
    bad = Canonical({"name": None}, {}, ("required field 'name' is empty",))
    plan = plan_entity(given([("1", bad)]))
    (item,) = plan.items
    assert (item.action, item.reason) == ("invalid", "required field 'name' is empty")


def test_a_link_whose_target_record_vanished_is_skipped_not_recreated() -> None:
    plan = plan_entity(given([("1", rec("Acme"))], gid_of={"1": "G-1"}, target_of={"G-1": "a1"}))
    (item,) = plan.items
    assert item.action == "skip"
    assert "run reconcile" in item.reason
