"""``Ledger``: lockstep's state, one object over one database.

Open it with ``Ledger.open(url)``, which brings the schema up to date first
(``Ledger(engine)`` wraps an engine from ``open_engine`` that is migrated already). Its
methods come from the parts it combines, one module each:

- ``xrefs``: global ids and their native ids in each system,
- ``golden``: golden records and per-system sync fingerprints,
- ``queue``: the change queue,
- ``runs``: command runs and per-record exceptions,
- ``failures``: a record's failures ended: superseded, re-driven, set aside,
- ``telemetry``, ``cursors``, ``settings``.

Every method takes ``conn=``: inside ``with ledger.transaction() as conn:`` pass it on,
and all the changes commit together or none does.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.engine import URL

from lockstep.ledger.base import Clock, utcnow
from lockstep.ledger.cursors import CursorStore
from lockstep.ledger.engine import open_engine, upgrade
from lockstep.ledger.failures import FailureStore
from lockstep.ledger.golden import GoldenStore
from lockstep.ledger.queue import QueueStore
from lockstep.ledger.runs import RunStore
from lockstep.ledger.settings import SettingStore
from lockstep.ledger.telemetry import TelemetryStore
from lockstep.ledger.xrefs import XrefStore

DEFAULT_URL = "sqlite:///.lockstep/ledger.db"


class Ledger(
    XrefStore,
    GoldenStore,
    QueueStore,
    RunStore,
    FailureStore,
    TelemetryStore,
    CursorStore,
    SettingStore,
):
    """lockstep's durable state; see the module docstring."""

    @classmethod
    def open(cls, url: str | URL = DEFAULT_URL, *, clock: Clock = utcnow) -> Ledger:
        """Connect to the ledger at ``url``, creating or migrating its schema."""
        engine = open_engine(url)
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
