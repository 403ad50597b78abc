"""``status`` and ``explain`` read a ledger that real sync passes wrote: one emulator
org for the folder, and one history (``control_helpers.build``) per test module, in
its own temporary folder. The commands contact no system, so the tests share it.

The sync tests' world is reused from their folder (``sync_helpers``), put on the
import path here: pytest puts only a test's own folder there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parents[1] / "sync"))

from control_helpers import build
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, connect, start_emulator
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
        create_app(world.sql_url)
        world.config = config_of(org, world.sql_url, directory)
        first = world.sync()
        assert first.status == "done", first.notes
        build(world)
        yield world
