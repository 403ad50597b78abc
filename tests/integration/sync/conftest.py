"""The sync tests run ``lockstep.sync.run.sync_once`` in-process against the sync world's
org (``SYNC_ORG``, shared with the reconcile and control tests, emptied before each test),
and an app database on SQLite or, for the tests that take ``app_url``, on each of SQLite,
MariaDB and PostgreSQL.

``world`` (``tests/integration/conftest.py``) is a test's whole setting: the app's tables,
a config, a ledger and reports in ``tmp_path``, and a first pass already run, so the app's
triggers are installed (rows written before it are not captured: the initial load is
``lockstep migrate``'s).
"""

from __future__ import annotations

import pytest

from tests.support.databases import database_url
from tests.support.emulators import OrgSpec
from tests.support.sync_world import SYNC_ORG


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return SYNC_ORG


app_url = database_url("app_url", "sqlite", "mariadb", "postgres")
