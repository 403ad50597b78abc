"""``reports/<run-id>/``: what a run did, written while it runs.

Files (each exists with its header from the start, even if no row ever comes):

- ``processed.csv`` — every record applied successfully, one row per target system;
- ``exceptions.csv`` — every record that was not (seed 003's EXCEPTION report), with the
  Bulk job id an administrator looks up under Setup → Bulk Data Load Jobs;
- ``duplicates.csv`` — groups of records that could not be told apart;
- ``diff.csv`` — the plan: what would change, field by field (reconcile: with the
  class of each difference, ``finding``);
- ``summary.json`` and ``report.html`` — written by ``finish``, never before.

``summary.json`` appears only when the run finished (done or failed on purpose): it is
written to a temporary file and renamed, and a ``ReportWriter`` left by an exception
closes its CSVs and writes none. Rows are never held in memory; the writer keeps only
what ``report.html`` needs (each error code's count and first message, the first
duplicate groups). Its methods may be called from several threads.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from lockstep.core.plan import DuplicateGroup, FieldChange, Outcome, PlanItem
from lockstep.core.status import RunMode
from lockstep.reports.csvfile import CsvStream
from lockstep.reports.html import render
from lockstep.reports.summary import Summary

PROCESSED = "processed.csv"
EXCEPTIONS = "exceptions.csv"
DUPLICATES = "duplicates.csv"
DIFF = "diff.csv"
SUMMARY = "summary.json"
REPORT = "report.html"

PROCESSED_COLUMNS = (
    "entity",
    "source_system",
    "source_key",
    "target_system",
    "target_key",
    "global_id",
    "action",
    "created",
)
EXCEPTION_COLUMNS = ("entity", "key", "system", "error_code", "message", "bulk_job_id")
DUPLICATE_COLUMNS = (
    "entity",
    "target_system",
    "kind",
    "rule",
    "key",
    "source_keys",
    "candidates",
)
DIFF_COLUMNS = (
    "entity",
    "source_system",
    "source_key",
    "target_system",
    "target_key",
    "global_id",
    "action",
    "reason",
    "changes",
    "deferred",
    "finding",  # reconcile: the class of the difference (last, so older readers go on)
)
DUPLICATES_KEPT = 50
UNKNOWN_CODE = "UNKNOWN"


@dataclass
class _CodeTally:
    count: int
    example: str


class ReportWriter:
    """Streams one run's reports into ``root/run_id/``; ``finish`` completes them.

    A directory that already holds a ``summary.json`` is refused: a finished run's
    report is never overwritten."""

    def __init__(
        self,
        root: Path,
        run_id: str,
        mode: RunMode,
        *,
        flush_rows: int = 500,
        flush_seconds: float = 5.0,
    ) -> None:
        self.run_id = run_id
        self.mode = mode
        self.directory = Path(root) / run_id
        self.directory.mkdir(parents=True, exist_ok=True)
        if (self.directory / SUMMARY).exists():
            raise FileExistsError(f"{self.directory} holds a finished run's reports")
        self._lock = threading.Lock()
        self._finished = False
        self._codes: dict[str, _CodeTally] = {}
        self._entities: dict[str, None] = {}
        self._duplicates: list[DuplicateGroup] = []
        self._duplicate_groups = 0
        streams: list[CsvStream] = []
        try:
            for name, columns in (
                (PROCESSED, PROCESSED_COLUMNS),
                (EXCEPTIONS, EXCEPTION_COLUMNS),
                (DUPLICATES, DUPLICATE_COLUMNS),
                (DIFF, DIFF_COLUMNS),
            ):
                path = self.directory / name
                stream = CsvStream(
                    path, columns, flush_rows=flush_rows, flush_seconds=flush_seconds
                )
                streams.append(stream)
        except BaseException:
            for stream in streams:
                stream.close()
            raise
        self._processed, self._exceptions, self._dups, self._diff = streams

    # -- rows ----------------------------------------------------------------------------

    def processed(self, outcome: Outcome) -> None:
        """One applied plan item. A failed outcome is an exception, not a processed
        record: it goes to ``exceptions.csv`` (key: the source key; system: the target
        system, which refused it)."""
        item = outcome.item
        if not outcome.ok:
            self.exception(
                item.entity,
                item.source_key,
                item.target,
                outcome.error_code or UNKNOWN_CODE,
                outcome.message or "",
                outcome.job_id,
            )
            return
        row = (
            item.entity,
            item.source,
            item.source_key,
            item.target,
            outcome.target_key or item.target_key,
            item.global_id,
            item.action,
            "true" if outcome.created else "false",
        )
        with self._lock:
            self._seen(item.entity)
            self._processed.write(row)

    def exception(
        self,
        entity: str,
        key: str,
        system: str,
        code: str,
        message: str,
        job_id: str | None = None,
    ) -> None:
        """One record ``system`` refused, or lockstep could not process."""
        code = code or UNKNOWN_CODE
        with self._lock:
            self._seen(entity)
            self._exceptions.write((entity, key, system, code, message, job_id))
            tally = self._codes.get(code)
            if tally is None:
                self._codes[code] = _CodeTally(1, message)
            else:
                tally.count += 1
                tally.example = tally.example or message

    def duplicate(self, group: DuplicateGroup) -> None:
        row = (
            group.entity,
            group.target,
            group.kind,
            group.rule,
            group.key,
            ";".join(group.source_keys),
            ";".join(group.candidates),
        )
        with self._lock:
            self._seen(group.entity)
            self._dups.write(row)
            self._duplicate_groups += 1
            if len(self._duplicates) < DUPLICATES_KEPT:
                self._duplicates.append(group)

    def diff(self, item: PlanItem) -> None:
        """One planned item; ``changes`` reads ``field: before -> after; …``."""
        row = (
            item.entity,
            item.source,
            item.source_key,
            item.target,
            item.target_key,
            item.global_id,
            item.action,
            item.reason,
            format_changes(item.changes),
            ";".join(item.deferred),
            item.finding or "",
        )
        with self._lock:
            self._seen(item.entity)
            self._diff.write(row)

    # -- the end -------------------------------------------------------------------------

    def finish(self, summary: Summary) -> Path:
        """Close the CSVs, write ``summary.json`` (atomically), then ``report.html``;
        the run's report directory. ``summary.reports`` is filled in when empty."""
        if summary.run_id != self.run_id or summary.mode != self.mode:
            raise ValueError(
                f"summary of {summary.run_id} ({summary.mode}) given to the writer of "
                f"{self.run_id} ({self.mode})"
            )
        with self._lock:
            if self._finished:
                raise RuntimeError(f"reports of {self.run_id} are finished already")
            self._close_streams()
            if not summary.reports:
                summary = replace(summary, reports=str(self.directory))
            page = render(
                summary,
                top_exceptions=self.top_exceptions(),
                duplicates_sample=list(self._duplicates),
                entity_order=[*summary.by_entity, *self._entities],
                duplicate_groups=self._duplicate_groups,
            )
            _write_atomically(self.directory / SUMMARY, summary.to_json())
            _write_atomically(self.directory / REPORT, page.encode("utf-8"))
            self._finished = True
        return self.directory

    def top_exceptions(self) -> list[tuple[str, int, str]]:
        """``(code, count, first message)``, most frequent first."""
        ordered = sorted(self._codes.items(), key=lambda kv: (-kv[1].count, kv[0]))
        return [(code, tally.count, tally.example) for code, tally in ordered]

    def close(self) -> None:
        """Close the CSVs without finishing: no ``summary.json``."""
        with self._lock:
            self._close_streams()

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- inside --------------------------------------------------------------------------

    def _seen(self, entity: str) -> None:
        self._entities.setdefault(entity, None)

    def _close_streams(self) -> None:
        for stream in (self._processed, self._exceptions, self._dups, self._diff):
            stream.close()


def format_changes(changes: tuple[FieldChange, ...]) -> str:
    return "; ".join(f"{c.field}: {_value(c.before)} -> {_value(c.after)}" for c in changes)


def _value(value: Any) -> str:
    return "(empty)" if value is None or value == "" else str(value)


def _write_atomically(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temp.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
