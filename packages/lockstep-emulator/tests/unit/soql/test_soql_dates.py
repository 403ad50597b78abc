"""Relative date literals as day ranges, and the literal helpers (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lockstep_emulator.soql.dates import WITH_N, WITHOUT_N, DayRange, day_range
from lockstep_emulator.soql.literals import (
    decode_string,
    encode_string,
    like_pattern,
    parse_datetime_literal,
)

WEDNESDAY = date(2024, 5, 15)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("name", "n", "start", "end"),
    [
        ("TODAY", None, "2024-05-15", "2024-05-16"),
        ("YESTERDAY", None, "2024-05-14", "2024-05-15"),
        ("TOMORROW", None, "2024-05-16", "2024-05-17"),
        ("THIS_WEEK", None, "2024-05-12", "2024-05-19"),
        ("LAST_WEEK", None, "2024-05-05", "2024-05-12"),
        ("NEXT_WEEK", None, "2024-05-19", "2024-05-26"),
        ("THIS_MONTH", None, "2024-05-01", "2024-06-01"),
        ("LAST_MONTH", None, "2024-04-01", "2024-05-01"),
        ("NEXT_MONTH", None, "2024-06-01", "2024-07-01"),
        ("LAST_90_DAYS", None, "2024-02-15", "2024-05-16"),
        ("NEXT_90_DAYS", None, "2024-05-16", "2024-08-14"),
        ("THIS_QUARTER", None, "2024-04-01", "2024-07-01"),
        ("LAST_QUARTER", None, "2024-01-01", "2024-04-01"),
        ("NEXT_QUARTER", None, "2024-07-01", "2024-10-01"),
        ("THIS_YEAR", None, "2024-01-01", "2025-01-01"),
        ("LAST_YEAR", None, "2023-01-01", "2024-01-01"),
        ("NEXT_YEAR", None, "2025-01-01", "2026-01-01"),
        ("THIS_FISCAL_YEAR", None, "2024-01-01", "2025-01-01"),
        ("LAST_FISCAL_QUARTER", None, "2024-01-01", "2024-04-01"),
        ("LAST_N_DAYS", 7, "2024-05-08", "2024-05-16"),
        ("LAST_N_DAYS", 0, "2024-05-15", "2024-05-16"),
        ("NEXT_N_DAYS", 3, "2024-05-16", "2024-05-19"),
        ("N_DAYS_AGO", 3, "2024-05-12", "2024-05-13"),
        ("LAST_N_WEEKS", 2, "2024-04-28", "2024-05-12"),
        ("NEXT_N_WEEKS", 2, "2024-05-19", "2024-06-02"),
        ("N_WEEKS_AGO", 1, "2024-05-05", "2024-05-12"),
        ("LAST_N_MONTHS", 3, "2024-02-01", "2024-05-01"),
        ("NEXT_N_MONTHS", 8, "2024-06-01", "2025-02-01"),
        ("N_MONTHS_AGO", 5, "2023-12-01", "2024-01-01"),
        ("LAST_N_QUARTERS", 2, "2023-10-01", "2024-04-01"),
        ("NEXT_N_QUARTERS", 1, "2024-07-01", "2024-10-01"),
        ("N_QUARTERS_AGO", 2, "2023-10-01", "2024-01-01"),
        ("LAST_N_YEARS", 2, "2022-01-01", "2024-01-01"),
        ("NEXT_N_YEARS", 1, "2025-01-01", "2026-01-01"),
        ("N_YEARS_AGO", 1, "2023-01-01", "2024-01-01"),
        ("LAST_N_FISCAL_YEARS", 1, "2023-01-01", "2024-01-01"),
    ],
)
def test_ranges_on_a_wednesday(name: str, n: int | None, start: str, end: str) -> None:
    assert day_range(name, n, WEDNESDAY) == DayRange(d(start), d(end))


def test_weeks_start_on_sunday() -> None:
    sunday, saturday = date(2024, 5, 12), date(2024, 5, 18)
    assert day_range("THIS_WEEK", None, sunday).start == sunday
    assert day_range("THIS_WEEK", None, saturday) == DayRange(sunday, date(2024, 5, 19))


def test_month_and_year_boundaries() -> None:
    assert day_range("LAST_MONTH", None, date(2024, 1, 31)) == DayRange(
        d("2023-12-01"), d("2024-01-01")
    )
    assert day_range("NEXT_MONTH", None, date(2024, 12, 31)) == DayRange(
        d("2025-01-01"), d("2025-02-01")
    )
    assert day_range("LAST_QUARTER", None, date(2024, 2, 29)) == DayRange(
        d("2023-10-01"), d("2024-01-01")
    )
    assert day_range("YESTERDAY", None, date(2024, 3, 1)) == DayRange(
        d("2024-02-29"), d("2024-03-01")
    )


@pytest.mark.parametrize(
    ("name", "n", "error"),
    [
        ("LAST_N_DAYS", None, ValueError),
        ("TODAY", 3, ValueError),
        ("LAST_N_DAYS", -1, ValueError),
        ("LAST_N_YEARS", 100_000, ValueError),
        ("NEXT_N_DAYS", 10**9, ValueError),
        ("FORTNIGHT", None, KeyError),
    ],
)
def test_bad_literals(name: str, n: int | None, error: type[Exception]) -> None:
    with pytest.raises(error):
        day_range(name, n, WEDNESDAY)


@given(st.dates(date(1000, 1, 1), date(9000, 12, 31)), st.sampled_from(sorted(WITHOUT_N)))
def test_fixed_ranges_are_nonempty_and_whole_days(today: date, name: str) -> None:
    r = day_range(name, None, today)
    assert r.start < r.end


@given(
    st.dates(date(1000, 1, 1), date(9000, 12, 31)),
    st.sampled_from(sorted(WITH_N)),
    st.integers(0, 50),
)
def test_n_ranges_grow_with_n(today: date, name: str, n: int) -> None:
    smaller, larger = day_range(name, n, today), day_range(name, n + 1, today)
    if name.startswith("LAST_N_"):
        assert larger.end == smaller.end and larger.start < smaller.start
    elif name.startswith("NEXT_N_"):
        assert larger.start == smaller.start and larger.end > smaller.end
    else:
        assert larger.end <= smaller.start


def test_today_lies_in_this_and_last_n_days_but_not_next_n_days() -> None:
    for name in ("THIS_WEEK", "THIS_MONTH", "THIS_QUARTER", "THIS_YEAR"):
        r = day_range(name, None, WEDNESDAY)
        assert r.start <= WEDNESDAY < r.end
    last = day_range("LAST_N_DAYS", 5, WEDNESDAY)
    assert last.start <= WEDNESDAY < last.end
    nxt = day_range("NEXT_N_DAYS", 5, WEDNESDAY)
    assert nxt.start > WEDNESDAY


# Literals -----------------------------------------------------------------------------


def test_decode_and_encode_strings() -> None:
    assert decode_string('it\\\'s \\\\ \\n\\t\\r\\b\\f \\"q\\"') == 'it\'s \\ \n\t\r\b\f "q"'
    assert decode_string("50\\%") == "50\\%"
    with pytest.raises(ValueError, match="Illegal character sequence"):
        decode_string("\\x")
    for value in ["plain", "it's", "a\\b", "line\nbreak", "tab\t", "\\%"]:
        assert decode_string(encode_string(value)[1:-1]) == value


@pytest.mark.parametrize(
    ("raw", "pattern"),
    [
        ("a%", "a%"),
        ("a_b", "a_b"),
        ("100\\%", "100\\%"),
        ("a\\_b", "a\\_b"),
        ("back\\\\slash%", "back\\\\slash%"),
        ("it\\'s%", "it's%"),
        ("new\\nline", "new\nline"),
    ],
)
def test_like_patterns(raw: str, pattern: str) -> None:
    assert like_pattern(raw) == pattern


def test_datetime_literals() -> None:
    assert parse_datetime_literal("2024-01-02T03:04:05Z") == datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=UTC
    )
    assert parse_datetime_literal("2024-01-02T03:04:05.123456789+0100") == datetime(
        2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone(timedelta(hours=1))
    )
    assert parse_datetime_literal("2024-01-02T03:04:05.1-01:30").utcoffset() == -timedelta(
        hours=1, minutes=30
    )
    with pytest.raises(ValueError):
        parse_datetime_literal("2024-01-02T25:00:00Z")
    with pytest.raises(ValueError):
        parse_datetime_literal("2024-01-02")
