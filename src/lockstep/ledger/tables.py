"""The ledger's tables: the schema the newest migration produces, column for column.

Every table name starts with ``ls_`` so a ledger can live in a database that holds
other things. ``migrations/`` builds this schema step by step; a test compares the two.

- ``ls_xrefs``: (entity, global id) <-> (system, native id); one native id per global id
  and system, and one global id per native id; ``seq``, the last queue item applied
  from that system for the record; ``deleted_at``, set when the owner deleted it (a
  tombstone: the link stays, so a late change of the record is known as dead).
- ``ls_golden``: the golden record of each global id, and its version.
- ``ls_sync_state``: what was last written to (or read from) each system for a global
  id: the fingerprint of the mapped values and the golden version it came from; and
  the fingerprint of the last change from it that could not be carried (refused).
- ``ls_queue``: the change queue (``seen_print``: the origin's fingerprint for the record
  when the change was read); an item moves pending -> in_flight -> done, or back to
  pending with a later ``available_at`` on a transient failure, to failed on a terminal
  one, and to dead when it has used up its attempts.
- ``ls_runs`` / ``ls_exceptions``: one row per command run, and per record that failed
  (its global id and failed queue item where known); an exception is open until
  ``resolved_at``, closed by run ``resolved_by`` for the ``resolution`` it states
  (the record synced or was repaired later, or a person set it aside).
- ``ls_telemetry``: measurements for the dashboard, kept for days.
- ``ls_cursors``: where capture resumes, per system and object.
- ``ls_meta``: small named settings (pauses, the ledger's own facts).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lockstep.ledger.sqltypes import BigId, JSONText, UtcDateTime

#: Alembic's bookkeeping table, prefixed like the others.
VERSION_TABLE = "ls_alembic_version"

QUEUE_STATES = ("pending", "in_flight", "done", "failed", "dead")
QUEUE_KINDS = ("upsert", "delete")
RUN_STATUSES = ("running", "done", "failed", "interrupted")

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ENTITY = 100
SYSTEM = 100
NATIVE_ID = 255
GLOBAL_ID = 64


def _one_of(column: str, allowed: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in allowed)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


xrefs = Table(
    "ls_xrefs",
    metadata,
    Column("entity", String(ENTITY), nullable=False),
    Column("global_id", String(GLOBAL_ID), nullable=False),
    Column("system", String(SYSTEM), nullable=False),
    Column("native_id", String(NATIVE_ID), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("seq", BigId, nullable=True),
    Column("deleted_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("entity", "global_id", "system"),
    UniqueConstraint("entity", "system", "native_id"),
)

golden = Table(
    "ls_golden",
    metadata,
    Column("entity", String(ENTITY), nullable=False),
    Column("global_id", String(GLOBAL_ID), nullable=False),
    Column("values", JSONText, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("entity", "global_id"),
)

sync_state = Table(
    "ls_sync_state",
    metadata,
    Column("entity", String(ENTITY), nullable=False),
    Column("global_id", String(GLOBAL_ID), nullable=False),
    Column("system", String(SYSTEM), nullable=False),
    Column("fingerprint", String(64), nullable=True),  # none agreed yet: NULL
    Column("version", Integer, nullable=False),
    Column("synced_at", UtcDateTime, nullable=False),
    Column("refused_print", String(64), nullable=True),
    PrimaryKeyConstraint("entity", "global_id", "system"),
)

queue = Table(
    "ls_queue",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("entity", String(ENTITY), nullable=False),
    Column("origin", String(SYSTEM), nullable=False),
    Column("native_id", String(NATIVE_ID), nullable=False),
    Column("global_id", String(GLOBAL_ID), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("values", JSONText, nullable=True),
    Column("version", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("enqueued_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(200), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_error_code", String(80), nullable=True),
    Column("seen_print", String(64), nullable=True),
    _one_of("kind", QUEUE_KINDS),
    _one_of("state", QUEUE_STATES),
    Index(None, "state", "available_at"),
    Index(None, "entity", "origin", "native_id"),
    Index(None, "entity", "global_id"),
)

runs = Table(
    "ls_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("mode", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("entities", JSONText, nullable=False),
    Column("summary", JSONText, nullable=True),
    Column("config_hash", String(128), nullable=True),
    _one_of("status", RUN_STATUSES),
    Index(None, "mode", "started_at"),
)

exceptions = Table(
    "ls_exceptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("ls_runs.run_id"), nullable=True),
    Column("entity", String(ENTITY), nullable=False),
    Column("system", String(SYSTEM), nullable=False),
    Column("key", String(NATIVE_ID), nullable=False),
    Column("code", String(100), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("job_id", String(100), nullable=True),
    Column("global_id", String(GLOBAL_ID), nullable=True),
    Column("seq", BigId, nullable=True),
    Column("resolved_by", String(64), nullable=True),
    Column("resolution", Text, nullable=True),
    Index(None, "run_id"),
    Index(None, "entity", "key"),
    Index(None, "entity", "global_id"),
    Index(None, "entity", "resolved_at"),
)

telemetry = Table(
    "ls_telemetry",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("system", String(SYSTEM), nullable=False),
    Column("metric", String(100), nullable=False),
    Column("value", Float, nullable=False),
    Column("labels", JSONText, nullable=True),
    Index(None, "at"),
)

cursors = Table(
    "ls_cursors",
    metadata,
    Column("system", String(SYSTEM), nullable=False),
    Column("object", String(NATIVE_ID), nullable=False),
    Column("cursor", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("system", "object"),
)

meta = Table(
    "ls_meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSONText, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
