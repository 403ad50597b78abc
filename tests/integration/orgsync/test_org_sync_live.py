"""Seed 002 after the initial load: "on change", the hub's edits reach both orgs in
dependency order, a new hub customer gets one Global Customer ID in all three, and an
org's edit of a field the hub owns is a conflict the hub wins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from lockstep_emulator.client import EmulatorInfo
from orgsync_helpers import prepare, soql

from lockstep.config.loader import LoadedConfig
from lockstep.migrate.run import Options as MigrateOptions
from lockstep.migrate.run import run
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.sync.run import Options, sync_once


def sync(loaded: LoadedConfig) -> Summary:
    summary = sync_once(loaded, Options(), progress=Progress())
    assert summary.status == "done", summary.notes
    return summary


def accounts(sf: Any) -> dict[str, dict[str, Any]]:
    rows = soql(sf, "SELECT Id, Name, Phone, Global_Customer_Id__c FROM Account")
    return {r["Global_Customer_Id__c"]: r for r in rows}


@pytest.mark.parametrize(
    "hub_kind",
    [pytest.param("sqlite", id="sqlite"), pytest.param("mariadb", marks=pytest.mark.mariadb)],
)
def test_hub_changes_reach_both_orgs_and_the_hub_wins_its_fields(
    hub_kind: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    orgs: tuple[EmulatorInfo, EmulatorInfo],
) -> None:
    hub_url: str = request.getfixturevalue(f"{hub_kind}_url")
    loaded, fsc, sales = prepare(hub_url, tmp_path, *orgs, customers=12, contacts=20, capture=True)
    assert run(loaded, MigrateOptions("migrate"), progress=Progress()).status == "done"
    first = sync(loaded)
    assert first.counts.created == first.counts.updated == 0  # reads back, writes nothing

    hub = sa.create_engine(hub_url)
    try:
        with hub.begin() as conn:
            conn.execute(
                # a new value: an update that sets what the row holds already is no
                # change, and capture does not record it
                sa.text("UPDATE customers SET phone = '+1 555 0155' WHERE customer_id = 5")
            )
            conn.execute(
                sa.text(
                    "INSERT INTO customers (customer_id, name, country, segment, phone) "
                    "VALUES (99, 'Newcomer Holdings', 'DE', 'retail', '+49 30 1')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO contacts (contact_id, customer_id, first_name, last_name, email)"
                    " VALUES (999, 99, 'Nia', 'New', 'nia@newcomer.example')"
                )
            )
        changed = sync(loaded)
        assert changed.by_entity["customer"].created == 2  # the newcomer, in both orgs
        assert changed.by_entity["customer"].updated == 2  # customer 5's phone, in both
        assert changed.by_entity["contact"].created == 2  # after its account, in both

        with hub.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT global_customer_id, fsc_account_id, sales_account_id, phone "
                    "FROM customers WHERE customer_id IN (5, 99) ORDER BY customer_id"
                )
            ).all()
        (five_gid, *_), (new_gid, new_fsc, new_sales, _) = row
        for sf, new_id in ((fsc, new_fsc), (sales, new_sales)):
            found = accounts(sf)
            assert found[five_gid]["Phone"] == "+1 555 0155"
            assert found[new_gid]["Id"] == new_id  # one Global Customer ID, written back
            [contact] = soql(sf, "SELECT AccountId FROM Contact WHERE LastName = 'New'")
            assert contact["AccountId"] == new_id

        sync(loaded)  # the echoes of those writes
        fsc.Account.update(accounts(fsc)[five_gid]["Id"], {"Name": "Renamed in FSC"})
        conflict = sync(loaded)
        assert conflict.by_entity["customer"].updated == 1  # the hub's name, back in FSC
        exceptions = (Path(conflict.reports) / "exceptions.csv").read_text(encoding="utf-8-sig")
        assert ",CONFLICT," in exceptions
        with hub.connect() as conn:
            name = conn.execute(
                sa.text("SELECT name FROM customers WHERE customer_id = 5")
            ).scalar_one()
        assert accounts(fsc)[five_gid]["Name"] == name != "Renamed in FSC"
        assert accounts(sales)[five_gid]["Name"] == name
    finally:
        hub.dispose()
