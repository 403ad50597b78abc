"""The reconcile tests' world: the sync tests' world (``tests.support.sync_world``) with
``reconcile`` to check (and repair) the records ``sync_once`` put in step, a way to
drop capture so that the app can drift unseen, and the looks at the reports the tests
need. The tests use its customers (app-owned, ``phone`` owned by crm) and contacts.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from simple_salesforce.api import Salesforce

from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.sync.run import Options as SyncOptions
from lockstep.sync.run import sync_once
from tests.support.looks import count, data_writes, soql
from tests.support.sync_world import WORKER
from tests.support.sync_world import World as SyncWorld

CAPTURED = ("customers", "contacts")  # the app tables the tests let drift

__all__ = [  # the sync world's looks the tests take from here too
    "World",
    "accounts",
    "actions",
    "count",
    "csv_rows",
    "data_writes",
    "diff",
    "diff_of",
    "soql",
]


# -- looks at the org ------------------------------------------------------------------


def accounts(sf: Salesforce) -> dict[str, dict[str, Any]]:
    """Every Account by its Id."""
    rows = soql(sf, "SELECT Id, Name, Phone, Global_Customer_Id__c, SystemModstamp FROM Account")
    return {str(r["Id"]): r for r in rows}


# -- reports ---------------------------------------------------------------------------


def csv_rows(summary: Summary, name: str) -> list[dict[str, str]]:
    """The rows of one of the run's CSV reports."""
    with (Path(summary.reports) / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def diff(summary: Summary) -> list[dict[str, str]]:
    """The run's ``diff.csv``."""
    return csv_rows(summary, "diff.csv")


def diff_of(summary: Summary, entity: str = "customer") -> dict[tuple[str, str], dict[str, str]]:
    """``diff.csv``'s rows of ``entity`` by (the record's key in the source, the target
    system); each (source key, target) once."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for row in diff(summary):
        if row["entity"] != entity:
            continue
        key = (row["source_key"], row["target_system"])
        assert key not in found, f"two diff rows for {key}: {found[key]} and {row}"
        found[key] = row
    return found


def actions(rows: Mapping[Any, Mapping[str, str]]) -> dict[Any, str]:
    return {key: row["action"] for key, row in rows.items()}


# -- one test's world ------------------------------------------------------------------


@dataclass
class World(SyncWorld):
    """The sync tests' world, with reconcile."""

    capture_dropped: bool = False  # the next pass repairs capture, as an operator would

    def sync(self) -> Summary:  # type: ignore[override]
        """One ``sync_once`` pass, in-process, which must end ``done``. After
        ``drop_capture`` it is the repair pass (``--repair-capture``) the stopped
        capture asks for."""
        if self.capture_dropped:
            self.capture_dropped = False
            options = SyncOptions(worker=WORKER, repair_capture=True)
            summary = sync_once(self.write_config(), options, progress=Progress())
        else:
            summary = super().sync()
        assert summary.status == "done", summary.notes
        return summary

    def settle(self) -> None:
        """Passes until one reads nothing: what was saved has gone everywhere, and the
        echoes of lockstep's own writes have been read."""
        for _ in range(4):
            if self.sync().counts.selected == 0:
                return
        raise AssertionError("sync does not settle")

    def reconcile(
        self,
        *,
        apply: bool = False,
        entities: tuple[str, ...] = (),
        every: bool = False,
        allow_mass_delete: bool = False,
    ) -> Summary:
        """``reconcile`` in-process; ``every``: ``--all``, ``diff.csv`` a row per record
        and system (else only the differences)."""
        options = ReconcileOptions(
            entities=entities or None,
            apply=apply,
            worker=WORKER,
            every=every,
            allow_mass_delete=allow_mass_delete,
        )
        return reconcile(self.write_config(), options, progress=Progress())

    def drop_capture(self, *tables: str) -> None:
        """Drop lockstep's triggers on ``tables`` (all captured ones by default): what
        the app does from now on, sync does not see. A pass would stop on it (broken
        capture), so the next ``sync`` is a repair pass that installs them again."""
        self.capture_dropped = True
        with self.app() as conn:
            for table in tables or CAPTURED:
                if conn.dialect.name == "postgresql":  # triggers are named per table there
                    found = conn.execute(
                        sa.text(
                            "SELECT quote_ident(tgname) FROM pg_trigger WHERE NOT tgisinternal "
                            "AND tgrelid = to_regclass(:t) AND tgname LIKE 'lockstep%'"
                        ),
                        {"t": table},
                    )
                    for name in found.scalars().all():
                        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
                    continue
                for op in ("ins", "upd", "del"):
                    conn.execute(sa.text(f"DROP TRIGGER IF EXISTS lockstep_{table}_{op}"))

    def capture_installed(self, table: str) -> int:
        """How many of lockstep's triggers ``table`` has."""
        with self.app() as conn:
            if conn.dialect.name == "sqlite":
                query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"
            else:
                query = (
                    "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS "
                    "WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = :t"
                )
            names = conn.execute(sa.text(query), {"t": table}).scalars().all()
        return sum(1 for n in names if str(n).startswith(f"lockstep_{table}_"))
