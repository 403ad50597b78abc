"""``lockstep validate`` runs against the widget org (``WIDGET_ORG``, shared with the
connector tests; validation only reads its metadata) and a SQLite app database."""

from __future__ import annotations

import pytest

from tests.support.emulators import OrgSpec
from tests.support.widgets import WIDGET_ORG


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return WIDGET_ORG
