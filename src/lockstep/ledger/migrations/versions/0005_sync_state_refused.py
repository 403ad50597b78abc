"""What a system last offered that lockstep refused, beside what it last agreed on:
``ls_sync_state.refused_print``; ``fingerprint`` is empty while nothing was agreed.

A change that could not be carried leaves its origin's agreed fingerprint as it was
(the origin holds something lockstep did not agree to); the refused fingerprint,
stored with the change's failure, lets the next pass know the echo of the status
written back for it.

Revision ID: 0005_sync_state_refused
Revises: 0003_queue_error_code
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_sync_state_refused"
down_revision: str | None = "0004_record_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ls_sync_state") as batch:
        batch.alter_column("fingerprint", existing_type=sa.String(64), nullable=True)
        batch.add_column(sa.Column("refused_print", sa.String(64), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM ls_sync_state WHERE fingerprint IS NULL")
    with op.batch_alter_table("ls_sync_state") as batch:
        batch.drop_column("refused_print")
        batch.alter_column("fingerprint", existing_type=sa.String(64), nullable=False)
