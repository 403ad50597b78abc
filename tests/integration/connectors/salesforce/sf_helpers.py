"""Helpers of the Salesforce connector tests. (A uniquely named module rather than
``conftest``, so tests can import it without colliding with other directories'
conftest modules.)"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lockstep_emulator.client import EmulatorInfo

from lockstep.config.systems import SalesforceSystem
from lockstep.connectors.salesforce import SalesforceConnector

WIDGET = "Widget__c"
MakeConnector = Callable[..., SalesforceConnector]


def sf_config(info: EmulatorInfo, **overrides: Any) -> SalesforceSystem:
    """The emulator org as a ``salesforce`` system; the password flow unless ``auth``
    is given."""
    settings: dict[str, Any] = {
        "kind": "salesforce",
        "login_url": info.login_url,
        "ca_cert": Path(info.ca_cert),
        "auth": {
            "flow": "password",
            "client_id": info.client_id,
            "client_secret": info.client_secret,
            "username": info.username,
            "password": info.password,
            "security_token": info.security_token,
        },
        **overrides,
    }
    return SalesforceSystem.model_validate(settings)


def route_calls(stats: Any, method: str, suffix: str) -> int:
    """Calls the emulator counted on routes of ``method`` ending with ``suffix``."""
    return sum(
        n
        for route, n in stats["by_route"].items()
        if route.startswith(f"{method} ") and route.endswith(suffix)
    )


def family_calls(before: Any, after: Any, family: str) -> int:
    """Calls of ``family`` the emulator counted between two stats."""
    return int(after["by_family"].get(family, 0)) - int(before["by_family"].get(family, 0))


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
