"""Two emulator orgs for the org-sync example (seed 002), shared by its tests."""

from __future__ import annotations

import pytest
from lockstep_emulator.client import EmulatorInfo
from orgsync_helpers import EXAMPLE

from tests.support.emulators import Emulators


@pytest.fixture(scope="session")
def orgs(emulators: Emulators) -> tuple[EmulatorInfo, EmulatorInfo]:
    schema = EXAMPLE / "org.yaml"
    return emulators.org(schema, name="fsc"), emulators.org(schema, name="sales")
