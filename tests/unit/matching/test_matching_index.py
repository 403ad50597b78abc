"""Rule keys, the match index and duplicates inside one side."""

from __future__ import annotations

from typing import Any

import pytest

from lockstep.config.entities import MatchRule
from lockstep.matching.index import Match, MatchIndex, key_of, rule_label, source_duplicates

EMAIL = MatchRule(fields=["email"], normalize=["email"])
NAME_CITY = MatchRule(fields=["name", "city"], normalize=["case", "whitespace"])
PHONE = MatchRule(fields=["phone"])
RULES = [EMAIL, NAME_CITY]

RECORDS: list[tuple[str, dict[str, Any]]] = [
    ("a1", {"email": "ann@example.com", "name": "Ann Lee", "city": "Oslo"}),
    ("a2", {"email": "bob@example.com", "name": "Bob Roe", "city": "Rome"}),
    ("a3", {"email": None, "name": "Bob  Roe", "city": "ROME"}),
    ("a4", {"email": "cy@example.com", "name": "Cy", "city": None}),
]


def test_rule_label() -> None:
    assert rule_label(NAME_CITY) == "name+city (case, whitespace)"
    assert rule_label(PHONE) == "phone"


def test_key_of() -> None:
    assert key_of(EMAIL, {"email": " Ann@Example.com"}) == "ann@example.com"
    assert key_of(NAME_CITY, {"name": " Ann  Lee", "city": "OSLO"}) == "ann lee|oslo"
    assert key_of(NAME_CITY, {"name": "Ann", "city": ""}) is None
    assert key_of(NAME_CITY, {"name": "Ann"}) is None


def test_keys_of_several_fields_are_unambiguous() -> None:
    one = key_of(NAME_CITY, {"name": "a|b", "city": "c"})
    other = key_of(NAME_CITY, {"name": "a", "city": "b|c"})
    assert one == "a\\|b|c"
    assert one != other


@pytest.fixture
def index() -> MatchIndex:
    return MatchIndex.build(RULES, RECORDS)


def test_find_one(index: MatchIndex) -> None:
    assert index.find({"email": "ANN@example.com "}) == Match(
        "one", "email (email)", "ann@example.com", ("a1",)
    )


def test_find_many(index: MatchIndex) -> None:
    assert index.find({"name": "bob roe", "city": "rome"}) == Match(
        "many", "name+city (case, whitespace)", "bob roe|rome", ("a2", "a3")
    )


def test_find_none(index: MatchIndex) -> None:
    assert index.find({"email": "zed@example.com", "name": "Zed"}) == Match("none")
    assert index.find({}).kind == "none"


def test_the_first_rule_with_a_candidate_decides(index: MatchIndex) -> None:
    found = index.find({"email": "bob@example.com", "name": "Bob Roe", "city": "Rome"})
    assert found == Match("one", "email (email)", "bob@example.com", ("a2",))
    found = index.find({"email": "new@example.com", "name": "Ann Lee", "city": "oslo"})
    assert found == Match("one", "name+city (case, whitespace)", "ann lee|oslo", ("a1",))


def test_records_without_a_key_are_not_indexed_under_that_rule(index: MatchIndex) -> None:
    assert index.find({"name": "Cy", "city": None}).kind == "none"


def test_add_and_an_id_given_twice_counts_once(index: MatchIndex) -> None:
    index.add("a1", {"email": "ann@example.com"})
    assert index.find({"email": "ann@example.com"}).ids == ("a1",)
    index.add("a9", {"email": "ann@example.com"})
    assert index.find({"email": "ann@example.com"}).ids == ("a1", "a9")


def test_source_duplicates() -> None:
    records = [
        *RECORDS,
        ("a5", {"email": "Ann@Example.com", "name": "Ann Lee", "city": "Oslo"}),
        ("a6", {"email": "ann@example.com", "name": "Ann", "city": "Bergen"}),
    ]
    assert source_duplicates(RULES, records) == [
        ("email (email)", "ann@example.com", ("a1", "a5", "a6")),
        ("name+city (case, whitespace)", "ann lee|oslo", ("a1", "a5")),
        ("name+city (case, whitespace)", "bob roe|rome", ("a2", "a3")),
    ]


def test_no_rules_no_matches() -> None:
    assert MatchIndex.build([], RECORDS).find(RECORDS[0][1]) == Match("none")
    assert source_duplicates([], RECORDS) == []


def test_a_large_index() -> None:
    records = [(str(i), {"email": f"user{i % 50_000}@example.com"}) for i in range(100_000)]
    groups = source_duplicates([EMAIL], records)
    assert len(groups) == 50_000
    assert groups[0] == ("email (email)", "user0@example.com", ("0", "50000"))
    index = MatchIndex.build([EMAIL], records)
    assert index.find({"email": "USER7@example.com"}).ids == ("7", "50007")
