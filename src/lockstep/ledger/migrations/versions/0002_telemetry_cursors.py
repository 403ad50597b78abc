"""Telemetry, capture cursors and small settings; the bulk job id on exceptions.

Revision ID: 0002_telemetry_cursors
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_telemetry_cursors"
down_revision: str | None = "0001_initial"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ls_telemetry",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ls_telemetry"),
    )
    op.create_index("ix_ls_telemetry_at", "ls_telemetry", ["at"])
    op.create_table(
        "ls_cursors",
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("object", sa.String(255), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "object", name="pk_ls_cursors"),
    )
    op.create_table(
        "ls_meta",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_ls_meta"),
    )
    with op.batch_alter_table("ls_exceptions") as batch:
        batch.add_column(sa.Column("job_id", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ls_exceptions") as batch:
        batch.drop_column("job_id")
    for table in ("ls_meta", "ls_cursors", "ls_telemetry"):
        op.drop_table(table)
