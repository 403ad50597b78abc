"""How many records a run selected, created, updated, failed...: the ``counts`` of
``summary.json``, and the running tally every flow adds to while it works.

One set of names for every flow, so a script reads any run's summary the same way."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Counts:
    """The contract's counts (summary.json ``counts``)."""

    selected: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    matched: int = 0
    failed: int = 0
    duplicates: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Tally:
    """``Counts`` while a run is going: the planner and the executor add to it."""

    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Counts().as_dict(), 0))

    def add(self, name: str, n: int = 1) -> None:
        self.values[name] += n

    def frozen(self) -> Counts:
        return Counts(**self.values)
