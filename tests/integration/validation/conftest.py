"""An emulator org and a SQLite app database for the ``lockstep validate`` tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lockstep_emulator.client import EmulatorInfo, start_emulator

SCHEMA = Path(__file__).parent.parent / "connectors" / "schema.yaml"


@pytest.fixture(scope="session")
def org() -> Iterator[EmulatorInfo]:
    with start_emulator("--schema", str(SCHEMA)) as process:
        yield process.info
