"""Seed 001's example (examples/service-app): the config loads clean as shipped, and
validates clean against an emulator org with the example's org.yaml and a service-app
database made by ``lockstep.demo.app_data``; the org does what the README says."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
import sqlalchemy as sa
from lockstep_emulator.client import EmulatorInfo, connect
from simple_salesforce.exceptions import SalesforceMalformedRequest

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.config.systems import SalesforceSystem
from lockstep.demo import app_data
from lockstep.validation.live import validate
from tests.support.emulators import OrgSpec

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "service-app"


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return OrgSpec(EXAMPLE / "org.yaml")


def load(tmp_path: Path, environ: dict[str, str]) -> LoadedConfig:
    shutil.copy(EXAMPLE / "lockstep.yaml", tmp_path / "lockstep.yaml")
    return load_config(tmp_path / "lockstep.yaml", environ=environ)


def client(info: EmulatorInfo) -> Any:
    http = requests.Session()
    http.verify, http.trust_env = info.ca_cert, False
    return connect(info, http)


def test_the_config_loads_clean_with_its_defaults(tmp_path: Path) -> None:
    # Where `lockstep emulator serve --data-dir .lockstep/service-org` puts its CA.
    ca_cert = tmp_path / ".lockstep" / "service-org" / "tls" / "ca.pem"
    ca_cert.parent.mkdir(parents=True)
    ca_cert.write_text("")
    loaded = load(tmp_path, {"SF_CLIENT_SECRET": "demo-secret"})

    outcome = validate(loaded, offline=True)
    assert outcome.ok
    assert outcome.cycles == ()
    config = loaded.config
    salesforce = config.systems["salesforce"]
    assert isinstance(salesforce, SalesforceSystem)
    assert salesforce.login_url == "https://127.0.0.1:8446"
    assert salesforce.ca_cert == ca_cert
    contract, usage = config.entities["contract"], config.entities["usage"]
    assert (contract.owner, usage.owner) == ("salesforce", "app")
    assert usage.lock == "contract.status == 'Fulfilled'"
    assert usage.references["contract"].entity == "contract"
    app = usage.bindings["app"]
    assert app.write_back is not None and app.write_back.status is not None
    assert app.write_back.ids == {"salesforce": "salesforce_id"}
    assert app.write_back.status.field == "sync_status"
    assert (app.capture and app.capture.mode, usage.bindings["salesforce"].external_id) == (
        "triggers",
        "Lockstep_Id__c",
    )


def test_it_validates_clean_against_the_org_and_the_app_database(
    tmp_path: Path, sqlite_url: str, org: EmulatorInfo
) -> None:
    app_data.create(sqlite_url)
    loaded = load(
        tmp_path,
        {
            "SF_LOGIN_URL": org.login_url,
            "SF_CA_CERT": org.ca_cert,
            "SF_CLIENT_ID": org.client_id,
            "SF_CLIENT_SECRET": org.client_secret,
            "APP_DATABASE_URL": sqlite_url,
        },
    )

    outcome = validate(loaded)
    assert outcome.problems == ()
    assert outcome.unreachable == ()
    assert outcome.ok
    assert outcome.checked == {"systems": 2, "entities": 2, "bindings": 4, "fields": 18}


def test_the_org_sums_usages_and_refuses_changes_once_fulfilled(org: EmulatorInfo) -> None:
    sf = client(org)
    record = next(c for c in app_data.contracts() if c["Name"] == "MA-002")
    contract = sf.Contract__c.create(record)["id"]
    for n in (1, 2, 2):  # the second upsert of 2 is a retry: it updates, never duplicates
        usage = {"Name": f"small ad {n}", "Contract__c": contract, "Product__c": "Small"}
        sf.Usage__c.upsert(f"Lockstep_Id__c/gid-{n}", usage)
    assert sf.Contract__c.get(contract)["Units_Used__c"] == 2

    sf.Contract__c.update(contract, {"Status__c": "Fulfilled"})
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Usage__c.upsert("Lockstep_Id__c/gid-1", {"Units__c": 3})
    assert refused.value.content[0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert sf.Contract__c.get(contract)["Units_Used__c"] == 2


def test_ads_are_booked_on_the_active_contracts_the_app_has_read(sqlite_url: str) -> None:
    app_data.create(sqlite_url)
    contracts, usages = app_data.tables(sa.MetaData())
    engine = sa.create_engine(sqlite_url)
    try:
        with engine.begin() as conn:  # as a sync writes them: Django's choice keys
            conn.execute(
                contracts.insert(),
                [
                    {
                        "salesforce_id": f"a00H8000000000{n}IAA",
                        "name": name,
                        "customer_name": customer,
                        "product": product.lower(),
                        "units": units,
                        "status": status.lower(),
                    }
                    for n, (name, customer, product, units, status) in enumerate(
                        app_data.CONTRACTS, start=1
                    )
                ],
            )
        assert app_data.seed_usages(sqlite_url, per_contract=3) == 3 + 3 + 3 + 3 + 2
        assert app_data.seed_usages(sqlite_url, per_contract=9) == 2 + 0 + 7 + 1 + 0  # the rest
        assert app_data.seed_usages(sqlite_url) == 0  # every unit sold is used
        with engine.connect() as conn:
            booked = conn.execute(
                sa.select(
                    contracts.c.name, usages.c.ad_name, usages.c.product, usages.c.sync_status
                )
                .join(usages, usages.c.contract_id == contracts.c.id)
                .order_by(usages.c.id)
            ).all()
    finally:
        engine.dispose()
    assert {row.name for row in booked} == {"MA-001", "MA-002", "NW-001", "CO-001", "FA-001"}
    assert len(booked) == 5 + 3 + 10 + 4 + 2  # CO-002 is a draft: nothing on it
    assert [row for row in booked if row.name == "FA-001"] == [
        ("FA-001", "Fabrikam Events: gigantic ad 1", "gigantic", None),
        ("FA-001", "Fabrikam Events: gigantic ad 2", "gigantic", None),
    ]


def test_the_contracts_print_as_a_seed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert app_data.main(["contracts"]) == 0
    printed = orjson.loads(capsys.readouterr().out)
    assert [c["Name"] for c in printed["Contract__c"]] == [c[0] for c in app_data.CONTRACTS]
