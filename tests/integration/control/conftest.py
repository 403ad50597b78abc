"""``status`` and ``explain`` read a ledger that real sync passes wrote, on the sync
world's org (``SYNC_ORG``, shared with the sync and reconcile tests): one history
(``control_helpers.build``) per test module, in its own temporary folder. The commands
contact no system, so the tests of a module share it, and what later tests in other
folders do to the org cannot change it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from control_helpers import build
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, connect

from tests.support.emulators import OrgSpec
from tests.support.sync_world import SYNC_ORG, World, start


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return SYNC_ORG


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, org: EmulatorInfo, admin: AdminClient
) -> Iterator[World]:
    """The history of ``control_helpers.build``: its config, ledger and app database."""
    directory = tmp_path_factory.mktemp("control")
    admin.clear_faults()
    admin.reset()
    with requests.Session() as http:
        http.verify, http.trust_env = org.ca_cert, False
        world = World(
            directory, f"sqlite:///{directory / 'app.db'}", org, connect(org, http), admin
        )
        build(start(world))
        yield world
