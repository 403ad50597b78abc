"""Five-field cron expressions: parse, check, and find the next time one fires.

``minute hour day-of-month month day-of-week``, each ``*``, a number or name, a range
``a-b``, a step ``*/n``, ``a-b/n`` or ``a/n`` (from ``a`` to the end), or a list of
these separated by commas. Months and weekdays may be named (``jan``, ``mon``, any
case); Sunday is 0 or 7. ``@yearly`` (``@annually``), ``@monthly``, ``@weekly``,
``@daily`` (``@midnight``) and ``@hourly`` stand for the usual expressions.

As in Vixie cron, when both day fields are restricted (neither starts with ``*``), a
day matches if *either* matches; otherwise both must.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
SEARCH_YEARS = 10  # leap days under a weekday rule recur within this span


class CronError(ValueError):
    """A cron expression that cannot be used."""


@dataclass(frozen=True)
class _Spec:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    first_name: int = 0  # the number of names[0]


_FIELDS = (
    _Spec("minute", 0, 59),
    _Spec("hour", 0, 23),
    _Spec("day-of-month", 1, 31),
    _Spec("month", 1, 12, MONTHS, 1),
    _Spec("day-of-week", 0, 7, WEEKDAYS, 0),
)


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the allowed values of each field (weekdays 0-6, Sunday 0)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool  # day-of-month starts with '*'
    any_weekday: bool  # day-of-week starts with '*'

    def day_matches(self, when: datetime) -> bool:
        in_days = when.day in self.days
        in_weekdays = (when.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_days and in_weekdays
        return in_days or in_weekdays

    def matches(self, when: datetime) -> bool:
        """Whether the expression fires in the minute of ``when``."""
        return (
            when.minute in self.minutes
            and when.hour in self.hours
            and when.month in self.months
            and self.day_matches(when)
        )


def parse(expression: str) -> Cron:
    """The expression's allowed values; ``CronError`` saying what is wrong."""
    text = expression.strip()
    if text.startswith("@"):
        if text.lower() not in MACROS:
            raise CronError(f"unknown shorthand '{text}'; expected one of: {', '.join(MACROS)}")
        text = MACROS[text.lower()]
    parts = text.split()
    if len(parts) != len(_FIELDS):
        raise CronError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}"
        )
    minutes, hours, days, months, weekdays = (
        _field(part, spec) for part, spec in zip(parts, _FIELDS, strict=True)
    )
    cron = Cron(
        minutes,
        hours,
        days,
        months,
        frozenset(d % 7 for d in weekdays),
        any_day=parts[2].startswith("*"),
        any_weekday=parts[4].startswith("*"),
    )
    if (cron.any_day or cron.any_weekday) and not any(
        day <= _longest(month) for day in days for month in months
    ):
        raise CronError("never fires: the day of the month does not occur in the months given")
    return cron


def is_valid(expression: str) -> bool:
    try:
        parse(expression)
    except CronError:
        return False
    return True


def next_after(expression: str | Cron, after: datetime) -> datetime:
    """The first minute strictly after ``after`` in which the expression fires.

    Works on the wall clock of ``after`` and keeps its ``tzinfo``."""
    cron = parse(expression) if isinstance(expression, str) else expression
    when = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    horizon = when.year + SEARCH_YEARS
    while when.year <= horizon:
        if when.month not in cron.months:
            when = _next_month(when)
        elif not cron.day_matches(when):
            when = when.replace(hour=0, minute=0) + timedelta(days=1)
        elif when.hour not in cron.hours:
            when = when.replace(minute=0) + timedelta(hours=1)
        elif when.minute not in cron.minutes:
            when += timedelta(minutes=1)
        else:
            return when
    raise CronError(f"never fires within {SEARCH_YEARS} years")


def _next_month(when: datetime) -> datetime:
    year, month = (when.year + 1, 1) if when.month == 12 else (when.year, when.month + 1)
    return when.replace(year=year, month=month, day=1, hour=0, minute=0)


def _longest(month: int) -> int:
    return 29 if month == 2 else calendar.monthrange(2001, month)[1]


def _field(text: str, spec: _Spec) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise CronError(f"{spec.name}: an empty item in the list '{text}'")
        values.update(_item(item, spec))
    return frozenset(values)


def _item(item: str, spec: _Spec) -> range:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) < 1:
            raise CronError(f"{spec.name}: the step in '{item}' must be a number of 1 or more")
        step = int(step_text)
    if base == "*":
        return range(spec.low, spec.high + 1, step)
    low_text, dash, high_text = base.partition("-")
    low = _value(low_text, spec, item)
    if dash:
        high = _value(high_text, spec, item)
    elif slash:
        high = spec.high  # a/n: from a to the end
    else:
        high = low
    if low > high:
        raise CronError(f"{spec.name}: the range '{base}' runs backwards")
    return range(low, high + 1, step)


def _value(text: str, spec: _Spec, item: str) -> int:
    if not text:
        raise CronError(f"{spec.name}: '{item}' is missing a number")
    if text.isdigit():
        value = int(text)
        if not spec.low <= value <= spec.high:
            raise CronError(f"{spec.name}: {value} is out of range {spec.low}-{spec.high}")
        return value
    lowered = text.lower()
    if spec.names and lowered in spec.names:
        return spec.names.index(lowered) + spec.first_name
    if spec.names:
        raise CronError(
            f"{spec.name}: '{text}' is neither a number nor a name ({', '.join(spec.names)})"
        )
    raise CronError(f"{spec.name}: '{text}' is not a number")
