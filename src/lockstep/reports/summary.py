"""``summary.json``: the one file a script reads to learn how a run went.

Its field names and their order are the CLI contract (DESIGN.md, "The CLI contract"):
``run_id``, ``mode``, ``status``, ``started_at``, ``finished_at``, ``counts``,
``by_entity``, ``api_calls``, then lockstep's extras (``deferred``, ``extra``,
``findings``, ``config``, ``reports``, ``notes``). Times are written in UTC, ISO 8601
with a ``Z``.

A reconcile run's summary counts its differences by class (``findings``: every class,
zero or not) for the run, and for each entity under ``by_entity.<entity>.findings``;
other runs have no ``findings``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from lockstep.core.counts import Counts, Tally
from lockstep.core.plan import FINDINGS
from lockstep.core.status import RunMode, Status

COUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Counts))


@dataclass(frozen=True)
class Summary:
    """How one run went. ``by_entity`` keeps the caller's order (dependency order reads
    best); ``api_calls`` is written sorted by system name."""

    run_id: str
    mode: RunMode
    status: Status
    started_at: datetime
    finished_at: datetime
    counts: Counts
    by_entity: dict[str, Counts]
    api_calls: dict[str, int]
    deferred: int = 0  # lookups left for ``lockstep relink``
    extra: int = 0  # reconcile: records only in a system that does not own them
    findings: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # reconcile
    config: str = ""  # the config file the run used
    reports: str = ""  # the run's report directory
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("started_at", "finished_at"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"Summary.{name} must be timezone-aware, got {value!r}")

    @property
    def duration(self) -> timedelta:
        return self.finished_at - self.started_at

    @property
    def found(self) -> dict[str, int]:
        """Reconcile: the run's differences by class (every class)."""
        total: dict[str, int] = dict.fromkeys(FINDINGS, 0)
        for by_class in self.findings.values():
            for name, n in by_class.items():
                total[name] = total.get(name, 0) + n
        return total

    def as_dict(self) -> dict[str, Any]:
        """The contract's JSON object, keys in contract order."""
        return {
            "run_id": self.run_id,
            "mode": self.mode,
            "status": self.status,
            "started_at": iso_utc(self.started_at),
            "finished_at": iso_utc(self.finished_at),
            "counts": self.counts.as_dict(),
            "by_entity": {name: self._entity(name, c) for name, c in self.by_entity.items()},
            "api_calls": {system: self.api_calls[system] for system in sorted(self.api_calls)},
            "deferred": self.deferred,
            "extra": self.extra,
            **({"findings": self.found} if self.mode == "reconcile" else {}),
            "config": self.config,
            "reports": self.reports,
            "notes": list(self.notes),
        }

    def _entity(self, name: str, counts: Counts) -> dict[str, Any]:
        if self.mode != "reconcile":
            return counts.as_dict()
        mine = self.findings.get(name, {})
        return {**counts.as_dict(), "findings": {f: mine.get(f, 0) for f in FINDINGS}}

    def to_json(self) -> bytes:
        """UTF-8 JSON, indented for people, ending with a newline."""
        text = json.dumps(self.as_dict(), indent=2, ensure_ascii=False)
        return (text + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> Summary:
        """Read back what ``to_json`` wrote (the dashboard and ``--json`` use it)."""
        raw: dict[str, Any] = json.loads(data)
        return cls(
            run_id=raw["run_id"],
            mode=raw["mode"],
            status=raw["status"],
            started_at=datetime.fromisoformat(raw["started_at"]),
            finished_at=datetime.fromisoformat(raw["finished_at"]),
            counts=_counts(raw["counts"]),
            by_entity={name: _counts(c) for name, c in raw["by_entity"].items()},
            api_calls={system: int(n) for system, n in raw["api_calls"].items()},
            deferred=int(raw.get("deferred", 0)),
            extra=int(raw.get("extra", 0)),
            findings={
                name: {f: int(n) for f, n in c["findings"].items()}
                for name, c in raw["by_entity"].items()
                if "findings" in c
            },
            config=str(raw.get("config", "")),
            reports=str(raw.get("reports", "")),
            notes=tuple(raw.get("notes", ())),
        )


def summarize(
    run_id: str,
    mode: RunMode,
    status: Status,
    started: datetime,
    counts: Mapping[str, Tally],
    api_calls: Mapping[str, int],
    **extras: Any,
) -> Summary:
    """A finished run's summary from its running counts per entity (their total is
    the run's ``counts``); ``extras`` are the lockstep fields (``deferred``, ``config``,
    ``reports``, ``notes``)."""
    by_entity = {name: c.frozen() for name, c in counts.items()}
    total = Tally()
    for c in by_entity.values():
        for key, value in c.as_dict().items():
            total.add(key, value)
    return Summary(
        run_id=run_id,
        mode=mode,
        status=status,
        started_at=started,
        finished_at=datetime.now(UTC),
        counts=total.frozen(),
        by_entity=by_entity,
        api_calls=dict(api_calls),
        **extras,
    )


def iso_utc(moment: datetime) -> str:
    """``2026-11-24T01:02:03.456789Z``: the moment in UTC."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _counts(raw: dict[str, Any]) -> Counts:
    return Counts(**{name: int(raw.get(name, 0)) for name in COUNT_FIELDS})
