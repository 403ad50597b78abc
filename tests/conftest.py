"""Suite-wide rules: service-backed tests skip when their service is absent, unless
``LOCKSTEP_REQUIRE_SERVICES=1`` (CI), where an absent service fails the test."""

from __future__ import annotations

import os
import socket

import pytest

SERVICES = {"postgres": 5432, "mariadb": 3306, "redis": 6379}


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    required = os.environ.get("LOCKSTEP_REQUIRE_SERVICES") == "1"
    for name, port in SERVICES.items():
        if item.get_closest_marker(name) is None or _reachable(port):
            continue
        message = f"{name} is not reachable on 127.0.0.1:{port}"
        if required:
            pytest.fail(message + " and LOCKSTEP_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)
