"""The migration's acceptance tests (issue #5) run the AMS example end to end: a real
emulator org with ``examples/ams-migration/org.yaml``, an AMS database on SQLite or
MariaDB, and ``lockstep plan|migrate|relink`` in-process on a config in ``tmp_path``.

``ams_url`` is parametrized over the SQL side; a test that only needs one side narrows
it with ``@pytest.mark.parametrize("ams_url", ["sqlite"], indirect=True)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from migrate_helpers import AMS_ORG, Workspace, create_ams, write_config
from simple_salesforce.api import Salesforce

from tests.support.databases import database_url
from tests.support.emulators import OrgSpec


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    """The AMS org: Account and Contact with external ids and the dues rule."""
    return AMS_ORG


ams_url = database_url("ams_url", "sqlite", "mariadb")


@pytest.fixture
def ws(
    tmp_path: Path, org: EmulatorInfo, admin: AdminClient, sf: Salesforce, ams_url: str
) -> Workspace:
    """The default AMS data (60 companies, 200 individuals) and its config."""
    create_ams(ams_url)
    return Workspace(tmp_path, write_config(tmp_path, org, ams_url), ams_url, org, sf, admin)
