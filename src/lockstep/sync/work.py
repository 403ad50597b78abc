"""One claimed change while it is drained, and the sides of its entity.

A ``Work`` starts as a queue item and gathers, step by step, what the drain learns:
its global id, its values with references as global ids, what the golden record
makes of them, and each system's outcome. The first failure ends its journey.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lockstep.config.entities import Binding, Entity
from lockstep.connectors.base import Connector
from lockstep.errors import NOT_DONE_CODES
from lockstep.ledger.rows import QueueItem
from lockstep.mapping.payload import Payload, unpack
from lockstep.mapping.record import Writer, compile_writer
from lockstep.runs.select import bound_names, external_id_value
from lockstep.sync.decide import Accepted

# Record errors that say "try again later", not "this record is wrong": the systems'
# own per-record codes for such (Salesforce's UNABLE_TO_LOCK_ROW), lockstep's own
# (an outcome unknown, a parent not there yet), and every code of an op not done
# (``lockstep.errors.NOT_DONE_CODES``, from the errors tree: one vocabulary).
RECORD_TRANSIENT_CODES = frozenset(
    {"UNABLE_TO_LOCK_ROW", "OUTCOME_UNKNOWN", "MISSING_PARENT", "SERVER_UNAVAILABLE"}
)
TRANSIENT_CODES = RECORD_TRANSIENT_CODES | NOT_DONE_CODES


@dataclass(frozen=True)
class Side:
    """One binding of an entity, ready to write: the canonical names it binds (fields
    and references), its writer and its connector."""

    system: str
    binding: Binding
    names: frozenset[str]
    writer: Writer
    connector: Connector
    ext_value: Callable[[str, str], str] | None  # (origin key, global id) -> external id


def sides(entity: Entity, connectors: Mapping[str, Connector]) -> dict[str, Side]:
    out: dict[str, Side] = {}
    for system, binding in entity.bindings.items():
        names = bound_names(binding)
        ext = external_id_value(binding) if binding.external_id else None
        out[system] = Side(
            system, binding, names, compile_writer(entity, binding), connectors[system], ext
        )
    return out


@dataclass(frozen=True)
class Failure:
    """Why a change could not be carried, and whether waiting may help: an op the
    system did not process (a record error marked transient, a whole call that
    failed), or a record error whose code is in ``TRANSIENT_CODES``."""

    code: str
    message: str
    system: str
    job_id: str | None = None
    passing: bool = False  # not done: the op never reached the record
    retry_after: float | None = None  # seconds, when the system said

    @property
    def transient(self) -> bool:
        return self.passing or self.code in TRANSIENT_CODES


@dataclass
class Work:
    item: QueueItem
    folded: list[int] = field(default_factory=list)  # older queue items it supersedes
    earlier: list[QueueItem] = field(default_factory=list)  # those items
    payload: Payload = field(default_factory=Payload)
    gid: str | None = None
    retried: bool = False  # it, or a change folded into it, failed before
    echo: bool = False  # the origin holds what lockstep last agreed with it
    settled: bool = False  # done without a decision: an echo, superseded, or deleted
    marked: bool = False  # its origin was told "in progress" when it was taken up
    incoming: dict[str, Any] = field(default_factory=dict)  # values, refs as global ids
    before: Mapping[str, Any] | None = None  # the golden record before the change
    accepted: Accepted | None = None
    final: Accepted | None = None  # all the batch's changes of the record, folded
    lead: bool = False  # the record's last change in the batch: it writes ``final``
    version: int = 0  # the golden record's version after the change
    natives: dict[str, str] = field(default_factory=dict)  # system -> native id
    failure: Failure | None = None
    written: dict[str, str] = field(default_factory=dict)  # system -> action

    @property
    def attempts(self) -> int:
        """How often the change, or one folded into it, failed before: a change read
        again (the echo of a status lockstep wrote while it waited) does not start its
        record's count over."""
        return max([self.item.attempts, *(e.attempts for e in self.earlier)])

    @property
    def origin(self) -> str:
        return self.item.origin

    @property
    def key(self) -> str:
        return self.item.native_id

    @property
    def alive(self) -> bool:
        return self.failure is None

    def fail(
        self,
        code: str,
        message: str,
        system: str,
        job_id: str | None = None,
        *,
        passing: bool = False,
        retry_after: float | None = None,
    ) -> None:
        if self.failure is None:
            self.failure = Failure(code, message, system, job_id, passing, retry_after)


def coalesce(items: Iterable[QueueItem]) -> list[Work]:
    """One ``Work`` per record and origin, carrying its latest change; the earlier
    changes of the record are folded into it (a change reads the whole record, so
    the latest says all). Latest means the highest queue id: capture queues an
    origin's changes in the origin's own order, and the claim takes a record's changes
    together, so none is left behind for a later batch to apply over a newer one."""
    latest: dict[tuple[str, str], Work] = {}
    for item in sorted(items, key=lambda i: i.id):
        key = (item.origin, item.native_id)
        earlier = latest.get(key)
        work = Work(item, payload=unpack(item.values), retried=item.last_error is not None)
        if earlier is not None:
            work.folded = [*earlier.folded, earlier.item.id]
            work.earlier = [*earlier.earlier, earlier.item]
            work.retried = work.retried or earlier.retried
        latest[key] = work
    return list(latest.values())
