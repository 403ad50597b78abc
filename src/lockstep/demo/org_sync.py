"""Seed 002 (MuleSoft org sync), narrated: a hub database's golden customers and
contacts go into two orgs that already hold some of them.

Accounts go first, then Contacts, into both orgs; the records already there are
linked, not duplicated, and the Global Customer ID ends up in the hub and both orgs.
Every claim is checked with SOQL or SQL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from lockstep_emulator.client import connect, start_emulator

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.demo import hub_data
from lockstep.demo.environment import copy_example, count, emulator_env
from lockstep.demo.narrator import Narrator
from lockstep.migrate.run import Options, run
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.validation.live import validate


def org_sync_scenario(n: Narrator, example: Path, work: Path) -> None:
    n.title("Seed 002 — org sync: a golden-record hub and two Salesforce orgs")
    copy_example(example, work, "lockstep.yaml", "org.yaml")
    hub_data.create(work / "hub.db")
    n.step("hub database: 40 customers, 100 contacts; each org already holds a few customers")
    schema = str(work / "org.yaml")
    with (
        start_emulator("--schema", schema) as fsc_org,
        start_emulator("--schema", schema) as sales_org,
    ):
        env = {
            **emulator_env("FSC", fsc_org.info),
            **emulator_env("SALES", sales_org.info),
            "HUB_DATABASE_URL": f"sqlite:///{work / 'hub.db'}",
        }
        fsc: Any = connect(fsc_org.info)
        sales: Any = connect(sales_org.info)
        for sf, ids in ((fsc, hub_data.IN_FSC), (sales, hub_data.IN_SALES)):
            for account in hub_data.existing_accounts(ids):
                sf.Account.create(account)
        loaded = load_config(work / "lockstep.yaml", environ=env)
        n.check("lockstep validate: two orgs and the hub", validate(loaded).ok)

        n.step("lockstep migrate: Accounts first, then Contacts, into both orgs")
        first = _migrate(loaded)
        n.summary(first)
        n.check(
            "records already in an org were linked, not duplicated",
            first.by_entity["customer"].matched == len(hub_data.IN_FSC) + len(hub_data.IN_SALES),
        )
        with sqlite3.connect(work / "hub.db") as db:
            gcid, fsc_id, sales_id = db.execute(
                "SELECT global_customer_id, fsc_account_id, sales_account_id FROM customers "
                "WHERE customer_id = 5"
            ).fetchone()
        in_fsc = fsc.query(f"SELECT Id FROM Account WHERE Global_Customer_Id__c = '{gcid}'")
        in_sales = sales.query(f"SELECT Id FROM Account WHERE Global_Customer_Id__c = '{gcid}'")
        n.check(
            f"customer 5 has Global Customer ID {gcid} in the hub and in both orgs",
            [r["Id"] for r in in_fsc["records"]] == [fsc_id]
            and [r["Id"] for r in in_sales["records"]] == [sales_id],
        )
        contacts = count(fsc, "SELECT Id FROM Contact WHERE AccountId != null")
        n.check("every Contact is attached to its Account in the FSC org", contacts == 100)
        again = _migrate(loaded)
        n.check(
            "a second run writes nothing", again.counts.created == 0 and again.counts.updated == 0
        )


def _migrate(loaded: LoadedConfig) -> Summary:
    return run(loaded, Options("migrate"), progress=Progress())
