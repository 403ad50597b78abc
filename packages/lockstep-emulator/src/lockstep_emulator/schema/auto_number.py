"""Auto-number display formats: ``{0000}`` and date tokens around literal text.

Salesforce numbers an auto-number field from its starting number and writes each
number through the field's display format, e.g. ``A-{0000}`` gives ``A-0001``,
``{YYYY}-{000}`` gives ``2026-001``. The zeros set the least number of digits; a
number that outgrows them is written in full. Exactly one ``{0…}`` is required.
"""

from __future__ import annotations

import re
from datetime import date

DEFAULT_FORMAT = "{00000000}"
MAX_LENGTH = 30  # an auto-number field holds 30 characters

_TOKEN = re.compile(r"\{(0+|YYYY|YY|MM|DD)\}")


def format_problem(display_format: str) -> str | None:
    """Why ``display_format`` is not one Salesforce accepts, or None."""
    if len(display_format) > MAX_LENGTH:
        return f"a display format has at most {MAX_LENGTH} characters"
    tokens = _TOKEN.findall(display_format)
    if sum(1 for t in tokens if t.startswith("0")) != 1:
        return "a display format needs exactly one number placeholder such as {0000}"
    if "{" in _TOKEN.sub("", display_format) or "}" in _TOKEN.sub("", display_format):
        return "a display format's placeholders are {0…}, {YYYY}, {YY}, {MM} and {DD}"
    return None


def render(display_format: str, number: int, today: date) -> str:
    """The value of the auto-number ``number`` created on ``today``."""

    def token(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("0"):
            return f"{number:0{len(name)}d}"
        values = {"YYYY": f"{today.year:04d}", "YY": f"{today.year % 100:02d}"}
        values |= {"MM": f"{today.month:02d}", "DD": f"{today.day:02d}"}
        return values[name]

    return _TOKEN.sub(token, display_format)
