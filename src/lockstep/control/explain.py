"""``lockstep explain``: one record's lineage across systems, from the ledger alone.

A record is found by its native id in one system (the entity's owner unless told),
or by its global id. Then: its native id in every system (xrefs), its golden record,
what each system last agreed on (the fingerprint of the values it was last written
or read with, against the fingerprint of what it binds of the golden record), its
changes in the queue and its exception rows.

A record lockstep never linked (say, one the target refused at its first write in
``migrate``) can still have changes and exception rows under its native id: it is
shown without a global id. Exception rows are found by key: the record's native id in
the system it came from (every command records them so) or its global id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lockstep.config.entities import Entity
from lockstep.config.models import Config
from lockstep.control import queries
from lockstep.control.access import open_existing, shown
from lockstep.control.status import exception_dict
from lockstep.errors import EXIT_FAILED_RECORDS, ConfigError, LockstepError
from lockstep.ledger import Golden, Ledger, QueueItem, RecordException, SyncState
from lockstep.ledger.base import Clock, utcnow
from lockstep.mapping.ownership import print_of
from lockstep.reports.summary import iso_utc
from lockstep.runs.select import bound_names

#: How many of a record's latest changes and exception rows are shown.
SHOWN = 50


class NoRecord(LockstepError):
    """The ledger knows no such record (or there is no ledger): exit 1."""

    exit_code = EXIT_FAILED_RECORDS


@dataclass(frozen=True)
class SystemSide:
    """The record in one system: its native id (``None``: not linked there), what the
    system last agreed on, and the fingerprint it would have if it held the golden
    record (``expected``; ``None`` without a golden record or a binding)."""

    system: str
    native_id: str | None
    owner: bool
    synced: SyncState | None
    expected: str | None

    @property
    def agrees(self) -> bool | None:
        """Whether the system last held the golden record's values; ``None`` when one
        side of the comparison is missing."""
        if self.synced is None or self.expected is None:
            return None
        return self.synced.fingerprint == self.expected

    def as_dict(self) -> dict[str, Any]:
        state = self.synced
        return {
            "native_id": self.native_id,
            "owner": self.owner,
            "synced": None
            if state is None
            else {
                "fingerprint": state.fingerprint,
                "version": state.version,
                "synced_at": iso_utc(state.synced_at),
            },
            "expected_fingerprint": self.expected,
            "agrees": self.agrees,
        }


@dataclass(frozen=True)
class Lineage:
    """One record as the ledger knows it; see the module docstring."""

    entity: str
    key: str
    found_as: str  # "app id", "global id", or "app id, not linked"
    global_id: str | None
    systems: tuple[SystemSide, ...]
    golden: Golden | None
    changes: tuple[QueueItem, ...]  # oldest first, the latest ``SHOWN``
    changes_total: int
    exceptions: tuple[RecordException, ...]  # oldest first, the latest ``SHOWN``

    def as_dict(self) -> dict[str, Any]:
        golden = self.golden
        return {
            "entity": self.entity,
            "key": self.key,
            "found_as": self.found_as,
            "global_id": self.global_id,
            "systems": {s.system: s.as_dict() for s in self.systems},
            "golden": None
            if golden is None
            else {
                "values": {k: plain(v) for k, v in golden.values.items()},
                "version": golden.version,
                "updated_at": iso_utc(golden.updated_at),
            },
            "changes": [change_dict(c) for c in self.changes],
            "changes_total": self.changes_total,
            "exceptions": [exception_dict(e) for e in self.exceptions],
        }


def read_lineage(
    url: str,
    config: Config,
    entity: str,
    key: str,
    system: str | None = None,
    *,
    clock: Clock = utcnow,
) -> Lineage:
    """The lineage of ``key`` (a native id in ``system``, by default the entity's
    owner, or a global id) in the ledger at ``url``. ``ConfigError`` for an entity or
    system the config does not have; ``NoRecord`` when the ledger knows no such
    record."""
    bound = entity_of(config, entity, system)
    where = system or bound.owner
    ledger = open_existing(url, clock=clock)
    if ledger is None:
        raise NoRecord(f"no record of {entity} {key!r}: no ledger at {shown(url)}: nothing has run")
    with ledger:
        found = lineage(ledger, entity, bound, key, where)
    if found is None:
        raise NoRecord(
            f"no record of {entity} with {where} id {key!r}, nor with global id {key!r}"
            + ("" if system else " (another system's id? pass --system)")
        )
    return found


def lineage(ledger: Ledger, name: str, entity: Entity, key: str, system: str) -> Lineage | None:
    """The lineage of ``name`` record ``key`` (``system``'s native id, or a global id);
    ``None`` when the ledger knows nothing of it."""
    with ledger.engine.connect() as conn:
        gid = ledger.global_id(name, system, key, conn=conn)
        found_as = f"{system} id"
        if gid is None and queries.known_global_id(conn, name, key):
            gid, found_as = key, "global id"
        if gid is None:
            found_as += ", not linked"
        natives = {system: key} if gid is None else ledger.xrefs(name, gid, conn=conn)
        systems = [*entity.bindings, *(s for s in natives if s not in entity.bindings)]
        golden = None if gid is None else ledger.golden(name, gid, conn=conn)
        synced = {} if gid is None else {s: ledger.synced(name, gid, s, conn=conn) for s in systems}
        changes, total = queries.record_changes(conn, name, gid, natives, SHOWN)
        keys = {*natives.values(), *([gid] if gid else [])}
        exceptions = queries.record_exceptions(conn, name, keys, SHOWN, gid)
    if gid is None and not changes and not exceptions:
        return None
    sides = tuple(
        SystemSide(
            s, natives.get(s), s == entity.owner, synced.get(s), _expected(entity, s, golden)
        )
        for s in systems
    )
    return Lineage(
        name, key, found_as, gid, sides, golden, tuple(changes), total, tuple(exceptions)
    )


def change_dict(item: QueueItem) -> dict[str, Any]:
    """A queue item for people and scripts (without its payload, an internal format)."""
    return {
        "id": item.id,
        "origin": item.origin,
        "native_id": item.native_id,
        "global_id": item.global_id,
        "kind": item.kind,
        "version": item.version,
        "state": item.state,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "enqueued_at": iso_utc(item.enqueued_at),
        "available_at": iso_utc(item.available_at),
        "updated_at": iso_utc(item.updated_at),
        "claimed_by": item.claimed_by,
    }


def plain(value: Any) -> Any:
    """A canonical value as JSON has it: decimals as strings (exactly), dates and
    times in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def entity_of(config: Config, entity: str, system: str | None = None) -> Entity:
    """``entity`` of ``config`` (bound in ``system``, if given); ``ConfigError`` if not."""
    bound = config.entities.get(entity)
    if bound is None:
        known = ", ".join(config.entities) or "none"
        raise ConfigError([f"unknown entity: {entity} (the config has: {known})"])
    if system is not None and system not in bound.bindings:
        known = ", ".join(bound.bindings)
        raise ConfigError([f"{entity} is not bound in system {system} (it is in: {known})"])
    return bound


def _expected(entity: Entity, system: str, golden: Golden | None) -> str | None:
    """The fingerprint of what ``system`` binds of the golden record (as the sync
    drain computes it: ``lockstep.sync.work.sides``)."""
    binding = entity.bindings.get(system)
    if golden is None or binding is None:
        return None
    names = bound_names(binding)
    return print_of(golden.values, names)
