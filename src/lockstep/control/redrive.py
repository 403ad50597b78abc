"""``lockstep retry`` and ``lockstep ignore``: a person ends one record's wait.

A record whose change failed for good (refused, or out of attempts) waits with an
open exception. Once its cause is fixed, ``retry`` sends its failed changes again, due
now: the next sync pass (``sync --once``, or the running service) carries them; a
change a later change of the record superseded is set aside instead, never resent
(``Ledger.redrive``). ``ignore`` sets them aside for good: queue items ``done``,
exceptions closed, by a run of its own that says who did it.

The record is found as ``explain`` finds one: its native id in a system (``--system``,
else any system it is bound in, the owner first), or its global id; a change of a
record lockstep never linked is found by its native id in the system it came from.
Only the ledger is touched: no system is contacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lockstep.config.models import Config
from lockstep.control import queries
from lockstep.control.access import open_existing, shown
from lockstep.control.explain import entity_of
from lockstep.errors import EXIT_USAGE, LockstepError
from lockstep.ledger import Ledger, Record
from lockstep.ledger.base import Clock, utcnow


class UnknownRecord(LockstepError):
    """No such record in the ledger (or no ledger): bad usage, exit 2."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Found:
    """The record a KEY names, and how it was found (``crm id``, ``global id``)."""

    entity: str
    key: str
    found_as: str
    record: Record


@dataclass(frozen=True)
class Outcome:
    """What ``retry`` or ``ignore`` did to a record's failed changes: ``changes`` the
    queue items sent again (retry) or set aside (ignore), ``superseded`` those a later
    change made moot (set aside, not sent), ``closed`` its exceptions closed."""

    action: str  # "retry" or "ignore"
    found: Found
    run_id: str | None = None  # None: nothing had failed, nothing was recorded
    changes: tuple[int, ...] = ()
    superseded: tuple[int, ...] = ()
    closed: int = 0
    open_left: int = 0  # exceptions still open (retry: until the change is carried)
    by: str | None = None

    @property
    def nothing_failed(self) -> bool:
        return self.run_id is None

    def as_dict(self) -> dict[str, Any]:
        record = self.found.record
        return {
            "action": self.action,
            "entity": self.found.entity,
            "key": self.found.key,
            "found_as": self.found.found_as,
            "global_id": record.global_id,
            "native_ids": dict(record.natives),
            "run_id": self.run_id,
            "changes": list(self.changes),
            "superseded": list(self.superseded),
            "exceptions_closed": self.closed,
            "exceptions_open": self.open_left,
            "by": self.by,
        }


def retry_record(
    url: str,
    config: Config,
    entity: str,
    key: str,
    system: str | None = None,
    *,
    clock: Clock = utcnow,
) -> Outcome:
    """Send the failed changes of one record again, due now (see the module docstring)."""
    entity_of(config, entity, system)
    with _ledger(url, entity, key, clock) as ledger:
        found = find_record(ledger, config, entity, key, system)
        failed, _ = ledger.record_failures(entity, found.record)
        if not failed:
            return Outcome("retry", found)
        run = ledger.start_run("retry", [entity])
        done = ledger.redrive(entity, record=found.record, run_id=run.run_id)
        _, open_left = ledger.record_failures(entity, found.record)
        outcome = Outcome(
            "retry", found, run.run_id, done.resent, done.superseded, open_left=open_left
        )
        ledger.finish_run(run.run_id, "done", {"retry": outcome.as_dict()})
    return outcome


def ignore_record(
    url: str,
    config: Config,
    entity: str,
    key: str,
    system: str | None = None,
    *,
    by: str,
    clock: Clock = utcnow,
) -> Outcome:
    """Set the failed changes of one record aside for good, and close its exceptions,
    noting ``by`` whom (see the module docstring)."""
    entity_of(config, entity, system)
    with _ledger(url, entity, key, clock) as ledger:
        found = find_record(ledger, config, entity, key, system)
        failed, open_ = ledger.record_failures(entity, found.record)
        if not failed and not open_:
            return Outcome("ignore", found, by=by)
        run = ledger.start_run("ignore", [entity])
        with ledger.transaction() as conn:
            _, closed = ledger.settle(
                entity,
                [found.record],
                run_id=run.run_id,
                resolution=f"ignored by {by}",
                conn=conn,
            )
        outcome = Outcome("ignore", found, run.run_id, tuple(failed), closed=closed, by=by)
        ledger.finish_run(run.run_id, "done", {"ignore": outcome.as_dict()})
    return outcome


def find_record(
    ledger: Ledger, config: Config, entity: str, key: str, system: str | None = None
) -> Found:
    """The record of ``entity`` that ``key`` names (see the module docstring);
    ``UnknownRecord`` when none, or when ``key`` is a native id of two records in two
    systems (``--system`` tells which)."""
    bound = config.entities[entity]
    others = [s for s in bound.bindings if s != bound.owner]
    systems = [system] if system else [bound.owner, *others]
    linked: dict[str, tuple[str, str]] = {}  # global id -> (system, how found)
    for s in systems:
        link = ledger.links(entity, s, [key]).get(key)
        if link is not None:
            linked.setdefault(link.global_id, (s, f"{s} id"))
    if len(linked) > 1:
        where = ", ".join(s for s, _ in linked.values())
        raise UnknownRecord(
            f"{entity} {key!r} is a native id in {where}, of different records: "
            "pass --system to say which"
        )
    with ledger.engine.connect() as conn:
        if not linked and system is None and queries.known_global_id(conn, entity, key):
            linked[key] = ("", "global id")
        if linked:
            ((gid, (s, found_as)),) = linked.items()
            natives = {**ledger.xrefs(entity, gid, conn=conn), **({s: key} if s else {})}
            record = Record(gid, tuple(sorted(natives.items())))
            return Found(entity, key, found_as, record)
        origins = queries.unlinked_systems(conn, entity, key, systems)
    if origins:
        record = Record(None, tuple((s, key) for s in origins))
        return Found(entity, key, f"{origins[0]} id, not linked", record)
    where = f"{system} id" if system else "native id in " + ", ".join(systems) + ", nor global id"
    raise UnknownRecord(f"no record of {entity} with {where} {key!r} in the ledger")


def _ledger(url: str, entity: str, key: str, clock: Clock) -> Ledger:
    ledger = open_existing(url, clock=clock)
    if ledger is None:
        raise UnknownRecord(
            f"no record of {entity} {key!r}: no ledger at {shown(url)}: nothing has run"
        )
    return ledger
