"""The reconcile tests run ``lockstep.reconcile.run.reconcile`` (and ``sync_once``, to
put the systems in step first) in-process against the sync world's org (``SYNC_ORG``,
shared with the sync and control tests, emptied before each test), and an app database
on SQLite or, for the tests that take ``app_url``, on each of SQLite and MariaDB.

``world`` (``tests/integration/conftest.py``) is a test's whole setting: the app's tables,
a config, a ledger and reports in ``tmp_path``, and a first sync pass already run, so the
app's triggers are installed; here it is ``reconcile_helpers.World``, which reconciles.
"""

from __future__ import annotations

import pytest
from reconcile_helpers import World

from tests.support.databases import database_url
from tests.support.emulators import OrgSpec
from tests.support.sync_world import SYNC_ORG


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return SYNC_ORG


@pytest.fixture(scope="module")
def world_type() -> type[World]:
    return World


app_url = database_url("app_url", "sqlite", "mariadb")
