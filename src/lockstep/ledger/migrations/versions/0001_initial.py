"""The first released ledger: xrefs, golden records, sync state, the queue, runs and
per-record exceptions.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision: str | None = None
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "ls_xrefs",
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("global_id", sa.String(64), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("native_id", sa.String(255), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("entity", "global_id", "system", name="pk_ls_xrefs"),
        sa.UniqueConstraint(
            "entity", "system", "native_id", name="uq_ls_xrefs_entity_system_native_id"
        ),
    )
    op.create_table(
        "ls_golden",
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("global_id", sa.String(64), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("entity", "global_id", name="pk_ls_golden"),
    )
    op.create_table(
        "ls_sync_state",
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("global_id", sa.String(64), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _at("synced_at"),
        sa.PrimaryKeyConstraint("entity", "global_id", "system", name="pk_ls_sync_state"),
    )
    op.create_table(
        "ls_queue",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("origin", sa.String(100), nullable=False),
        sa.Column("native_id", sa.String(255), nullable=False),
        sa.Column("global_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("values", sa.Text(), nullable=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("available_at"),
        _at("enqueued_at"),
        _at("updated_at"),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('upsert', 'delete')", name="ck_ls_queue_kind"),
        sa.CheckConstraint(
            "state IN ('pending', 'in_flight', 'done', 'failed', 'dead')",
            name="ck_ls_queue_state",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ls_queue"),
    )
    op.create_index("ix_ls_queue_state_available_at", "ls_queue", ["state", "available_at"])
    op.create_index(
        "ix_ls_queue_entity_origin_native_id", "ls_queue", ["entity", "origin", "native_id"]
    )
    op.create_table(
        "ls_runs",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("started_at"),
        _at("finished_at", nullable=True),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("config_hash", sa.String(128), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'done', 'failed', 'interrupted')", name="ck_ls_runs_status"
        ),
        sa.PrimaryKeyConstraint("run_id", name="pk_ls_runs"),
    )
    op.create_index("ix_ls_runs_mode_started_at", "ls_runs", ["mode", "started_at"])
    op.create_table(
        "ls_exceptions",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _at("created_at"),
        _at("resolved_at", nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["ls_runs.run_id"], name="fk_ls_exceptions_run_id"),
        sa.PrimaryKeyConstraint("id", name="pk_ls_exceptions"),
    )
    op.create_index("ix_ls_exceptions_run_id", "ls_exceptions", ["run_id"])
    op.create_index("ix_ls_exceptions_entity_key", "ls_exceptions", ["entity", "key"])


def downgrade() -> None:
    for table in ("ls_exceptions", "ls_runs", "ls_queue", "ls_sync_state", "ls_golden"):
        op.drop_table(table)
    op.drop_table("ls_xrefs")
