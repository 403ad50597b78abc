"""The sync tests' world: an app database (SQLite, MariaDB or PostgreSQL) and the test
org, bound by one ``lockstep.yaml``, and the looks at both sides and at the ledger the
tests need. The reconcile and control tests stand on it too (all three share one org,
``SYNC_ORG``), and so does ``bench/sync_bench.py``.

The app has four tables, the org their four objects (``sync_org.yaml``):

| entity | owner | app table | Salesforce |
|---|---|---|---|
| customer | app (``phone``: crm) | ``customers`` | Account |
| contact → customer | app | ``contacts`` | Contact |
| contract | crm | ``contracts`` (a read copy) | ``Contract__c`` |
| usage → contract | app, locked once its contract is Fulfilled | ``usages`` | ``Usage__c`` |

Each app row the app owns gets its Salesforce Id, its global id and a sync status
written back; each Salesforce record carries the global id, which is its upsert key.

``start`` makes a world ready for a test: the app's tables, the config, and a first pass
already run, so the app's triggers are installed (rows written before it are not
captured: the initial load is ``lockstep migrate``'s).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
import yaml
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce.api import Salesforce

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.connectors.base import Connector
from lockstep.connectors.factory import open_connector
from lockstep.ledger import Ledger, RecordException
from lockstep.ledger.tables import queue as queue_table
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.sync.run import Open, Options, sync_once
from tests.support.databases import create_tables
from tests.support.emulators import OrgSpec

ORG_SCHEMA = Path(__file__).with_name("sync_org.yaml")
CLIENT_SECRET = "sync-tests-secret"
SYNC_ORG = OrgSpec(ORG_SCHEMA, CLIENT_SECRET)
WORKER = "sync-tests"


def app_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """The service app's tables, in types every dialect has."""

    def housekeeping(*ids: str) -> list[sa.Column[Any]]:
        return [sa.Column(name, sa.String(40)) for name in ids] + [
            sa.Column("sync_status", sa.String(20))
        ]

    tables = [
        sa.Table(
            "customers",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(120), nullable=False),
            sa.Column("phone", sa.String(40)),
            *housekeeping("sf_id", "gid"),
        ),
        sa.Table(
            "contacts",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("last_name", sa.String(80), nullable=False),
            sa.Column("email", sa.String(120)),
            sa.Column("customer_id", sa.Integer),
            *housekeeping("sf_id", "gid"),
        ),
        sa.Table(
            "contracts",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("salesforce_id", sa.String(18), unique=True),  # the upsert key
            sa.Column("name", sa.String(80)),
            sa.Column("status", sa.String(20)),
            sa.Column("units", sa.Integer),
        ),
        sa.Table(
            "usages",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("ad_name", sa.String(80), nullable=False),
            sa.Column("units", sa.Integer),
            sa.Column("contract_id", sa.Integer),
            *housekeeping("salesforce_id", "global_id"),
        ),
    ]
    return {t.name: t for t in tables}


def create_app(url: str) -> None:
    """The app's tables, empty, at ``url``."""
    create_tables(url, app_tables)


def config_of(info: EmulatorInfo, sql_url: str, directory: Path) -> dict[str, Any]:
    """The tests' ``lockstep.yaml`` as a dict: edit it, then ``World.write_config``."""
    triggers = {"mode": "triggers"}
    poll = {"mode": "poll"}

    def back(id_field: str) -> dict[str, Any]:
        return {"ids": {"crm": id_field}, "status": {"field": "sync_status"}}

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
                        "write_back": back("sf_id"),
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
                        "write_back": back("sf_id"),
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
            "contract": {
                "owner": "crm",
                "fields": {
                    "name": {"type": "string", "required": True},
                    "status": "string",
                    "units": "integer",
                },
                "bindings": {
                    "crm": {
                        "object": "Contract__c",
                        "fields": {"name": "Name", "status": "Status__c", "units": "Units__c"},
                        "capture": poll,
                    },
                    "app": {
                        "table": "contracts",
                        "key": "id",
                        "external_id": "salesforce_id",
                        "fields": {"name": "name", "status": "status", "units": "units"},
                        "capture": triggers,
                    },
                },
            },
            "usage": {
                "owner": "app",
                "lock": "contract.status == 'Fulfilled'",
                "fields": {"ad_name": {"type": "string", "required": True}, "units": "integer"},
                "references": {"contract": {"entity": "contract", "required": True}},
                "bindings": {
                    "app": {
                        "table": "usages",
                        "key": "id",
                        "global_id_field": "global_id",
                        "fields": {
                            "ad_name": "ad_name",
                            "units": "units",
                            "contract": "contract_id",
                        },
                        "capture": triggers,
                        "write_back": back("salesforce_id"),
                    },
                    "crm": {
                        "object": "Usage__c",
                        "external_id": "Lockstep_Id__c",
                        "global_id_field": "Lockstep_Id__c",
                        "fields": {
                            "ad_name": "Name",
                            "units": "Units__c",
                            "contract": "Contract__c",
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


# -- Salesforce going down ------------------------------------------------------------

DOWN = {
    "kind": "http_error",
    "status": 503,
    "error_code": "SERVER_UNAVAILABLE",
    "message": "down for maintenance",
    "match": {"path": "^/services/data/"},
}


def down_after_connecting(system: str, go_down: Callable[[], None]) -> Open:
    """``open_connector``, but ``system`` goes down as soon as the pass has checked it."""

    def open_(name: str, config: SalesforceSystem | SqlSystem) -> Connector:
        connector = open_connector(name, config)
        if name == system:
            check = connector.check

            def check_then_go_down() -> None:
                check()
                go_down()

            connector.check = check_then_go_down  # type: ignore[method-assign]
        return connector

    return open_


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

    def sync(self, *entities: str, connect: Open | None = None) -> Summary:
        """One ``sync_once`` pass, in-process, on the config as it is now."""
        loaded = self.write_config()
        options = Options(entities=entities or None, worker=WORKER)
        if connect is None:
            return sync_once(loaded, options, progress=Progress())
        return sync_once(loaded, options, progress=Progress(), connect=connect)

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

    # -- the ledger and the reports ----------------------------------------------------

    @contextmanager
    def ledger(self) -> Iterator[Ledger]:
        with Ledger.open(self.ledger_url) as ledger:
            yield ledger

    def let_retries_come_due(self) -> int:
        """Let the retry time of every pending queue item pass; how many there were.

        A pass opens the ledger with the wall clock, so a test cannot move the ledger's
        time, and ``Ledger.requeue`` would also reset the items' ``attempts``, which the
        passing of time does not. So this is one UPDATE of the queue table: pending
        items become available now, all else as it was."""
        with self.ledger() as ledger, ledger.transaction() as conn:
            stmt = (
                sa.update(queue_table)
                .where(queue_table.c.state == "pending")
                .values(available_at=ledger.now())
            )
            return conn.execute(stmt).rowcount

    def exceptions(self, summary: Summary) -> list[dict[str, str]]:
        """The run's ``exceptions.csv``."""
        with (Path(summary.reports) / "exceptions.csv").open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))

    def stored_exceptions(self, summary: Summary) -> list[RecordException]:
        """Every exception row the run stored, open or closed."""
        with self.ledger() as ledger:
            return list(ledger.exceptions(run_id=summary.run_id, unresolved_only=False))


W = TypeVar("W", bound=World)


def start(world: W) -> W:
    """``world`` with the app's tables, its config, and a first pass run, which found
    nothing to carry."""
    create_app(world.sql_url)
    world.config = config_of(world.info, world.sql_url, world.directory)
    first = world.sync()
    assert first.status == "done", first.notes
    assert first.counts.selected == 0, first.as_dict()
    return world
