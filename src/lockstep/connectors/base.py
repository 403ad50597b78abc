"""The seam every system sits behind: describe, snapshot, changes, apply.

A connector speaks *native* names (objects, tables, fields); mapping to the canonical
model is pure code elsewhere. Every method raises only ``lockstep.errors``
exceptions for whole-call failures; per-record failures come back as ``OpResult``
values, one per input operation, in input order. An op a failed call left undone
comes back as ``not_done(failure)``: transient, coded after the failure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from lockstep.core.ops import Op, OpResult, RecordError
from lockstep.core.records import ChangeBatch, Row
from lockstep.core.shapes import ObjectShape
from lockstep.errors import SystemFailure

CaptureMode = Literal["triggers", "watermark", "poll", "cdc", "none"]


@dataclass(frozen=True)
class CaptureSpec:
    """How changes of one object are read: ``triggers`` (SQL change table),
    ``watermark`` (a timestamp column, SQL), ``poll`` (SystemModstamp, Salesforce),
    ``cdc`` (Change Data Capture, Salesforce), or ``none``."""

    mode: CaptureMode = "none"
    column: str | None = None  # the watermark / modstamp column
    lookback_seconds: float = 0.0
    # triggers: the columns whose change makes an update a change (the key's always
    # does); an update that changes none of them (lockstep's own write-back of ids and
    # status, a column nothing reads) is not captured. Empty: every update is.
    watched: tuple[str, ...] = ()


def not_done(failure: SystemFailure, *, code: str | None = None) -> RecordError:
    """The record error of an op the system did not process because ``failure`` stopped
    the call: transient whatever failed (it says nothing about the record), coded after
    the failure (``UNREACHABLE``, ``CONTENDED``…, see ``lockstep.errors``) unless a
    more precise ``code`` is known, with the system's ``retry_after``."""
    return RecordError(
        code or failure.code,
        f"not done: {failure}",
        transient=True,
        retry_after=failure.retry_after,
    )


@dataclass(frozen=True)
class CaptureCheck:
    """Trigger capture of one object: ``wanted``, a digest of what installing would
    run (it changes when lockstep's triggers do), and ``found``, a digest of
    lockstep's triggers as the database's catalog holds them now (``None``: none)."""

    wanted: str
    found: str | None


@dataclass
class CallCounter:
    """API calls made, by family (``rest``, ``bulk2``, ``auth``…), and the latest
    usage the system reported (Salesforce's ``Sforce-Limit-Info``)."""

    by_family: dict[str, int] = field(default_factory=dict)
    used: int | None = None
    limit: int | None = None

    def count(self, family: str, n: int = 1) -> None:
        self.by_family[family] = self.by_family.get(family, 0) + n

    @property
    def total(self) -> int:
        """Calls that count against the system's API allocation (not logins)."""
        return sum(n for family, n in self.by_family.items() if family != "auth")


def calls_since(connectors: Mapping[str, Connector], before: Mapping[str, int]) -> dict[str, int]:
    """The calls each connector made since its count was ``before`` (a run's own)."""
    return {name: c.calls.total - before.get(name, 0) for name, c in connectors.items()}


@runtime_checkable
class Connector(Protocol):
    """One configured system."""

    name: str
    calls: CallCounter

    def check(self) -> None:
        """Connect and authenticate; raise ``Unreachable`` / ``AuthFailed`` if not."""

    def describe(self, obj: str) -> ObjectShape:
        """The object or table ``obj``; ``SchemaError`` when there is none."""

    def snapshot(
        self, obj: str, fields: Sequence[str], *, where: str | None = None, page_size: int = 2000
    ) -> Iterator[Sequence[Row]]:
        """Every row of ``obj`` passing ``where`` (the system's own filter language),
        with ``fields`` (the key always included), streamed page by page."""

    def changes(
        self,
        obj: str,
        fields: Sequence[str],
        cursor: str | None,
        capture: CaptureSpec,
        *,
        limit: int = 10_000,
        where: str | None = None,
    ) -> ChangeBatch:
        """Changes after ``cursor`` (``None``: from the start of capture), oldest first.
        With ``where`` (the system's own filter language, as for ``snapshot``) only
        records passing it: a changed record outside it is left out, never reported as
        deleted."""

    def inspect_capture(self, obj: str, capture: CaptureSpec) -> CaptureCheck | None:
        """A cheap, read-only look at what ``install_capture`` installed for ``obj``
        (no DDL, no lock); ``None`` when ``capture`` installs nothing. An unsupported
        mode is refused here."""

    def install_capture(self, obj: str, capture: CaptureSpec) -> None:
        """Prepare change capture for ``obj`` (SQL triggers and change table); idempotent.
        Changes made from then on are returned by ``changes``. DDL on the system's
        tables: done once, not at every pass (see ``sync.install``)."""

    def remove_capture(self, obj: str) -> None:
        """Undo ``install_capture`` for ``obj``; idempotent."""

    def apply(self, obj: str, ops: Sequence[Op]) -> list[OpResult]:
        """Perform ``ops``; one result per op, in input order."""

    def close(self) -> None:
        """Release connections."""
