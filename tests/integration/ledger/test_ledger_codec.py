"""The ledger's JSON codec and fingerprint (pure functions; kept beside the ledger tests
they serve)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lockstep.core import codec
from lockstep.core.codec import fingerprint

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.decimals(allow_nan=False),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])),
)
records = st.dictionaries(st.text(), scalars)


@given(records)
def test_values_round_trip_with_their_types(values: dict[str, Any]) -> None:
    back = codec.loads(codec.dumps(values))
    assert back == values
    for key, value in values.items():
        assert type(back[key]) is type(value)
        if isinstance(value, Decimal):
            assert str(back[key]) == str(value)
        if isinstance(value, datetime):
            assert back[key].utcoffset() == value.utcoffset()


@pytest.mark.parametrize(
    "value",
    [
        float("inf"),
        -float("inf"),
        2**70,
        -(2**64),
        Decimal("1.500"),
        Decimal("-0"),
        {"$date": "not a date"},
        {"$map": {"x": 1}},
        {"nested": [1, Decimal("2.5"), {"d": date(2026, 1, 2)}]},
        [],
        "",
    ],
)
def test_awkward_values_round_trip(value: Any) -> None:
    assert codec.loads(codec.dumps(value)) == value


def test_nan_round_trips() -> None:
    back = codec.loads(codec.dumps({"x": float("nan")}))
    assert back["x"] != back["x"]


def test_the_encoding_is_plain_json_with_tags() -> None:
    text = codec.dumps({"n": Decimal("1.50"), "d": date(2026, 1, 2), "s": "x"})
    assert text == '{"n":{"$decimal":"1.50"},"d":{"$date":"2026-01-02"},"s":"x"}'


@pytest.mark.parametrize("bad", [datetime(2026, 1, 2, 3, 4), object(), {1: "x"}, b"bytes"])
def test_what_the_ledger_cannot_store_is_refused(bad: Any) -> None:
    with pytest.raises(TypeError):
        codec.dumps({"x": bad})


@given(records)
def test_fingerprint_ignores_key_order(values: dict[str, Any]) -> None:
    assert fingerprint(values) == fingerprint(dict(reversed(list(values.items()))))


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (Decimal("1.0"), Decimal("1.00")),
        (Decimal("1.50"), 1.5),
        (Decimal("10"), Decimal("1E+1")),
        (1, 1.0),
        (Decimal("0.00"), Decimal("-0")),
        (0.1, Decimal("0.1")),
        (
            datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
            datetime(2026, 1, 1, 22, 0, tzinfo=timezone(timedelta(hours=-5))),
        ),
    ],
)
def test_fingerprint_treats_equal_values_as_equal(left: Any, right: Any) -> None:
    assert fingerprint({"x": left}) == fingerprint({"x": right})


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (1, True),
        (0, False),
        (0, None),
        ("1", 1),
        ("", None),
        (date(2026, 1, 2), "2026-01-02"),
        (date(2026, 1, 2), datetime(2026, 1, 2, tzinfo=UTC)),
        (Decimal("1.1"), Decimal("1.01")),
        ([1, 2], [2, 1]),
    ],
)
def test_fingerprint_tells_different_values_apart(left: Any, right: Any) -> None:
    assert fingerprint({"x": left}) != fingerprint({"x": right})


def test_fingerprint_tells_a_missing_field_from_a_null_one() -> None:
    assert fingerprint({"a": 1}) != fingerprint({"a": 1, "b": None})


def test_fingerprint_is_a_sha256_hex_digest_and_stable() -> None:
    assert fingerprint({"name": "Ada", "n": Decimal("1.50")}) == fingerprint(
        {"n": 1.5, "name": "Ada"}
    )
    assert len(fingerprint({})) == 64
