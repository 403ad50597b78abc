"""The code of a queue item's last error, beside its text, for operators' queries.

Revision ID: 0003_queue_error_code
Revises: 0002_telemetry_cursors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_queue_error_code"
down_revision: str | None = "0002_telemetry_cursors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ls_queue") as batch:
        batch.add_column(sa.Column("last_error_code", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ls_queue") as batch:
        batch.drop_column("last_error_code")
