"""Migration order: parents first; self-references and cycle-closing lookups deferred."""

from __future__ import annotations

from typing import Any

from lockstep.config.models import Config
from lockstep.runs.scope import Step, migration_steps


def config(references: dict[str, dict[str, str]]) -> Config:
    def entity(name: str) -> dict[str, Any]:
        return {
            "fields": {"name": "string"},
            "references": references.get(name, {}),
            "owner": "app",
            "bindings": {"app": {"table": name, "fields": {"name": "name"}}},
        }

    names = sorted({*references, *(e for refs in references.values() for e in refs.values())})
    return Config.model_validate(
        {
            "systems": {"app": {"kind": "sql", "url": "sqlite://"}},
            "entities": {name: entity(name) for name in names},
        }
    )


def test_parents_come_first_and_nothing_is_deferred_without_a_cycle() -> None:
    steps = migration_steps(
        config(
            {
                "contact": {"account": "account"},
                "usage": {"c": "contract"},
                "contract": {"account": "account"},
            }
        )
    )
    names = [s.entity for s in steps]
    assert names.index("account") < names.index("contact")
    assert names.index("account") < names.index("contract") < names.index("usage")
    assert all(s.deferred == frozenset() for s in steps)


def test_a_self_reference_is_deferred() -> None:
    steps = migration_steps(config({"account": {"parent": "account"}}))
    assert steps == [Step("account", frozenset({"parent"}))]


def test_a_cycle_defers_exactly_one_edge() -> None:
    steps = migration_steps(config({"a": {"b_ref": "b"}, "b": {"a_ref": "a"}}))
    deferred = [(s.entity, ref) for s in steps for ref in s.deferred]
    assert len(deferred) == 1
    first, _ = (s.entity for s in steps)
    assert deferred[0][0] == first  # the first one's lookup waits for the second


def test_only_keeps_the_order_and_the_deferrals() -> None:
    cfg = config({"contact": {"account": "account", "boss": "contact"}})
    assert migration_steps(cfg, ["contact"]) == [Step("contact", frozenset({"boss"}))]
