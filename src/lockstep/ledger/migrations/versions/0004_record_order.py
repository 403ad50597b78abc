"""Per-record order: what each queued change's origin was known to hold when it was read
(``ls_queue.seen_print``, so an echo is judged as of capture), a lookup of a record's
changes by global id (the claim takes a record's changes together), and, per link, the
last change applied from that system (``ls_xrefs.seq``) and when the record was deleted
in its owner (``ls_xrefs.deleted_at``: a tombstone, kept instead of the link).

Revision ID: 0004_record_order
Revises: 0003_queue_error_code
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lockstep.ledger.sqltypes import BigId, UtcDateTime

revision = "0004_record_order"
down_revision: str | None = "0003_queue_error_code"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ls_queue") as batch:
        batch.add_column(sa.Column("seen_print", sa.String(64), nullable=True))
    op.create_index("ix_ls_queue_entity_global_id", "ls_queue", ["entity", "global_id"])
    with op.batch_alter_table("ls_xrefs") as batch:
        batch.add_column(sa.Column("seq", BigId, nullable=True))
        batch.add_column(sa.Column("deleted_at", UtcDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ls_xrefs") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("seq")
    op.drop_index("ix_ls_queue_entity_global_id", table_name="ls_queue")
    with op.batch_alter_table("ls_queue") as batch:
        batch.drop_column("seen_print")
