"""Relative date literals (``TODAY``, ``LAST_N_DAYS:7``, ``THIS_QUARTER``) as ranges of days.

Every literal names a half-open range ``[start, end)`` of whole days, computed from
"today" in the user's time zone (the emulator's users live in UTC). Comparisons then
work on the range: ``=`` means inside it, ``>`` after its end, ``<`` before its
start. Weeks start on Sunday (the en_US locale) and the fiscal year is the calendar
year, which are Salesforce's defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DayRange:
    """Days ``start`` (inclusive) to ``end`` (exclusive)."""

    start: date
    end: date


def _week_start(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _year_start(day: date) -> date:
    return date(day.year, 1, 1)


def _days(start: date, count: int) -> DayRange:
    return DayRange(start, start + timedelta(days=count))


def _weeks(start: date, count: int) -> DayRange:
    return DayRange(start, start + timedelta(weeks=count))


def _months(start: date, count: int) -> DayRange:
    return DayRange(start, _add_months(start, count))


_FIXED: dict[str, Callable[[date], DayRange]] = {
    "TODAY": lambda t: _days(t, 1),
    "YESTERDAY": lambda t: _days(t - timedelta(days=1), 1),
    "TOMORROW": lambda t: _days(t + timedelta(days=1), 1),
    "THIS_WEEK": lambda t: _weeks(_week_start(t), 1),
    "LAST_WEEK": lambda t: _weeks(_week_start(t) - timedelta(weeks=1), 1),
    "NEXT_WEEK": lambda t: _weeks(_week_start(t) + timedelta(weeks=1), 1),
    "THIS_MONTH": lambda t: _months(_month_start(t), 1),
    "LAST_MONTH": lambda t: _months(_add_months(t, -1), 1),
    "NEXT_MONTH": lambda t: _months(_add_months(t, 1), 1),
    "LAST_90_DAYS": lambda t: _n("LAST_N_DAYS", 90, t),
    "NEXT_90_DAYS": lambda t: _n("NEXT_N_DAYS", 90, t),
    "THIS_QUARTER": lambda t: _months(_quarter_start(t), 3),
    "LAST_QUARTER": lambda t: _months(_add_months(_quarter_start(t), -3), 3),
    "NEXT_QUARTER": lambda t: _months(_add_months(_quarter_start(t), 3), 3),
    "THIS_YEAR": lambda t: _months(_year_start(t), 12),
    "LAST_YEAR": lambda t: _months(_add_months(_year_start(t), -12), 12),
    "NEXT_YEAR": lambda t: _months(_add_months(_year_start(t), 12), 12),
}
_FIXED.update(
    {
        "THIS_FISCAL_QUARTER": _FIXED["THIS_QUARTER"],
        "LAST_FISCAL_QUARTER": _FIXED["LAST_QUARTER"],
        "NEXT_FISCAL_QUARTER": _FIXED["NEXT_QUARTER"],
        "THIS_FISCAL_YEAR": _FIXED["THIS_YEAR"],
        "LAST_FISCAL_YEAR": _FIXED["LAST_YEAR"],
        "NEXT_FISCAL_YEAR": _FIXED["NEXT_YEAR"],
    }
)


def _n(name: str, n: int, t: date) -> DayRange:
    """The ``:n`` literals. ``LAST_N_DAYS`` includes today; the other LAST_N_* end
    where the current week/month/quarter/year begins, and NEXT_N_* start where the
    next one begins."""
    week, month, quarter, year = _week_start(t), _month_start(t), _quarter_start(t), _year_start(t)
    match name:
        case "LAST_N_DAYS":
            return DayRange(t - timedelta(days=n), t + timedelta(days=1))
        case "NEXT_N_DAYS":
            return _days(t + timedelta(days=1), n)
        case "N_DAYS_AGO":
            return _days(t - timedelta(days=n), 1)
        case "LAST_N_WEEKS":
            return DayRange(week - timedelta(weeks=n), week)
        case "NEXT_N_WEEKS":
            return _weeks(week + timedelta(weeks=1), n)
        case "N_WEEKS_AGO":
            return _weeks(week - timedelta(weeks=n), 1)
        case "LAST_N_MONTHS":
            return DayRange(_add_months(month, -n), month)
        case "NEXT_N_MONTHS":
            return _months(_add_months(month, 1), n)
        case "N_MONTHS_AGO":
            return _months(_add_months(month, -n), 1)
        case "LAST_N_QUARTERS" | "LAST_N_FISCAL_QUARTERS":
            return DayRange(_add_months(quarter, -3 * n), quarter)
        case "NEXT_N_QUARTERS" | "NEXT_N_FISCAL_QUARTERS":
            return _months(_add_months(quarter, 3), 3 * n)
        case "N_QUARTERS_AGO" | "N_FISCAL_QUARTERS_AGO":
            return _months(_add_months(quarter, -3 * n), 3)
        case "LAST_N_YEARS" | "LAST_N_FISCAL_YEARS":
            return DayRange(_add_months(year, -12 * n), year)
        case "NEXT_N_YEARS" | "NEXT_N_FISCAL_YEARS":
            return _months(_add_months(year, 12), 12 * n)
        case "N_YEARS_AGO" | "N_FISCAL_YEARS_AGO":
            return _months(_add_months(year, -12 * n), 12)
    raise KeyError(name)


WITH_N = frozenset(
    {
        "LAST_N_DAYS",
        "NEXT_N_DAYS",
        "N_DAYS_AGO",
        "LAST_N_WEEKS",
        "NEXT_N_WEEKS",
        "N_WEEKS_AGO",
        "LAST_N_MONTHS",
        "NEXT_N_MONTHS",
        "N_MONTHS_AGO",
        "LAST_N_QUARTERS",
        "NEXT_N_QUARTERS",
        "N_QUARTERS_AGO",
        "LAST_N_FISCAL_QUARTERS",
        "NEXT_N_FISCAL_QUARTERS",
        "N_FISCAL_QUARTERS_AGO",
        "LAST_N_YEARS",
        "NEXT_N_YEARS",
        "N_YEARS_AGO",
        "LAST_N_FISCAL_YEARS",
        "NEXT_N_FISCAL_YEARS",
        "N_FISCAL_YEARS_AGO",
    }
)
WITHOUT_N = frozenset(_FIXED)


def day_range(name: str, n: int | None, today: date) -> DayRange:
    """The range ``name`` (upper case) names on ``today``.

    Raises ``KeyError`` for an unknown name and ``ValueError`` when ``n`` is missing,
    unexpected, or takes the range outside the calendar.
    """
    if name in WITHOUT_N:
        if n is not None:
            raise ValueError(f"date literal {name} takes no ':n'")
        return _FIXED[name](today)
    if name not in WITH_N:
        raise KeyError(name)
    if n is None or n < 0:
        raise ValueError(f"date literal {name} needs ':n' with a whole number n >= 0")
    try:
        return _n(name, n, today)
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"date literal {name}:{n} is outside the calendar") from exc
