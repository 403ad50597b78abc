"""An emulator of the Bulk API 1.0 tests' own, the ``salesforce_bulk`` client pointed
at it, and a raw HTTP session for what that client cannot send (JSON jobs, bad input).

``salesforce_bulk`` calls ``requests.post``/``get`` directly, so it trusts the
emulator's CA through ``REQUESTS_CA_BUNDLE``; its instance URL is passed as ``host``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from bulk1_helpers import VERSION
from lockstep_emulator.client import EmulatorInfo, connect, start_emulator
from salesforce_bulk import SalesforceBulk
from simple_salesforce import Salesforce

SCHEMA = Path(__file__).parent.parent / "schema.yaml"


@pytest.fixture(scope="session")
def bulk1_emulator() -> Iterator[EmulatorInfo]:
    with start_emulator("--schema", str(SCHEMA)) as process:
        yield process.info


@pytest.fixture(scope="session")
def bulk1_sf(bulk1_emulator: EmulatorInfo) -> Iterator[Salesforce]:
    with requests.Session() as session:
        session.verify = bulk1_emulator.ca_cert
        session.trust_env = False
        yield connect(bulk1_emulator, session)


@pytest.fixture
def bulk(
    bulk1_emulator: EmulatorInfo, bulk1_sf: Salesforce, monkeypatch: pytest.MonkeyPatch
) -> SalesforceBulk:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bulk1_emulator.ca_cert)
    return SalesforceBulk(
        sessionId=bulk1_sf.session_id, host=bulk1_emulator.instance_url, API_version=VERSION
    )


@pytest.fixture
def raw(bulk1_emulator: EmulatorInfo, bulk1_sf: Salesforce) -> Iterator[requests.Session]:
    """``requests`` with the session header set; URLs from ``bulk1_helpers.base_url``."""
    with requests.Session() as session:
        session.verify = bulk1_emulator.ca_cert
        session.trust_env = False
        session.headers["X-SFDC-Session"] = bulk1_sf.session_id
        yield session
