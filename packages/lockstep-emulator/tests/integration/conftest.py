"""A real emulator over HTTPS for the whole session, and clients logged in to it.

``emulator`` is ``lockstep emulator serve --memory --port 0 --schema schema.yaml`` run
as a child process (``start_emulator``); ``sf`` is the unmodified simple-salesforce
client, logged in with a real OAuth password call and then used as a direct session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from lockstep_emulator.client import (
    EmulatorInfo,
    connect,
    emulator_session,
    password_grant,
    start_emulator,
)
from simple_salesforce import Salesforce

SCHEMA = Path(__file__).with_name("schema.yaml")


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorInfo]:
    """One org for the session, with the custom objects of ``schema.yaml``."""
    with start_emulator("--schema", str(SCHEMA)) as process:
        yield process.info


@pytest.fixture
def http(emulator: EmulatorInfo) -> Iterator[requests.Session]:
    """A plain ``requests`` session that trusts the emulator's CA.

    ``trust_env`` is off because requests lets ``REQUESTS_CA_BUNDLE`` from the
    environment override ``session.verify``.
    """
    with requests.Session() as session:
        session.verify = emulator.ca_cert
        session.trust_env = False
        yield session


@pytest.fixture
def login_session(emulator: EmulatorInfo) -> Iterator[requests.Session]:
    """A session that sends simple-salesforce's ``*.salesforce.com`` logins to the emulator."""
    with emulator_session(emulator.login_url, emulator.ca_cert) as session:
        yield session


@pytest.fixture
def sf(emulator: EmulatorInfo, http: requests.Session) -> Salesforce:
    return connect(emulator, http)


LogIn = Callable[[EmulatorInfo, requests.Session], Salesforce]
Grant = Callable[[EmulatorInfo], dict[str, str]]


@pytest.fixture
def log_in() -> LogIn:
    """``connect``, for tests that start emulators of their own."""
    return connect


@pytest.fixture
def grant() -> Grant:
    """``password_grant``, for tests that post to the token endpoint themselves."""
    return password_grant
