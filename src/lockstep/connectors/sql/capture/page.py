"""What a dialect's reader hands back: change rows in the order to take them, and
where the next read starts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    rows: list[tuple[int, str, str]]  # (change id, op, key), in reading order
    cursor: str | None  # where the next read starts
    more: bool  # the page is full: read again at once


class Truncated(Exception):
    """The table was truncated at ``at``: the deletes of its rows were not recorded
    one by one. ``resume`` is the cursor just past the truncate."""

    def __init__(self, at: str, resume: str) -> None:
        super().__init__(at)
        self.at = at
        self.resume = resume
