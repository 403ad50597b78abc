"""The one ``requests.Session`` a connector sends everything through.

Every response passes a hook that counts the call by family and reads the org's API
usage from ``Sforce-Limit-Info: api-usage=N/M``. Families follow the URL, as the
emulator's stats do: ``auth`` (``/services/oauth2``, SOAP login, identity URLs; not
counted against the allocation), ``bulk2`` (``…/jobs/``), ``composite`` (sObject
Collections and Composite), ``bulk1`` (``/services/async``), ``rest`` (the rest of
``/services/data``) and ``other``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from lockstep.config.systems import SalesforceSystem
from lockstep.connectors.base import CallCounter

USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
DATA = re.compile(r"^/services/data/v[\d.]+/(?P<rest>.*)$")


def family_of(url: str) -> str:
    """The family a call to ``url`` counts under."""
    path = urlsplit(url).path
    if path.startswith(("/services/oauth2/", "/services/Soap/u/", "/id/")):
        return "auth"
    if path.startswith("/services/async/"):
        return "bulk1"
    data = DATA.match(path)
    if data is None:
        return "rest" if path.startswith("/services/data") else "other"
    rest = data["rest"]
    if rest.startswith("jobs/"):
        return "bulk2"
    if rest.startswith("composite"):
        return "composite"
    return "rest"


def usage_of(header: str | None) -> tuple[int, int] | None:
    """``(used, limit)`` from a ``Sforce-Limit-Info`` header."""
    found = USAGE.search(header or "")
    return (int(found[1]), int(found[2])) if found else None


def counting_hook(calls: CallCounter) -> Callable[..., None]:
    """A response hook counting each call into ``calls``."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        calls.count(family_of(response.url or ""))
        usage = usage_of(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            calls.used, calls.limit = usage

    return hook


class TimeoutAdapter(HTTPAdapter):
    """Gives every request without its own timeout the system's ``timeout_seconds``,
    whoever makes it (simple-salesforce's own calls included)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        timeout = self._timeout if timeout is None else timeout
        return super().send(request, stream, timeout, verify, cert, proxies)


def new_session(config: SalesforceSystem, calls: CallCounter) -> requests.Session:
    """A session trusting ``config.ca_cert`` (when given: then the environment's
    ``REQUESTS_CA_BUNDLE`` and proxies are ignored, as requests would let them win
    over ``verify``), timing out after ``timeout_seconds``, counting into ``calls``."""
    session = requests.Session()
    if config.ca_cert is not None:
        session.trust_env = False
        session.verify = str(config.ca_cert)
    adapter = TimeoutAdapter(config.timeout_seconds)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.hooks["response"].append(counting_hook(calls))
    return session
