"""A SQL database as a lockstep system: PostgreSQL, MariaDB or SQLite, through
SQLAlchemy Core.

Read in the order data flows: ``engine`` (connect), ``types`` and ``describe`` (what
a table is), ``snapshot`` (read it all), ``capture`` (read what changed), ``apply``
with ``writes`` and ``upsert`` (write), ``classify`` (what a database error means),
and ``connector``, which puts them behind ``lockstep.connectors.base.Connector``.
"""

from lockstep.connectors.sql.connector import SqlConnector

__all__ = ["SqlConnector"]
