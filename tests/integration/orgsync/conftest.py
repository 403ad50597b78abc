"""Two emulator orgs for the org-sync example (seed 002), shared by its tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lockstep_emulator.client import EmulatorInfo, start_emulator
from orgsync_helpers import EXAMPLE


@pytest.fixture(scope="session")
def orgs() -> Iterator[tuple[EmulatorInfo, EmulatorInfo]]:
    schema = str(EXAMPLE / "org.yaml")
    with start_emulator("--schema", schema) as fsc, start_emulator("--schema", schema) as sales:
        yield fsc.info, sales.info
