"""Seed 000 as the re-drive tests need it: an external case system (a SQL table, the
source of truth, so the owner) and Salesforce ``Case`` (the entry point), bound by one
``lockstep.yaml``. Each side gets the other's id and a sync status written back, and
the canonical ``subject`` is required, so a Case created without a Subject fails
(``INVALID``) and says Failed until someone adds one.

``start_cases`` makes a world ready: the ``cases`` table, the config, and a first pass
run (the table's triggers installed). The org is ``CASE_ORG`` (``case_org.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from lockstep_emulator.client import EmulatorInfo

from lockstep.ledger.tables import queue as queue_table
from tests.support.databases import create_tables
from tests.support.emulators import OrgSpec
from tests.support.sync_world import World

CASE_ORG = OrgSpec(Path(__file__).with_name("case_org.yaml"), "case-tests-secret")
CASE_FIELDS = "Id, Subject, Description, Sync_Status__c, Lockstep_Id__c, External_Id__c"


def case_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "cases",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject", sa.String(400)),
        sa.Column("description", sa.String(400)),
        sa.Column("email", sa.String(120)),
        sa.Column("sf_id", sa.String(18)),
        sa.Column("gid", sa.String(40)),
        sa.Column("sync_status", sa.String(20)),
    )


def case_config(info: EmulatorInfo, sql_url: str, directory: Path) -> dict[str, Any]:
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
            "case": {
                "owner": "app",
                "fields": {
                    "subject": {"type": "string", "required": True},
                    "description": "string",
                    "email": "string",
                },
                "bindings": {
                    "app": {
                        "table": "cases",
                        "key": "id",
                        "global_id_field": "gid",
                        "fields": {
                            "subject": "subject",
                            "description": "description",
                            "email": "email",
                        },
                        "capture": {"mode": "triggers"},
                        "write_back": {"ids": {"crm": "sf_id"}, "status": {"field": "sync_status"}},
                    },
                    "crm": {
                        "object": "Case",
                        "external_id": "Lockstep_Id__c",
                        "global_id_field": "Lockstep_Id__c",
                        "fields": {
                            "subject": "Subject",
                            "description": "Description",
                            "email": "SuppliedEmail",
                        },
                        "capture": {"mode": "poll"},
                        "write_back": {
                            "ids": {"app": "External_Id__c"},
                            "status": {"field": "Sync_Status__c"},
                        },
                    },
                },
            },
        },
        "run": {
            "ledger": f"sqlite:///{directory / 'ledger.db'}",
            "reports": str(directory / "reports"),
        },
    }


def start_cases(world: World) -> World:
    """``world`` with the ``cases`` table, the case config, and a first pass run."""
    create_tables(world.sql_url, case_table)
    world.config = case_config(world.info, world.sql_url, world.directory)
    first = world.sync()
    assert first.status == "done", first.notes
    return world


def queue_states(world: World) -> dict[str, int]:
    """How many queue items are in each state (those with any)."""
    with world.ledger() as ledger:
        return {s: n for s, n in ledger.queue_counts().items() if n}


def open_exceptions(world: World) -> list[tuple[str, str, str]]:
    """``(system, key, code)`` of each open exception row."""
    with world.ledger() as ledger:
        return [(e.system, e.key, e.code) for e in ledger.exceptions()]


def failed_items(world: World) -> list[int]:
    with world.ledger() as ledger, ledger.engine.connect() as conn:
        stmt = sa.select(queue_table.c.id).where(queue_table.c.state.in_(["failed", "dead"]))
        return [int(i) for i in conn.scalars(stmt)]
