"""Writes to a system and their outcomes, one result per operation in input order.

``Upsert`` means: update ``native_id`` when it is given; otherwise, when ``match_on``
names an external-id field, update the record whose field equals
``values[match_on]`` or create it; otherwise create. ``Delete`` removes ``native_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lockstep.core.records import Row


@dataclass(frozen=True)
class Upsert:
    values: Row
    native_id: str | None = None
    match_on: str | None = None

    @property
    def action(self) -> str:
        if self.native_id is not None:
            return "update"
        return "upsert" if self.match_on is not None else "insert"


@dataclass(frozen=True)
class Delete:
    native_id: str

    action = "delete"


Op = Upsert | Delete


@dataclass(frozen=True)
class RecordError:
    """Why the system refused one record: its own error code (Salesforce's
    ``statusCode``, or a lockstep code such as ``SQL_INTEGRITY``) and message.
    ``transient``: the op was not done for a reason that is not the record's (the call
    failed before reaching it), so it may be sent again, after ``retry_after`` seconds
    when the system said."""

    code: str
    message: str
    fields: tuple[str, ...] = ()
    transient: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class OpResult:
    """The outcome of one ``Op``. ``job_id`` names the Bulk job that carried it."""

    ok: bool
    native_id: str | None = None
    created: bool = False
    error: RecordError | None = None
    job_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def failed(cls, code: str, message: str, *, native_id: str | None = None) -> OpResult:
        return cls(ok=False, native_id=native_id, error=RecordError(code, message))
