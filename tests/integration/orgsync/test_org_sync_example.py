"""Seed 002 end to end: the org-sync example's hub on SQLite (as in the example) and on
MariaDB (as the seed asks), two emulator orgs, one Global Customer ID everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from lockstep_emulator.client import EmulatorInfo
from orgsync_helpers import prepare, soql

from lockstep.demo import hub_data
from lockstep.migrate.run import Options, run
from lockstep.reports.progress import Progress


@pytest.mark.parametrize(
    "hub_kind",
    [pytest.param("sqlite", id="sqlite"), pytest.param("mariadb", marks=pytest.mark.mariadb)],
)
def test_one_global_customer_id_in_the_hub_and_both_orgs(
    hub_kind: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    orgs: tuple[EmulatorInfo, EmulatorInfo],
) -> None:
    hub_url: str = request.getfixturevalue(f"{hub_kind}_url")
    loaded, fsc, sales = prepare(hub_url, tmp_path, *orgs)

    first = run(loaded, Options("migrate"), progress=Progress())
    assert first.status == "done"
    assert first.counts.failed == 0
    assert first.by_entity["customer"].matched == len(hub_data.IN_FSC) + len(hub_data.IN_SALES)

    engine = sa.create_engine(hub_url)
    with engine.connect() as conn:
        hub = conn.execute(
            sa.text(
                "SELECT customer_id, global_customer_id, fsc_account_id, sales_account_id "
                "FROM customers ORDER BY customer_id"
            )
        ).all()
        contacts = conn.execute(
            sa.text("SELECT COUNT(*) FROM contacts WHERE fsc_contact_id IS NULL")
        )
        assert contacts.scalar_one() == 0
    engine.dispose()
    assert len(hub) == 30
    for sf, column in ((fsc, 2), (sales, 3)):
        accounts = {
            r["Global_Customer_Id__c"]: r["Id"]
            for r in soql(sf, "SELECT Id, Global_Customer_Id__c FROM Account")
        }
        assert len(accounts) == 30  # the pre-existing ones were linked, not duplicated
        assert {row[1]: row[column] for row in hub} == accounts
        orphans = soql(sf, "SELECT Id FROM Contact WHERE AccountId = null")
        assert orphans == []
        assert len(soql(sf, "SELECT Id FROM Contact")) == 60

    again = run(loaded, Options("migrate"), progress=Progress())
    assert (again.counts.created, again.counts.updated, again.counts.matched) == (0, 0, 0)
