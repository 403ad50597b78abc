"""Five-field cron expressions: what each parses to, what is refused, and when it fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lockstep.config.cron import CronError, is_valid, next_after, parse


def test_fields_lists_ranges_steps_and_names() -> None:
    cron = parse("0,30 9-17/4 */10 jan,JUL-sep mon-fri")
    assert cron.minutes == {0, 30}
    assert cron.hours == {9, 13, 17}
    assert cron.days == {1, 11, 21, 31}
    assert cron.months == {1, 7, 8, 9}
    assert cron.weekdays == {1, 2, 3, 4, 5}
    assert cron.any_day and not cron.any_weekday


def test_sunday_is_0_or_7_and_a_start_with_a_step_runs_to_the_end() -> None:
    assert parse("* * * * 7").weekdays == {0}
    assert parse("* * * * 5-7").weekdays == {5, 6, 0}
    assert parse("10/20 * * * *").minutes == {10, 30, 50}


@pytest.mark.parametrize(
    ("macro", "same_as"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@HOURLY", "0 * * * *"),
    ],
)
def test_macros(macro: str, same_as: str) -> None:
    assert parse(macro) == parse(same_as)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"),
        ("", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"),
        ("60 * * * *", "minute: 60 is out of range 0-59"),
        ("* 24 * * *", "hour: 24 is out of range 0-23"),
        ("* * 0 * *", "day-of-month: 0 is out of range 1-31"),
        ("* * * 13 *", "month: 13 is out of range 1-12"),
        ("* * * * 8", "day-of-week: 8 is out of range 0-7"),
        (
            "* * * jna *",
            "month: 'jna' is neither a number nor a name (jan, feb, mar, apr, may, jun, jul, "
            "aug, sep, oct, nov, dec)",
        ),
        ("x * * * *", "minute: 'x' is not a number"),
        ("*/0 * * * *", "minute: the step in '*/0' must be a number of 1 or more"),
        ("*/x * * * *", "minute: the step in '*/x' must be a number of 1 or more"),
        ("30-10 * * * *", "minute: the range '30-10' runs backwards"),
        ("* * * * fri-mon", "day-of-week: the range 'fri-mon' runs backwards"),
        ("1,,2 * * * *", "minute: an empty item in the list '1,,2'"),
        ("-5 * * * *", "minute: '-5' is missing a number"),
        ("1- * * * *", "minute: '1-' is missing a number"),
        (
            "@reboot",
            "unknown shorthand '@reboot'; expected one of: @yearly, @annually, @monthly, "
            "@weekly, @daily, @midnight, @hourly",
        ),
        (
            "0 0 30 2 *",
            "never fires: the day of the month does not occur in the months given",
        ),
        ("0 0 31 4,6 *", "never fires: the day of the month does not occur in the months given"),
    ],
)
def test_errors(expression: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        parse(expression)
    assert str(caught.value) == message
    assert not is_valid(expression)


T0 = datetime(2024, 3, 1, 12, 7, 30)  # a Friday


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/5 * * * *", T0, datetime(2024, 3, 1, 12, 10)),
        ("* * * * *", T0, datetime(2024, 3, 1, 12, 8)),
        ("7 12 * * *", T0, datetime(2024, 3, 2, 12, 7)),  # strictly after
        ("0 2 * * mon-fri", T0, datetime(2024, 3, 4, 2, 0)),  # over the weekend
        ("@weekly", T0, datetime(2024, 3, 3, 0, 0)),
        ("0 0 1 * *", datetime(2024, 12, 15), datetime(2025, 1, 1)),  # into the next year
        ("0 0 29 2 *", T0, datetime(2028, 2, 29)),  # the next leap day
        ("0 0 31 * *", datetime(2024, 4, 1), datetime(2024, 5, 31)),  # April has 30 days
        ("0 0 13 * fri", T0, datetime(2024, 3, 8)),  # both restricted: either matches
        ("0 0 13 * fri", datetime(2024, 3, 9), datetime(2024, 3, 13)),
        ("0 0 */2 * fri", T0, datetime(2024, 3, 15)),  # dom starts with *: both must
        ("30 9-17/4 * * *", T0, datetime(2024, 3, 1, 13, 30)),
    ],
)
def test_next_after(expression: str, after: datetime, expected: datetime) -> None:
    assert next_after(expression, after) == expected
    assert parse(expression).matches(expected)


def test_next_after_keeps_the_time_zone_and_takes_a_parsed_expression() -> None:
    tz = timezone(timedelta(hours=2))
    found = next_after(parse("0 9 * * *"), datetime(2024, 3, 1, 9, 0, tzinfo=tz))
    assert found == datetime(2024, 3, 2, 9, 0, tzinfo=tz) and found.tzinfo is tz
    assert next_after("0 * * * *", datetime(2024, 1, 1, 0, 59, 59, 999, tzinfo=UTC)) == (
        datetime(2024, 1, 1, 1, 0, tzinfo=UTC)
    )
