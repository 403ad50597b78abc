"""Evaluating lock expressions over records, with the few rules the docstring promises."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from lockstep.expr import evaluate, holds, parse

RECORD: dict[str, Any] = {
    "status": "Closed",
    "reopened": False,
    "amount": 250,
    "owner": None,
    "price": Decimal("9.90"),
    "closed_on": date(2024, 3, 1),
    "stamp": datetime(2024, 3, 1, 12, 30),
    "tags": ["a", "b"],
    "contract": {"status": "Fulfilled", "account": {"tier": "gold"}},
    "note": "",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the examples of the brief
        ("contract.status == 'Fulfilled'", True),
        ("status in ['Closed', 'Void'] and not reopened", True),
        ("amount >= 100 or owner == null", True),
        # nested look-ups; a missing step is null
        ("contract.account.tier == 'gold'", True),
        ("contract.account.missing == null", True),
        ("status.deeper == null", True),  # a step into text is null too
        ("nowhere.at.all != null", False),
        # null: == and != work, anything else is false
        ("owner == null", True),
        ("owner != null", False),
        ("null == null", True),
        ("owner < 1", False),
        ("owner >= 1", False),
        ("1 > owner", False),
        ("owner in [1, 2]", False),
        ("owner in [1, null]", True),
        ("owner not in [1]", True),
        ("1 in owner", False),
        ("1 not in owner", False),
        # kinds never mix
        ("amount == '250'", False),
        ("amount != '250'", True),
        ("amount > '100'", False),
        ("true == 1", False),
        ("reopened == 0", False),
        ("reopened == false", True),
        # numbers compare by value across int, float and Decimal
        ("amount == 250.0", True),
        ("price == 9.9", True),
        ("price < 10", True),
        # dates and datetimes compare with ISO text
        ("closed_on == '2024-03-01'", True),
        ("closed_on >= '2024-01-01'", True),
        ("'2025-01-01' > closed_on", True),
        ("closed_on > 'not a date'", False),
        ("stamp < '2024-03-01T13:00:00'", True),
        ("stamp == closed_on", False),
        # text and lists
        ("status < 'D'", True),
        ("'los' in status", True),
        ("'x' not in status", True),
        ("1 in status", False),
        ("tags == ['a', 'b']", True),
        ("tags == ['a']", False),
        ("tags < ['b']", False),
        ("'a' in tags", True),
        # truth of values in and / or / not
        ("not note", True),
        ("not owner", True),
        ("amount and status", True),
        ("note or reopened", False),
    ],
)
def test_evaluate(text: str, expected: bool) -> None:
    assert evaluate(parse(text), RECORD) is expected
    assert holds(parse(text), RECORD) is expected


def test_a_bare_name_or_literal_is_its_value() -> None:
    assert evaluate(parse("contract.account"), RECORD) == {"tier": "gold"}
    assert evaluate(parse("amount"), RECORD) == 250
    assert evaluate(parse("['a', 1, null]"), RECORD) == ["a", 1, None]
    assert holds(parse("amount"), RECORD) is True
    assert holds(parse("owner"), RECORD) is False


def test_and_or_stop_early() -> None:
    calls: list[str] = []

    class Spy(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            calls.append(key)
            return super().get(key, default)

    record = Spy(a=False, b=True)
    assert evaluate(parse("a and b"), record) is False
    assert evaluate(parse("b or a"), record) is True
    assert calls == ["a", "b"]
