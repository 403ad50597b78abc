"""CDC fixtures: a raw Bayeux client on the session's emulator, and emulators of a
test's own (in process, for tests that move the clock or need an empty log)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from cdc_helpers import Bayeux, InProcess, serve_in_process
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce import Salesforce


@pytest.fixture
def bayeux(emulator: EmulatorInfo, http: requests.Session, sf: Salesforce) -> Callable[[], Bayeux]:
    """New raw Bayeux clients of the session's emulator, logged in as ``sf``."""
    return lambda: Bayeux(http, emulator, sf.session_id)


@pytest.fixture
def own_emulator(tmp_path: Path) -> Iterator[InProcess]:
    """An emulator of this test's own, served in process: its log starts empty."""
    with serve_in_process(tmp_path / "tls") as served:
        yield served
