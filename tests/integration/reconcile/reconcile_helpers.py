"""The reconcile tests' world: an app database (SQLite or MariaDB) and the test org,
bound by one ``lockstep.yaml``, with ``sync_once`` to put records in step and
``reconcile`` to check (and repair) them, and the looks at both sides the tests need.

| entity | owner | app table | Salesforce |
|---|---|---|---|
| customer | app (``phone``: crm) | ``customers`` | Account |
| contact → customer | app | ``contacts`` | Contact |

Each app row gets its Salesforce Id, its global id and a sync status written back;
each Salesforce record carries the global id, which is its upsert key. (A trimmed copy
of the sync tests' world: test folders are not packages.)
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from simple_salesforce.api import Salesforce

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.emulator.admin_client import AdminClient
from lockstep.emulator.client import EmulatorInfo
from lockstep.ledger import Ledger
from lockstep.ledger.tables import queue as queue_table
from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.sync.run import Options, sync_once

ORG_SCHEMA = Path(__file__).with_name("reconcile_org.yaml")
CLIENT_SECRET = "reconcile-tests-secret"
WORKER = "reconcile-tests"
CAPTURED = ("customers", "contacts")  # the app tables lockstep's triggers watch

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


def app_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """The app's tables, in types every dialect has."""

    def housekeeping() -> list[sa.Column[Any]]:
        return [
            sa.Column("sf_id", sa.String(40)),
            sa.Column("gid", sa.String(40)),
            sa.Column("sync_status", sa.String(20)),
        ]

    tables = [
        sa.Table(
            "customers",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(120), nullable=False),
            sa.Column("phone", sa.String(40)),
            *housekeeping(),
        ),
        sa.Table(
            "contacts",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("last_name", sa.String(80), nullable=False),
            sa.Column("email", sa.String(120)),
            sa.Column("customer_id", sa.Integer),
            *housekeeping(),
        ),
    ]
    return {t.name: t for t in tables}


def create_app(url: str) -> None:
    """The app's tables, empty, at ``url``."""
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        app_tables(metadata)
        metadata.create_all(engine)
    finally:
        engine.dispose()


def config_of(info: EmulatorInfo, sql_url: str, directory: Path) -> dict[str, Any]:
    """The tests' ``lockstep.yaml`` as a dict: edit it before the next run."""
    triggers = {"mode": "triggers"}
    poll = {"mode": "poll"}
    back = {"ids": {"crm": "sf_id"}, "status": {"field": "sync_status"}}
    return {
        "version": 1,
        "systems": {
            "app": {"kind": "sql", "url": sql_url},
            "crm": {
                "kind": "salesforce",
                "login_url": info.login_url,
                "ca_cert": info.ca_cert,
                "auth": {
                    "flow": "client_credentials",
                    "client_id": info.client_id,
                    "client_secret": info.client_secret,
                },
            },
        },
        "entities": {
            "customer": {
                "owner": "app",
                "field_owners": {"phone": "crm"},
                "fields": {"name": {"type": "string", "required": True}, "phone": "string"},
                "bindings": {
                    "app": {
                        "table": "customers",
                        "key": "id",
                        "global_id_field": "gid",
                        "fields": {"name": "name", "phone": "phone"},
                        "capture": triggers,
                        "write_back": back,
                    },
                    "crm": {
                        "object": "Account",
                        "external_id": "Global_Customer_Id__c",
                        "global_id_field": "Global_Customer_Id__c",
                        "fields": {"name": "Name", "phone": "Phone"},
                        "capture": poll,
                    },
                },
            },
            "contact": {
                "owner": "app",
                "fields": {"last_name": {"type": "string", "required": True}, "email": "string"},
                "references": {"account": "customer"},
                "bindings": {
                    "app": {
                        "table": "contacts",
                        "key": "id",
                        "global_id_field": "gid",
                        "fields": {
                            "last_name": "last_name",
                            "email": "email",
                            "account": "customer_id",
                        },
                        "capture": triggers,
                        "write_back": back,
                    },
                    "crm": {
                        "object": "Contact",
                        "external_id": "Global_Id__c",
                        "global_id_field": "Global_Id__c",
                        "fields": {
                            "last_name": "LastName",
                            "email": "Email",
                            "account": "AccountId",
                        },
                        "capture": poll,
                    },
                },
            },
        },
        "run": {
            "ledger": f"sqlite:///{directory / 'ledger.db'}",
            "reports": str(directory / "reports"),
        },
    }


# -- looks at the org ------------------------------------------------------------------


def soql(sf: Salesforce, query: str) -> list[dict[str, Any]]:
    """Every record ``query`` finds, without the ``attributes``."""
    records = sf.query_all(query)["records"]
    return [{k: v for k, v in r.items() if k != "attributes"} for r in records]


def count(sf: Salesforce, obj: str, where: str = "") -> int:
    clause = f" WHERE {where}" if where else ""
    return int(sf.query(f"SELECT COUNT() FROM {obj}{clause}")["totalSize"])


def accounts(sf: Salesforce) -> dict[str, dict[str, Any]]:
    """Every Account by its Id."""
    rows = soql(sf, "SELECT Id, Name, Phone, Global_Customer_Id__c, SystemModstamp FROM Account")
    return {str(r["Id"]): r for r in rows}


def data_writes(stats: Mapping[str, Any]) -> dict[str, int]:
    """The write calls to the org's data among the emulator's counted routes (not
    logins, not the admin API)."""
    writes = {}
    for route, n in stats["by_route"].items():
        method, _, path = route.partition(" ")
        if method in WRITE_METHODS and path.startswith("/services/data/"):
            writes[route] = n
    return writes


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
class World:
    """One test's app database, ledger, reports and config, and the shared org."""

    directory: Path
    sql_url: str
    info: EmulatorInfo
    sf: Salesforce
    admin: AdminClient
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.directory / "lockstep.yaml"

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.directory / 'ledger.db'}"

    def write_config(self) -> LoadedConfig:
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        return load_config(self.config_path)

    def sync(self) -> Summary:
        """One ``sync_once`` pass, in-process."""
        summary = sync_once(self.write_config(), Options(worker=WORKER), progress=Progress())
        assert summary.status == "done", summary.notes
        return summary

    def settle(self) -> None:
        """Passes until one reads nothing: what was saved has gone everywhere, and the
        echoes of lockstep's own writes have been read."""
        for _ in range(4):
            if self.sync().counts.selected == 0:
                return
        raise AssertionError("sync does not settle")

    def reconcile(self, *, apply: bool = False, entities: tuple[str, ...] = ()) -> Summary:
        options = ReconcileOptions(entities=entities or None, apply=apply, worker=WORKER)
        return reconcile(self.write_config(), options, progress=Progress())

    # -- the app's database ------------------------------------------------------------

    @contextmanager
    def app(self) -> Iterator[sa.Connection]:
        engine = sa.create_engine(self.sql_url)
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()

    def execute(self, statement: str, params: Any = None) -> None:
        """One statement (with a list of parameter dicts: executemany), committed."""
        with self.app() as conn:
            conn.execute(sa.text(statement), params or {})

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        with self.app() as conn:
            conn.execute(app_tables(sa.MetaData())[table].insert(), rows)

    def rows(self, table: str) -> dict[int, dict[str, Any]]:
        """Every row of ``table`` by its id."""
        with self.app() as conn:
            found = conn.execute(sa.text(f"SELECT * FROM {table}")).mappings().all()
        return {int(r["id"]): dict(r) for r in found}

    def drop_capture(self, *tables: str) -> None:
        """Drop lockstep's triggers on ``tables`` (all captured ones by default): what
        the app does from now on, sync does not see (a pass reinstalls them)."""
        with self.app() as conn:
            for table in tables or CAPTURED:
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

    # -- the ledger --------------------------------------------------------------------

    @contextmanager
    def ledger(self) -> Iterator[Ledger]:
        with Ledger.open(self.ledger_url) as ledger:
            yield ledger

    def let_retries_come_due(self) -> int:
        """Let the retry time of every pending queue item pass; how many there were
        (one UPDATE of the queue table: a run opens the ledger with the wall clock)."""
        with self.ledger() as ledger, ledger.transaction() as conn:
            stmt = (
                sa.update(queue_table)
                .where(queue_table.c.state == "pending")
                .values(available_at=ledger.now())
            )
            return conn.execute(stmt).rowcount
