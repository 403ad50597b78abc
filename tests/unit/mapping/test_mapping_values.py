"""``coerce`` and ``same``: the canonical values, as tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lockstep.core.shapes import KINDS, Kind
from lockstep.mapping.errors import MappingError
from lockstep.mapping.values import coerce, same

T = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))

COERCIONS: list[tuple[Any, Kind, Any]] = [
    # string, text
    ("abc", "string", "abc"),
    ("", "string", ""),
    (17, "string", "17"),
    (True, "string", "true"),
    (Decimal("12.50"), "string", "12.50"),
    (Decimal("1E+1"), "string", "10"),
    (12.0, "string", "12"),
    (0.1, "string", "0.1"),
    (date(2026, 1, 2), "text", "2026-01-02"),
    (T, "text", "2026-01-02T03:04:05+00:00"),
    # id
    ("001A", "id", "001A"),
    (17, "id", "17"),
    (Decimal("17"), "id", "17"),
    ("", "id", None),
    # integer
    (12, "integer", 12),
    ("12", "integer", 12),
    (" 12 ", "integer", 12),
    ("12.0", "integer", 12),
    ("1e3", "integer", 1000),
    (12.0, "integer", 12),
    (Decimal("12.00"), "integer", 12),
    (True, "integer", 1),
    ("", "integer", None),
    # decimal
    (Decimal("1.50"), "decimal", Decimal("1.50")),
    (0.1, "decimal", Decimal("0.1")),
    (3, "decimal", Decimal(3)),
    (" 2.25 ", "decimal", Decimal("2.25")),
    ("", "decimal", None),
    # float
    (1.5, "float", 1.5),
    (2, "float", 2.0),
    (Decimal("0.25"), "float", 0.25),
    ("1.5", "float", 1.5),
    # boolean
    (True, "boolean", True),
    (0, "boolean", False),
    (1, "boolean", True),
    ("true", "boolean", True),
    ("FALSE", "boolean", False),
    ("1", "boolean", True),
    ("0", "boolean", False),
    ("Yes", "boolean", True),
    ("no", "boolean", False),
    ("t", "boolean", True),
    ("", "boolean", None),
    # date
    (date(2026, 1, 2), "date", date(2026, 1, 2)),
    (T, "date", date(2026, 1, 2)),
    ("2026-01-02", "date", date(2026, 1, 2)),
    ("2026-01-02T03:04:05.000+0000", "date", date(2026, 1, 2)),
    # datetime
    (T, "datetime", T),
    (datetime(2026, 1, 2, 3, 4, 5), "datetime", T),
    (datetime(2026, 1, 2, 4, 4, 5, tzinfo=PARIS), "datetime", T),
    ("2026-01-02T03:04:05.000+0000", "datetime", T),
    ("2026-01-02T03:04:05Z", "datetime", T),
    ("2026-01-02T04:04:05+01:00", "datetime", T),
    ("2026-01-02 03:04:05", "datetime", T),
    (date(2026, 1, 2), "datetime", datetime(2026, 1, 2, tzinfo=UTC)),
]


@pytest.mark.parametrize(("value", "kind", "expected"), COERCIONS)
def test_coerce(value: Any, kind: Kind, expected: Any) -> None:
    got = coerce(value, kind)
    assert got == expected
    assert type(got) is type(expected)


def test_coerced_datetimes_are_utc() -> None:
    got = coerce("2026-01-02T04:04:05+01:00", "datetime")
    assert got.tzinfo is UTC


@pytest.mark.parametrize("kind", KINDS)
def test_none_stays_none(kind: Kind) -> None:
    assert coerce(None, kind) is None


REFUSALS: list[tuple[Any, Kind, str]] = [
    ("abc", "integer", "'abc' (str) as integer"),
    (1.5, "integer", "1.5 (float) as integer without losing its fraction"),
    ("12.5", "integer", "'12.5' (str) as integer without losing its fraction"),
    ("x", "decimal", "'x' (str) as decimal"),
    (float("nan"), "decimal", "nan (float) as decimal"),
    ("inf", "float", "'inf' (str) as float"),
    (True, "decimal", "True (bool) as decimal"),
    ("maybe", "boolean", "'maybe' (str) as boolean"),
    (2, "boolean", "2 (int) as boolean"),
    ("02/01/2026", "date", "'02/01/2026' (str) as date"),
    ("soon", "datetime", "'soon' (str) as datetime"),
    ([1], "string", "[1] (list) as string"),
    (1.5, "id", "1.5 (float) as id"),
]


@pytest.mark.parametrize(("value", "kind", "message"), REFUSALS)
def test_coerce_refuses_naming_the_value_and_its_type(value: Any, kind: Kind, message: str) -> None:
    with pytest.raises(MappingError) as caught:
        coerce(value, kind)
    assert str(caught.value) == f"cannot read {message}"


SAME: list[tuple[Any, Any, Kind]] = [
    (Decimal("1.0"), Decimal("1.00"), "decimal"),
    (Decimal("1.5"), 1.5, "decimal"),
    (Decimal("1"), 1, "integer"),
    (1, 1.0, "integer"),
    (Decimal("0.3"), 0.1 + 0.2, "decimal"),
    (0.1 + 0.2, 0.3, "float"),
    (Decimal("1234567890.12"), 1234567890.12, "decimal"),
    ("12", 12, "integer"),
    (None, None, "decimal"),
    ("", None, "string"),
    (None, "", "text"),
    ("abc", "abc", "string"),
    ("", None, "id"),
    ("001000000000001", "001000000000001AAA", "id"),
    (17, "17", "id"),
    (None, False, "boolean"),
    ("true", True, "boolean"),
    (date(2026, 1, 2), "2026-01-02", "date"),
    (T.replace(microsecond=123456), T.replace(microsecond=123000), "datetime"),
    (T, "2026-01-02T03:04:05.000+0000", "datetime"),
    (datetime(2026, 1, 2, 4, 4, 5, tzinfo=PARIS), T, "datetime"),
    (T.replace(microsecond=1900), T.replace(microsecond=1100), "datetime"),
]

DIFFERENT: list[tuple[Any, Any, Kind]] = [
    (Decimal("1.0"), Decimal("1.01"), "decimal"),
    (Decimal("0.3000000001"), 0.1 + 0.2, "decimal"),
    (Decimal("0"), None, "decimal"),
    (1, 2, "integer"),
    ("abc", "ABC", "string"),
    (" ", None, "string"),
    ("001000000000001", "001000000000002AAA", "id"),
    (True, False, "boolean"),
    (True, None, "boolean"),
    (date(2026, 1, 2), date(2026, 1, 3), "date"),
    (T.replace(microsecond=123000), T.replace(microsecond=124000), "datetime"),
    (T.replace(microsecond=1900), T.replace(microsecond=2100), "datetime"),
    (T, None, "datetime"),
]


@pytest.mark.parametrize(("a", "b", "kind"), SAME)
def test_same(a: Any, b: Any, kind: Kind) -> None:
    assert same(a, b, kind)
    assert same(b, a, kind)


@pytest.mark.parametrize(("a", "b", "kind"), DIFFERENT)
def test_different(a: Any, b: Any, kind: Kind) -> None:
    assert not same(a, b, kind)
    assert not same(b, a, kind)


def test_same_falls_back_to_equality_for_values_of_another_kind() -> None:
    assert same("n/a", "n/a", "integer")
    assert not same("n/a", 1, "integer")


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, UTC, PARIS])),
)


@given(SCALARS, st.sampled_from(KINDS))
def test_coercion_is_idempotent_and_same_as_its_input(value: Any, kind: Kind) -> None:
    try:
        once = coerce(value, kind)
    except MappingError:
        return
    assert coerce(once, kind) == once
    assert same(once, coerce(once, kind), kind)


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, max_value=10**9, min_value=-(10**9)
    )
)
def test_a_decimal_is_the_same_as_its_float(value: Decimal) -> None:
    assert same(value, float(value), "decimal")
