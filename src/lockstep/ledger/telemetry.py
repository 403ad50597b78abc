"""Telemetry: measurements of each system's usage, failures and efficiency for the
dashboard and alerts, kept a week by default."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select

from lockstep.ledger.base import LedgerBase
from lockstep.ledger.rows import Metric
from lockstep.ledger.tables import telemetry

RETENTION = timedelta(days=7)


class TelemetryStore(LedgerBase):
    def record_metric(
        self,
        system: str,
        metric: str,
        value: float,
        labels: Mapping[str, Any] | None = None,
        *,
        at: datetime | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Record one measurement, at ``at`` (now by default)."""
        row = {
            "at": at or self.now(),
            "system": system,
            "metric": metric,
            "value": float(value),
            "labels": None if labels is None else dict(labels),
        }
        with self._write(conn) as c:
            c.execute(telemetry.insert(), row)

    def metrics(
        self,
        since: datetime,
        *,
        system: str | None = None,
        metric: str | None = None,
        conn: Connection | None = None,
    ) -> list[Metric]:
        """Measurements taken at or after ``since``, oldest first."""
        stmt = select(telemetry).where(telemetry.c.at >= since).order_by(telemetry.c.at)
        if system is not None:
            stmt = stmt.where(telemetry.c.system == system)
        if metric is not None:
            stmt = stmt.where(telemetry.c.metric == metric)
        with self._read(conn) as c:
            return [Metric(**row._mapping) for row in c.execute(stmt)]

    def prune_telemetry(
        self, older_than: timedelta = RETENTION, *, conn: Connection | None = None
    ) -> int:
        """Delete measurements taken more than ``older_than`` ago; how many."""
        stmt = delete(telemetry).where(telemetry.c.at < self.now() - older_than)
        with self._write(conn) as c:
            return c.execute(stmt).rowcount
