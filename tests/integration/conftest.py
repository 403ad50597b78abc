"""The emulator orgs of the integration tests, and the fixtures on them, defined once.

Each folder says which org it uses by overriding ``org_spec`` (a schema, and the client
secret the org starts with); ``org`` is then that org, running once for the whole session
and shared by every folder that names the same one (``tests.support.emulators``): sync,
reconcile and control share ``SYNC_ORG``, the connector and ``validate`` tests
``WIDGET_ORG``. ``admin`` is its admin API. ``sf`` is simple-salesforce on it, emptied,
its faults cleared and its call counts zeroed before the test (``empty_org``, for
fixtures that need that without ``sf``).

``world`` and ``any_world`` are the sync world (``tests.support.sync_world``) ready for a
test, on SQLite or on each database ``app_url`` names (a folder defines ``app_url``);
``world_type`` is the kind of world (the reconcile tests' has ``reconcile`` too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, connect
from simple_salesforce.api import Salesforce

from tests.support.emulators import Emulators, OrgSpec
from tests.support.sync_world import World, start

NewWorld = Callable[[str], World]


@pytest.fixture(scope="session")
def emulators() -> Iterator[Emulators]:
    running = Emulators()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    """The org of this folder's tests; its conftest (or a test module) names it."""
    pytest.fail("no org_spec here: a folder's conftest names the org its tests use")


@pytest.fixture(scope="module")
def org(emulators: Emulators, org_spec: OrgSpec) -> EmulatorInfo:
    return emulators.org(org_spec.schema, org_spec.client_secret)


@pytest.fixture(scope="module")
def admin(emulators: Emulators, org: EmulatorInfo) -> AdminClient:
    return emulators.admin(org)


@pytest.fixture
def empty_org(admin: AdminClient) -> Iterator[AdminClient]:
    """The org's admin API; the org is emptied, its faults cleared and its call counts
    zeroed before the test, its faults cleared after it."""
    admin.clear_faults()
    admin.reset()
    admin.reset_stats()
    yield admin
    admin.clear_faults()


@pytest.fixture
def sf(org: EmulatorInfo, empty_org: AdminClient) -> Iterator[Salesforce]:
    """simple-salesforce on an empty org without faults (reset for each test)."""
    with requests.Session() as http:
        http.verify, http.trust_env = org.ca_cert, False
        yield connect(org, http)


# -- the sync world --------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_type() -> type[World]:
    return World


@pytest.fixture
def world(new_world: NewWorld, sqlite_url: str) -> World:
    """The app on SQLite, after a first pass (capture installed, nothing to carry)."""
    return new_world(sqlite_url)


@pytest.fixture
def any_world(new_world: NewWorld, app_url: str) -> World:
    """``world`` on each SQL database ``app_url`` names."""
    return new_world(app_url)


@pytest.fixture
def new_world(
    world_type: type[World], tmp_path: Path, org: EmulatorInfo, admin: AdminClient, sf: Salesforce
) -> NewWorld:
    """A started world of ``world_type`` on the app database at a URL."""
    return lambda url: start(world_type(tmp_path, url, org, sf, admin))
