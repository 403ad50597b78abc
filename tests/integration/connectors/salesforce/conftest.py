"""Fixtures of the Salesforce connector tests: connectors on the widget org (``org``,
emptied and its faults cleared for each test) and its admin API (``admin``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing
from typing import Any

import pytest
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from sf_helpers import MakeConnector, sf_config

from lockstep.connectors.salesforce import SalesforceConnector

CONNECTOR_OPTIONS = (
    "attempts",
    "base_delay",
    "bulk_timeout_seconds",
    "bulk_page_records",
    "sleep",
)


@pytest.fixture
def make(org: EmulatorInfo, empty_org: AdminClient) -> Iterator[MakeConnector]:
    """Builds connectors (on the widget org, emptied for the test, unless ``info`` is
    given) from config overrides and constructor options; closes them after the test.
    Retries wait a millisecond at most, so that fault tests stay fast."""
    with ExitStack() as made:

        def build(info: EmulatorInfo | None = None, **overrides: Any) -> SalesforceConnector:
            options = {k: overrides.pop(k) for k in CONNECTOR_OPTIONS if k in overrides}
            options.setdefault("base_delay", 0.001)
            config = sf_config(info or org, **overrides)
            return made.enter_context(closing(SalesforceConnector("crm", config, **options)))

        yield build


@pytest.fixture
def sf(make: MakeConnector) -> SalesforceConnector:
    """A connector on the empty widget org (here, not simple-salesforce)."""
    return make()
