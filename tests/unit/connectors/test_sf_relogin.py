"""A session that expires is logged in again, as often as it takes within one call; a
session that keeps expiring whatever the logins is a failure that may pass, not
refused credentials."""

from __future__ import annotations

import random
from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceExpiredSession

from lockstep.config.systems import SalesforceSystem
from lockstep.connectors.base import CallCounter
from lockstep.connectors.salesforce.client import RELOGINS, SalesforceClient
from lockstep.connectors.salesforce.retry import RetryPolicy
from lockstep.errors import AuthFailed, Transient, Unreachable


def config(flow: str = "client_credentials") -> SalesforceSystem:
    auth: dict[str, Any] = {"flow": flow}
    if flow == "client_credentials":
        auth |= {"client_id": "id", "client_secret": "secret"}
    else:
        auth |= {"access_token": "token"}
    return SalesforceSystem.model_validate(
        {
            "kind": "salesforce",
            "login_url": "https://login.example.invalid",
            "instance_url": "https://org.example.invalid",
            "auth": auth,
        }
    )


def expired() -> SalesforceExpiredSession:
    content = b'[{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]'
    return SalesforceExpiredSession("https://org/q", 401, "query", content)


class Org:
    """A client whose logins are counted and whose session expires ``expiries`` times."""

    def __init__(self, expiries: int, flow: str = "client_credentials") -> None:
        self.expiries = expiries
        self.logins = 0
        self.calls = 0
        self.sleeps: list[float] = []
        policy = RetryPolicy(attempts=3, sleep=self.sleeps.append, rng=random.Random(1))
        self.client = SalesforceClient("crm", config(flow), CallCounter(), policy)
        self.client.login = self.login  # type: ignore[method-assign]
        self.client._sf = object()  # type: ignore[assignment]  # logged in already

    def login(self) -> Any:
        self.logins += 1
        return self.client._sf

    def query(self, sf: Any) -> str:
        self.calls += 1
        if self.expiries > 0:
            self.expiries -= 1
            raise expired()
        return "rows"


def test_two_expiries_in_one_call_are_two_logins_and_the_call_succeeds() -> None:
    org = Org(expiries=2)

    assert org.client.call(org.query) == "rows"
    assert (org.logins, org.calls) == (2, 3)


def test_expiries_in_successive_calls_each_log_in_again() -> None:
    org = Org(expiries=1)
    assert org.client.call(org.query) == "rows"
    org.expiries = RELOGINS  # as many as the guard allows, in the next call
    assert org.client.call(org.query) == "rows"
    assert org.logins == 1 + RELOGINS


def test_a_session_that_keeps_expiring_is_transient_not_refused_credentials() -> None:
    org = Org(expiries=10_000)

    with pytest.raises(Unreachable, match="keeps expiring") as raised:
        org.client.call(org.query)

    assert isinstance(raised.value, Transient) and not isinstance(raised.value, AuthFailed)
    assert org.logins == RELOGINS  # no login after the guard trips, not even on retry


def test_the_access_token_flow_cannot_log_in_so_an_expiry_is_refused_at_once() -> None:
    org = Org(expiries=1, flow="access_token")

    with pytest.raises(AuthFailed, match="cannot log in again"):
        org.client.call(org.query)
    assert org.logins == 0
