"""Capture: read one binding's changes after its cursor into the ledger's queue.

Each page of changes and the cursor after it are stored in one ledger transaction,
so a crash between pages neither loses nor repeats a change, and a stop asked by a
signal ends capture only between pages (``after_capture_page``). What is queued is the
record as the change read it, in canonical form (``payload``): lockstep never reads a
changed record a second time to learn what changed. Beside it goes what lockstep had
agreed with the origin for the record when the change was read (``seen_print``), so
the drain tells an echo as of capture, whatever it wrote since.

A truncated table (PostgreSQL records the ``TRUNCATE``) stops its binding's capture
with ``CaptureBroken``: the deletes were not captured one by one. With ``repair``
(``lockstep sync --once --repair-capture``) capture moves past it; ``lockstep
reconcile --apply`` then carries what the truncate removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lockstep.config.entities import Binding
from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.connectors.base import CaptureSpec, Connector
from lockstep.core.records import Change
from lockstep.errors import CaptureBroken
from lockstep.ledger import Ledger
from lockstep.ledger.rows import QueueEntry
from lockstep.mapping.payload import pack
from lockstep.mapping.record import Reader
from lockstep.runs.select import housekeeping_fields, key_field, mapped_fields
from lockstep.sync.killpoints import killpoint

PAGE = 2_000


@dataclass(frozen=True)
class Source:
    """One binding that captures: entity ``entity`` in system ``system``."""

    entity: str
    system: str
    binding: Binding
    config: SalesforceSystem | SqlSystem
    reader: Reader
    # the columns whose change makes an update a change, for every binding capturing
    # this object (``watched``); ``None``: this binding's own
    watched: tuple[str, ...] | None = None

    @property
    def spec(self) -> CaptureSpec:
        capture = self.binding.capture
        if capture is None:
            return CaptureSpec("none")
        column = capture.column
        if capture.mode == "poll" and column is None:
            column = "SystemModstamp"
        watched = self.watched if self.watched is not None else watched_fields([self.binding])
        return CaptureSpec(capture.mode, column, capture.lookback_seconds, watched)

    @property
    def fields(self) -> list[str]:
        key = key_field(self.binding, self.config)
        house = housekeeping_fields(self.binding)
        return list(dict.fromkeys([key, *mapped_fields(self.binding), *house]))


def watched_fields(bindings: Iterable[Binding]) -> tuple[str, ...]:
    """The columns whose change makes an update of an object bound by ``bindings`` a
    change: every field they map. An update that changes none of them is nothing to
    sync (lockstep's own write-back of ids and status among them). With a filter on any
    of them, any column may move a record in or out: every update is (``()``)."""
    bindings = list(bindings)
    if any(b.filter for b in bindings):
        return ()
    return tuple(sorted({f for b in bindings for f in mapped_fields(b)}))


def capture(
    source: Source,
    connector: Connector,
    ledger: Ledger,
    *,
    page: int = PAGE,
    on_page: Callable[[int], None] | None = None,
    repair: bool = False,
) -> int:
    """Queue every change of ``source`` after its cursor; how many were queued. With
    ``repair``, a truncate that stops capture is passed over."""
    spec = source.spec
    obj = source.binding.target
    house = housekeeping_fields(source.binding)
    queued = 0
    while True:
        cursor = ledger.cursor(source.system, obj)
        reading = ledger.now()
        try:
            batch = connector.changes(
                obj, source.fields, cursor, spec, limit=page, where=source.binding.filter
            )
        except CaptureBroken as broken:
            if not repair or broken.resume is None:
                raise
            ledger.save_cursor(source.system, obj, broken.resume)
            continue
        # the global id, where known, keeps a record's changes from all its systems
        # with one worker at a time (see ledger.queue)
        natives = {c.native_id for c in batch.changes}
        known = ledger.global_ids(source.entity, source.system, natives)
        seen = _seen(ledger, source, known.values(), reading)
        entries = [
            _entry(source, c, house, gid := known.get(c.native_id), seen.get(gid or ""))
            for c in batch.changes
        ]
        killpoint(f"after_capture_read:{source.system}")
        with ledger.transaction() as conn:
            ledger.enqueue(entries, conn=conn)
            if batch.cursor is not None and batch.cursor != cursor:
                ledger.save_cursor(source.system, obj, batch.cursor, conn=conn)
        queued += len(entries)
        killpoint(f"after_capture_page:{source.system}")  # a stop asked may end it here
        if on_page is not None and entries:
            on_page(len(entries))
        if not batch.more or not batch.changes:
            return queued


def _seen(ledger: Ledger, source: Source, gids: Iterable[str], reading: datetime) -> dict[str, str]:
    """What the origin held of each record as lockstep last agreed with it, when the
    changes were read: the drain judges echoes against it. A record lockstep marked
    since the read began is left out (its fingerprint then is not known), and is
    judged against the one the drain finds."""
    return ledger.fingerprints(source.entity, source.system, gids, before=reading)


def _entry(
    source: Source, change: Change, house: list[str], gid: str | None, seen: str | None
) -> QueueEntry:
    native, version, entity, system = change.native_id, change.version, source.entity, source.system
    if change.kind == "delete" or change.values is None:
        return QueueEntry(entity, system, native, "delete", None, version, gid, seen)
    values = pack(source.reader.read(change.values), _house(change.values, house))
    return QueueEntry(entity, system, native, "upsert", values, version, gid, seen)


def _house(row: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    lowered = {k.lower(): k for k in row}
    return {n: row.get(lowered.get(n.lower(), n)) for n in names}
