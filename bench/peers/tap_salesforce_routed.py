"""The ``tap-salesforce`` command, with its login host routed to the emulator.

    python bench/peers/tap_salesforce_routed.py EMULATOR_URL --config C [--discover | ...]

tap-salesforce has no setting for the login host: ``Salesforce.login()`` always posts
its refresh-token grant to ``https://login.salesforce.com/services/oauth2/token`` (or
``test.salesforce.com`` with ``is_sandbox``) and then uses the ``instance_url`` of the
reply for every other call. This wrapper mounts one transport adapter on the tap's
``requests`` session that sends those two hosts to ``EMULATOR_URL`` (what a hosts-file
entry would do, were the emulator's certificate issued for them). Requests, bodies,
headers and replies are the tap's and the emulator's, unchanged; every call after the
login already goes to the emulator's ``instance_url``. Then it runs ``tap_salesforce.main``.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import tap_salesforce
from requests.adapters import HTTPAdapter

LOGIN_HOSTS = {"login.salesforce.com", "test.salesforce.com"}


class LoginHostToEmulator(HTTPAdapter):
    def __init__(self, emulator_url: str) -> None:
        super().__init__()
        self._emulator = urlsplit(emulator_url)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        url = urlsplit(request.url or "")
        if url.hostname in LOGIN_HOSTS:
            request.url = urlunsplit(
                (self._emulator.scheme, self._emulator.netloc, url.path, url.query, "")
            )
        return super().send(request, *args, **kwargs)


def routed(emulator_url: str) -> type[tap_salesforce.Salesforce]:
    class RoutedSalesforce(tap_salesforce.Salesforce):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.session.mount("https://", LoginHostToEmulator(emulator_url))

    return RoutedSalesforce


if __name__ == "__main__":
    emulator_url, *tap_args = sys.argv[1:]
    tap_salesforce.Salesforce = routed(emulator_url)  # main_impl() looks it up at call time
    sys.argv = ["tap-salesforce", *tap_args]
    tap_salesforce.main()
