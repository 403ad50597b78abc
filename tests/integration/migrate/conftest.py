"""The migration's acceptance tests (issue #5) run the AMS example end to end: a real
emulator org with ``examples/ams-migration/org.yaml``, an AMS database on SQLite or
MariaDB, and ``lockstep plan|migrate|relink`` in-process on a config in ``tmp_path``.

``ams_url`` is parametrized over the SQL side; a test that only needs one side narrows
it with ``@pytest.mark.parametrize("ams_url", ["sqlite"], indirect=True)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lockstep_emulator.client import EmulatorInfo, connect, start_emulator
from migrate_helpers import CLIENT_SECRET, ORG_SCHEMA, Admin, Workspace, create_ams, write_config
from simple_salesforce.api import Salesforce


@pytest.fixture(scope="session")
def org() -> Iterator[EmulatorInfo]:
    """The AMS org: Account and Contact with external ids and the dues rule."""
    with start_emulator("--schema", str(ORG_SCHEMA), "--client-secret", CLIENT_SECRET) as p:
        yield p.info


@pytest.fixture(scope="session")
def admin(org: EmulatorInfo) -> Admin:
    return Admin(org)


@pytest.fixture
def sf(org: EmulatorInfo, admin: Admin) -> Iterator[Salesforce]:
    """simple-salesforce on an empty org (reset for each test)."""
    admin.reset()
    admin.reset_stats()
    with requests.Session() as http:
        http.verify, http.trust_env = org.ca_cert, False
        yield connect(org, http)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
    ]
)
def ams_url(request: pytest.FixtureRequest) -> str:
    """An empty database of the kind named by the parameter."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def ws(tmp_path: Path, org: EmulatorInfo, admin: Admin, sf: Salesforce, ams_url: str) -> Workspace:
    """The default AMS data (60 companies, 200 individuals) and its config."""
    create_ams(ams_url)
    return Workspace(tmp_path, write_config(tmp_path, org, ams_url), ams_url, org, sf, admin)
