"""Exceptions that close: which record an exception row is of (``global_id``, and the
queue item that failed, ``seq``), and how it closed (``resolved_by``: the run that
closed it; ``resolution``: why, as people read it: synced, repaired, ignored by whom).

A record's exceptions close when a later change of it is carried, in the same
transaction that records the change's outcome; ``seq`` tells a later change from an
earlier one, and ``global_id`` finds the record's rows whatever system they name.

Revision ID: 0006_exceptions_close
Revises: 0005_sync_state_refused
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lockstep.ledger.sqltypes import BigId

revision = "0006_exceptions_close"
down_revision: str | None = "0005_sync_state_refused"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ls_exceptions") as batch:
        batch.add_column(sa.Column("global_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("seq", BigId, nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("resolution", sa.Text, nullable=True))
    op.create_index("ix_ls_exceptions_entity_global_id", "ls_exceptions", ["entity", "global_id"])
    op.create_index(
        "ix_ls_exceptions_entity_resolved_at", "ls_exceptions", ["entity", "resolved_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_ls_exceptions_entity_resolved_at", table_name="ls_exceptions")
    op.drop_index("ix_ls_exceptions_entity_global_id", table_name="ls_exceptions")
    with op.batch_alter_table("ls_exceptions") as batch:
        batch.drop_column("resolution")
        batch.drop_column("resolved_by")
        batch.drop_column("seq")
        batch.drop_column("global_id")
