"""Fault rules: a bad rule names the field at fault; the engine decides deterministically."""

from __future__ import annotations

from typing import Any

import pytest
from lockstep_emulator import ids
from lockstep_emulator.api.admin.http import problems_of
from lockstep_emulator.faults import FaultEngine, FaultPlan, request_facts
from lockstep_emulator.faults.facts import body_objects, record_id_in
from lockstep_emulator.faults.rules import HttpError, Latency
from pydantic import ValidationError

ACCOUNTS = "/services/data/v59.0/sobjects/Account/"


def problems(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        FaultPlan.model_validate(data)
    return [(p.field, p.message) for p in problems_of(caught.value)]


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        ({"kind": "http_error", "status": 200}, "rules[0].status", "greater than or equal to 400"),
        ({"kind": "http_error"}, "rules[0].status", "missing"),
        (
            {"kind": "http_error", "status": 500, "error_code": "no spaces"},
            "rules[0].error_code",
            "",
        ),
        ({"kind": "latency", "ms": 0}, "rules[0].ms", "greater than or equal to 1"),
        ({"kind": "boom"}, "rules[0].kind", "unknown kind 'boom'; expected one of: http_error"),
        ({"status": 500}, "rules[0].kind", "every rule needs a kind"),
        ({"kind": "hang", "probability": 1.5}, "rules[0].probability", "less than or equal to 1"),
        ({"kind": "hang", "count": 0}, "rules[0].count", "greater than or equal to 1"),
        ({"kind": "hang", "skip": -1}, "rules[0].skip", "greater than or equal to 0"),
        ({"kind": "hang", "tries": 2}, "rules[0].tries", "unknown field"),
        ({"kind": "hang", "match": {"method": "FETCH"}}, "rules[0].match.method", "FETCH"),
        ({"kind": "hang", "match": {"path": "("}}, "rules[0].match.path", "not a regular"),
        ({"kind": "hang", "match": {"objekt": "A"}}, "rules[0].match.objekt", "unknown field"),
    ],
)
def test_a_bad_rule_names_the_field_at_fault(rule: dict[str, Any], field: str, words: str) -> None:
    found = problems({"rules": [{"kind": "hang"}, rule]})
    assert [f for f, _ in found] == [field.replace("[0]", "[1]")]
    assert words in found[0][1]


def test_every_problem_is_reported_at_once() -> None:
    found = problems({"seed": -1, "rules": [{"kind": "latency"}, {"kind": "nope"}], "x": 1})
    assert {f for f, _ in found} == {"seed", "rules[0].ms", "rules[1].kind", "x"}


def test_kinds_and_methods_are_accepted_in_any_case() -> None:
    plan = FaultPlan.model_validate(
        {"rules": [{"kind": "UNABLE_TO_LOCK_ROW", "match": {"method": "patch"}}]}
    )
    assert plan.rules[0].kind == "unable_to_lock_row"
    assert plan.rules[0].match.method == "PATCH"


def fire_pattern(plan: FaultPlan, n: int = 40) -> list[bool]:
    engine = FaultEngine()
    engine.install(plan)
    facts = request_facts("GET", "/services/data/v59.0/limits", b"")
    return [bool(engine.decide(facts)) for _ in range(n)]


def test_the_same_seed_gives_the_same_faults() -> None:
    rules = [{"kind": "http_error", "status": 503, "probability": 0.5}]
    first = fire_pattern(FaultPlan.model_validate({"rules": rules, "seed": 7}))
    again = fire_pattern(FaultPlan.model_validate({"rules": rules, "seed": 7}))
    other = fire_pattern(FaultPlan.model_validate({"rules": rules, "seed": 8}))
    assert first == again != other
    assert 8 < sum(first) < 32


def test_count_and_skip_bound_how_often_a_rule_fires() -> None:
    plan = FaultPlan.model_validate({"rules": [{"kind": "hang", "count": 2, "skip": 1}]})
    assert fire_pattern(plan, 6) == [False, True, True, False, False, False]


def test_latency_adds_up_and_the_first_other_rule_decides() -> None:
    engine = FaultEngine()
    engine.install(
        FaultPlan.model_validate(
            {
                "rules": [
                    {"kind": "latency", "ms": 5},
                    {"kind": "http_error", "status": 500, "match": {"method": "POST"}},
                    {"kind": "latency", "ms": 7},
                    {"kind": "query_timeout"},
                    {"kind": "hang"},
                ]
            }
        )
    )
    fired = engine.decide(request_facts("GET", "/services/data/v59.0/query", b"q=x"))
    assert [r.kind for r in fired] == ["latency", "latency", "query_timeout"]
    assert isinstance(fired[0], Latency) and fired[0].ms == 5
    fired = engine.decide(request_facts("POST", ACCOUNTS, b""))
    assert [r.kind for r in fired] == ["latency", "http_error"]
    assert isinstance(fired[1], HttpError)
    listing = engine.listing()
    assert [(r["matched"], r["fired"]) for r in listing["rules"]] == [
        (2, 2), (1, 1), (1, 1), (1, 1), (0, 0),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "query", "objects"),
    [
        ("POST", ACCOUNTS, b"", {"account"}),
        (
            "PATCH",
            "/services/data/v59.0/composite/sobjects/Contact/External_Id__c",
            b"",
            {"contact"},
        ),
        ("GET", "/services/data/v59.0/query/", b"q=SELECT+Id+FROM+Case+WHERE+x=1", {"case"}),
        ("GET", "/services/data/v59.0/limits/", b"", set()),
    ],
)
def test_objects_are_found_in_the_path_and_the_query(
    method: str, path: str, query: bytes, objects: set[str]
) -> None:
    assert request_facts(method, path, query).objects == objects


def test_objects_are_found_in_job_and_collection_bodies() -> None:
    assert body_objects(b'{"object": "Account", "operation": "insert"}') == {"account"}
    assert body_objects(b'{"operation": "query", "query": "SELECT Id FROM Lead"}') == {"lead"}
    records = (
        b'{"records": [{"attributes": {"type": "Contact"}}, {"attributes": {"type": "Case"}}]}'
    )
    assert body_objects(records) == {"contact", "case"}
    assert body_objects(b"<jobInfo><object>Account</object></jobInfo>") == {"account"}
    assert body_objects(b"not json") == frozenset()


def test_the_body_is_read_only_when_an_object_rule_needs_it() -> None:
    engine = FaultEngine()
    jobs = request_facts("POST", "/services/data/v59.0/jobs/ingest", b"")
    assert not engine.wants_body(jobs)
    engine.install(FaultPlan.model_validate({"rules": [{"kind": "hang"}]}))
    assert not engine.wants_body(jobs)
    engine.install(
        FaultPlan.model_validate({"rules": [{"kind": "hang", "match": {"object": "A"}}]})
    )
    assert engine.wants_body(jobs)
    assert not engine.wants_body(request_facts("POST", ACCOUNTS, b""))  # the path says it


def test_the_locked_record_is_named_from_the_path_or_the_body() -> None:
    rid = ids.make_id("001", "AB", 1)
    assert record_id_in(f"/services/data/v59.0/sobjects/Account/{rid[:15]}", b"") == rid
    body = b'{"LastName": "x", "AccountId": "%s"}' % rid.encode()
    assert record_id_in("/services/data/v59.0/sobjects/Contact/", body) == rid
    assert (
        record_id_in("/services/data/v59.0/sobjects/Contact/", b'{"Name": "ABCDEFGHIJKLMNOPQR"}')
        is None
    )
