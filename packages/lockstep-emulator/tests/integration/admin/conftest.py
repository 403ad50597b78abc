"""Emulators of the admin tests' own: anything that changes an org for good (faults, a
refresh, the clock, a reset) runs against one of these, never the shared ``emulator``.

``admin_emulator`` is shared by the admin tests that leave the org usable (faults are
cleared after each test that sets them); ``fresh_emulator`` starts one per test.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, EmulatorProcess, connect, start_emulator
from simple_salesforce import Salesforce

SCHEMA = Path(__file__).with_name("admin_schema.yaml")


def trusting(info: EmulatorInfo) -> requests.Session:
    session = requests.Session()
    session.verify = info.ca_cert
    session.trust_env = False
    return session


@pytest.fixture(scope="session")
def admin_emulator() -> Iterator[EmulatorInfo]:
    with start_emulator("--schema", str(SCHEMA)) as process:
        yield process.info
        assert_clean_stop(process)


@pytest.fixture
def fresh_emulator() -> Iterator[EmulatorProcess]:
    with start_emulator("--schema", str(SCHEMA)) as process:
        yield process
        assert_clean_stop(process)


def assert_clean_stop(process: EmulatorProcess) -> None:
    """Faults, hangs and dropped connections leave no error behind: the server stops at
    once with 0 and has logged no exception (uvicorn logs one if it had to answer 500)."""
    started = time.monotonic()
    assert process.stop() == 0
    assert time.monotonic() - started < 3
    assert "Traceback" not in process.stderr_text()
    assert "ERROR" not in process.stderr_text()


@pytest.fixture
def admin(admin_emulator: EmulatorInfo) -> Iterator[AdminClient]:
    client = AdminClient.for_info(admin_emulator)
    yield client
    client.close()


@pytest.fixture
def login(admin_emulator: EmulatorInfo) -> Callable[[], Salesforce]:
    """A new simple-salesforce login to the admin emulator, with its own session."""
    return lambda: connect(admin_emulator, trusting(admin_emulator))


@pytest.fixture
def login_to() -> Callable[[EmulatorInfo], Salesforce]:
    """A new simple-salesforce login to any emulator, with its own session."""
    return lambda info: connect(info, trusting(info))
