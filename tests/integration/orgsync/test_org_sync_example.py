"""Seed 002 end to end: the org-sync example's hub on SQLite (as in the example) and on
MariaDB (as the seed asks), two emulator orgs, one Global Customer ID everywhere."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from lockstep.config.loader import load_config
from lockstep.demo import hub_data
from lockstep.emulator.client import EmulatorInfo, connect, start_emulator
from lockstep.migrate.run import Options, run
from lockstep.reports.progress import Progress

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "org-sync"


@pytest.fixture(scope="module")
def orgs() -> Iterator[tuple[EmulatorInfo, EmulatorInfo]]:
    schema = str(EXAMPLE / "org.yaml")
    with start_emulator("--schema", schema) as fsc, start_emulator("--schema", schema) as sales:
        yield fsc.info, sales.info


def env(prefix: str, info: EmulatorInfo) -> dict[str, str]:
    return {
        f"{prefix}_LOGIN_URL": info.login_url,
        f"{prefix}_CA_CERT": info.ca_cert,
        f"{prefix}_CLIENT_ID": info.client_id,
        f"{prefix}_CLIENT_SECRET": info.client_secret,
    }


def client(info: EmulatorInfo) -> Any:
    http = requests.Session()
    http.verify, http.trust_env = info.ca_cert, False
    return connect(info, http)


def soql(sf: Any, query: str) -> list[dict[str, Any]]:
    return list(sf.query_all(query)["records"])


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
    hub_data.create(hub_url, customers=30, contacts=60)
    fsc_info, sales_info = orgs
    fsc, sales = client(fsc_info), client(sales_info)
    for sf, ids in ((fsc, hub_data.IN_FSC), (sales, hub_data.IN_SALES)):
        for obj in ("Contact", "Account"):
            for row in soql(sf, f"SELECT Id FROM {obj}"):
                getattr(sf, obj).delete(row["Id"])
        for account in hub_data.existing_accounts(ids):
            sf.Account.create(account)
    shutil.copy(EXAMPLE / "lockstep.yaml", tmp_path / "lockstep.yaml")
    environ = {**env("FSC", fsc_info), **env("SALES", sales_info), "HUB_DATABASE_URL": hub_url}
    loaded = load_config(tmp_path / "lockstep.yaml", environ=environ)

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
