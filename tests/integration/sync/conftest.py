"""The sync tests run ``lockstep.sync.run.sync_once`` in-process against one emulator
org per session (``sync_org.yaml``), emptied before each test, and an app database on
SQLite or, for the tests that take ``app_url``'s MariaDB parameter, MariaDB.

``world`` is a test's whole setting: the app's tables, a config, a ledger and reports in
``tmp_path``, and a first pass already run, so the app's triggers are installed (rows
written before it are not captured: the initial load is ``lockstep migrate``'s).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, connect, start_emulator
from simple_salesforce.api import Salesforce
from sync_helpers import CLIENT_SECRET, ORG_SCHEMA, World, config_of, create_app


@pytest.fixture(scope="session")
def org() -> Iterator[EmulatorInfo]:
    with start_emulator("--schema", str(ORG_SCHEMA), "--client-secret", CLIENT_SECRET) as p:
        yield p.info


@pytest.fixture(scope="session")
def admin(org: EmulatorInfo) -> Iterator[AdminClient]:
    client = AdminClient.for_info(org)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def sf(org: EmulatorInfo, admin: AdminClient) -> Iterator[Salesforce]:
    """simple-salesforce on an empty org without faults (reset for each test)."""
    admin.clear_faults()
    admin.reset()
    admin.reset_stats()
    with requests.Session() as http:
        http.verify, http.trust_env = org.ca_cert, False
        yield connect(org, http)
    admin.clear_faults()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def app_url(request: pytest.FixtureRequest) -> str:
    """An empty database of the kind named by the parameter."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def world(
    tmp_path: Path, org: EmulatorInfo, admin: AdminClient, sf: Salesforce, sqlite_url: str
) -> World:
    """The app on SQLite, after a first pass (capture installed, nothing to carry)."""
    return started(World(tmp_path, sqlite_url, org, sf, admin))


@pytest.fixture
def any_world(
    tmp_path: Path, org: EmulatorInfo, admin: AdminClient, sf: Salesforce, app_url: str
) -> World:
    """``world`` on each SQL database ``app_url`` names."""
    return started(World(tmp_path, app_url, org, sf, admin))


def started(world: World) -> World:
    create_app(world.sql_url)
    world.config = config_of(world.info, world.sql_url, world.directory)
    first = world.sync()
    assert first.status == "done", first.notes
    assert first.counts.selected == 0, first.as_dict()
    return world
