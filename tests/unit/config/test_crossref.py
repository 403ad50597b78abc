"""Cross-reference checks over a validated ``Config``, and the reference graph that the
migrate command orders its work by."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from lockstep.config import Config
from lockstep.config.crossref import Finding, callable_problem, check, import_callable
from lockstep.config.graph import deferred_references, dependency_order, reference_cycles

TOKEN = {"flow": "access_token", "access_token": "t"}
SYSTEMS = {
    "crm": {"kind": "salesforce", "instance_url": "https://x", "auth": TOKEN},
    "app": {"kind": "sql", "url": "sqlite://"},
}


def config(entities: dict[str, Any], **run: Any) -> Config:
    return Config.model_validate({"systems": SYSTEMS, "entities": entities, "run": run})


def entity(*refs: str, **extra: Any) -> dict[str, Any]:
    """A minimal valid entity whose references are ``name:target`` pairs."""
    references = dict(r.split(":") for r in refs)
    return {
        "fields": {"name": "string", "status": "string"},
        "references": references,
        "bindings": {"app": {"table": "t", "fields": {"name": "name"}}},
        "owner": "app",
        **extra,
    }


def test_a_consistent_config_has_no_findings() -> None:
    cfg = config(
        {
            "customer": entity("parent:customer"),
            "contract": entity("account:customer", lock="account.status == 'x'"),
            "usage": entity(
                "contract:contract",
                lock="contract.account.parent.name != null and status in ['a'] and contract",
            ),
        },
        schedules=[{"name": "s", "cron": "@daily", "entities": ["usage"]}],
    )
    assert check(cfg) == []


def test_findings_carry_their_path_and_whether_they_sit_on_the_key() -> None:
    cfg = config(
        {
            "customer": entity(
                bindings={
                    "crm": {"table": "Account", "fields": {"nmae": "Name"}},
                    "erp": {"table": "x", "write_back": {"ids": {"crm": "sf_id"}}},
                },
                owner="crm",
                field_owners={"status": "app", "name": "erp"},
            )
        }
    )
    assert check(cfg) == [
        Finding(
            ("entities", "customer", "bindings", "crm", "table"),
            "'crm' is a Salesforce system: give 'object', not 'table'",
            at_key=True,
        ),
        Finding(
            ("entities", "customer", "bindings", "crm", "fields", "nmae"),
            "'nmae' is neither a field nor a reference of entity 'customer'",
            at_key=True,
        ),
        Finding(
            ("entities", "customer", "bindings", "erp"),
            "unknown system 'erp'; expected one of: crm, app",
            at_key=True,
        ),
        Finding(
            ("entities", "customer", "field_owners", "status"),
            "system 'app' has no binding for entity 'customer'",
        ),
        Finding(
            ("entities", "customer", "field_owners", "name"),
            "unknown system 'erp'; expected one of: crm, app",
        ),
    ]


def test_names_known_to_the_loader_are_not_reported() -> None:
    cfg = config({"contact": entity("account:customer", bindings={"erp": {"table": "x"}})})
    assert [f.message for f in check(cfg)] == [
        "unknown entity 'customer'; expected one of: contact",
        "unknown system 'erp'; expected one of: crm, app",
        "system 'app' has no binding for entity 'contact'",
    ]
    known = check(cfg, systems={"crm": "salesforce", "app": "sql", "erp": None},
                  entities=["customer", "contact"])  # fmt: skip
    assert [f.message for f in known] == ["system 'app' has no binding for entity 'contact'"]


def test_a_reference_may_not_share_a_field_name() -> None:
    cfg = config({"customer": entity("name:customer")})
    assert check(cfg) == [
        Finding(
            ("entities", "customer", "references", "name"),
            "'name' is both a field and a reference of entity 'customer'",
            at_key=True,
        )
    ]


@pytest.mark.parametrize(
    ("kind", "mode", "allowed"),
    [
        ("crm", "triggers", "poll, cdc, none"),
        ("crm", "watermark", "poll, cdc, none"),
        ("app", "poll", "triggers, watermark, none"),
        ("app", "cdc", "triggers, watermark, none"),
    ],
)
def test_capture_modes_belong_to_one_kind_of_system(kind: str, mode: str, allowed: str) -> None:
    target = {"object": "Account"} if kind == "crm" else {"table": "t"}
    capture = {"mode": mode, "column": "ts"}
    cfg = config({"e": entity(bindings={kind: {**target, "capture": capture}}, owner=kind)})
    words = "a Salesforce system" if kind == "crm" else "a SQL system"
    assert [f.message for f in check(cfg)] == [
        f"capture mode '{mode}' is not available for {words}; expected one of: {allowed}"
    ]


def test_none_is_a_capture_mode_for_both() -> None:
    bindings = {
        "crm": {"object": "Account", "capture": {"mode": "none"}},
        "app": {"table": "t", "capture": {"mode": "none"}},
    }
    assert check(config({"e": entity(bindings=bindings)})) == []


NOT_THERE = "unknown name '{}' in the lock: '{}' is neither a field nor a reference of entity '{}'"
NOT_A_REF = "unknown name '{}' in the lock: '{}' is not a reference of entity '{}'"


@pytest.mark.parametrize(
    ("lock", "message"),
    [
        (
            "status = 'x'",
            "invalid lock expression: unexpected character '=' (compare with ==) (at character 8)",
        ),
        ("", "invalid lock expression: the expression is empty"),
        ("stat == 1", NOT_THERE.format("stat", "stat", "usage")),
        ("name.x == 1", NOT_A_REF.format("name.x", "name", "usage")),
        ("contract.nam == 1", NOT_THERE.format("contract.nam", "nam", "contract")),
        ("contract.account.x.y", NOT_A_REF.format("contract.account.x.y", "x", "customer")),
    ],
)
def test_lock_expressions(lock: str, message: str) -> None:
    cfg = config(
        {
            "customer": entity(),
            "contract": entity("account:customer"),
            "usage": entity("contract:contract", lock=lock),
        }
    )
    assert check(cfg) == [Finding(("entities", "usage", "lock"), message)]


def test_a_lock_through_an_unknown_entity_is_reported_once_where_it_is_named() -> None:
    cfg = config({"usage": entity("contract:contrat", lock="contract.anything == 1")})
    assert [f.message for f in check(cfg)] == ["unknown entity 'contrat'; expected one of: usage"]


def test_schedules() -> None:
    cfg = config(
        {"customer": entity()},
        schedules=[
            {"name": "a", "cron": "0 0 * *", "entities": ["customer", "contact"]},
            {"name": "b", "cron": "@daily"},
        ],
    )
    assert check(cfg) == [
        Finding(
            ("run", "schedules", 0, "cron"),
            "invalid cron expression: expected 5 fields (minute hour day-of-month month "
            "day-of-week), got 4",
        ),
        Finding(
            ("run", "schedules", 0, "entities", 1),
            "unknown entity 'contact'; expected one of: customer",
        ),
    ]


def test_transforms_must_import_and_be_callable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lockstep_test_broken_module.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lockstep_test_broken_module", raising=False)
    assert import_callable("string:capwords")("acme corp") == "Acme Corp"
    assert callable_problem("string:capwords") is None
    assert callable_problem("string:digits") == "'string:digits' is not callable"
    assert callable_problem("string:nope") == (
        "cannot import 'string:nope': module 'string' has no attribute 'nope'"
    )
    assert callable_problem("no_such_pkg.mod:f") == (
        "cannot import 'no_such_pkg.mod:f': No module named 'no_such_pkg'"
    )
    assert callable_problem("lockstep_test_broken_module:f") == (
        "cannot import 'lockstep_test_broken_module:f': RuntimeError: boom"
    )


# -- the reference graph ------------------------------------------------------------------


def graph(**refs: str) -> Config:
    """Entities named by the keywords, each referring to the space-separated names."""
    return config(
        {
            name: entity(*(f"r{i}:{t}" for i, t in enumerate(targets.split())))
            for name, targets in refs.items()
        }
    )


def test_no_references_sorts_by_name() -> None:
    cfg = graph(usage="", contract="", customer="")
    assert dependency_order(cfg) == ["contract", "customer", "usage"]
    assert reference_cycles(cfg) == [] and deferred_references(cfg) == []


def test_parents_come_first_and_ties_go_by_name() -> None:
    cfg = graph(usage="contract", contract="customer", customer="", asset="customer", zone="")
    assert dependency_order(cfg) == ["customer", "asset", "contract", "usage", "zone"]


def test_a_self_reference_is_a_cycle_that_does_not_block_the_order() -> None:
    cfg = graph(customer="customer", contact="customer")
    assert reference_cycles(cfg) == [("customer",)]
    assert deferred_references(cfg) == [("customer", "r0")]
    assert dependency_order(cfg) == ["customer", "contact"]


def test_a_longer_cycle() -> None:
    cfg = graph(a="b", b="c", c="a", d="c")
    assert reference_cycles(cfg) == [("a", "b", "c")]
    assert deferred_references(cfg) == [("c", "r0")]  # the edge that closes a -> b -> c
    assert dependency_order(cfg) == ["c", "b", "a", "d"]


def test_several_cycles_and_unknown_targets() -> None:
    cfg = graph(a="b a", b="a", c="nowhere")
    assert reference_cycles(cfg) == [("a",), ("a", "b")]
    assert deferred_references(cfg) == [("a", "r1"), ("b", "r0")]
    assert dependency_order(cfg) == ["b", "a", "c"]


def test_every_entity_appears_once_whatever_the_cycles() -> None:
    cfg = graph(a="b c", b="c a", c="a b", d="d a")
    order = dependency_order(cfg)
    assert sorted(order) == ["a", "b", "c", "d"]
    assert reference_cycles(cfg) == [
        ("a", "b"),
        ("a", "b", "c"),
        ("a", "c"),
        ("a", "c", "b"),
        ("b", "c"),
        ("d",),
    ]
