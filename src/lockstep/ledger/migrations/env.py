"""Alembic's entry point for the ledger. lockstep runs it from
``lockstep.ledger.engine.upgrade``, which passes an open connection (inside a
transaction) as ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from lockstep.ledger.tables import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the ledger's migrations through lockstep.ledger.engine.upgrade")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
