"""An emulator of the Bulk API 2.0 tests' own (they load hundreds of thousands of
records, which the shared org's other tests should not see), simple-salesforce logged
in to it, and a raw HTTP client for what simple-salesforce cannot send."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from bulk2_helpers import Bulk2Http
from lockstep_emulator.client import EmulatorInfo, connect, start_emulator
from simple_salesforce import Salesforce

SCHEMA = Path(__file__).parent.parent / "schema.yaml"


@pytest.fixture(scope="session")
def bulk_emulator() -> Iterator[EmulatorInfo]:
    with start_emulator("--schema", str(SCHEMA)) as process:
        yield process.info


@pytest.fixture(scope="session")
def bulk_sf(bulk_emulator: EmulatorInfo) -> Iterator[Salesforce]:
    with requests.Session() as session:
        session.verify = bulk_emulator.ca_cert
        session.trust_env = False
        yield connect(bulk_emulator, session)


@pytest.fixture
def bulk_http(bulk_sf: Salesforce) -> Bulk2Http:
    return Bulk2Http(bulk_sf, bulk_sf.session)
