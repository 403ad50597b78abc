"""simple-salesforce behind one door: ``SalesforceClient.call``.

Every call a connector makes goes through ``call``, which

- logs in lazily, and again each time Salesforce answers ``INVALID_SESSION_ID`` (the
  token expired or was revoked), then repeats the call. Only a refusal of the token
  endpoint itself is ``AuthFailed``: an expiry says nothing about the credentials.
  After ``RELOGINS`` logins in a row with no call succeeding in between, the session
  keeps expiring for a reason a login does not cure, and the call fails
  ``Unreachable`` (transient: the changes wait). The ``access_token`` flow cannot log
  in, so there an expiry is ``AuthFailed`` at once;
- turns failures into ``lockstep.errors`` exceptions (``failures``);
- retries ``Transient`` failures with full-jitter backoff (``retry``), except a
  request marked ``resend_safe=False`` whose fate is unknown.

When is resending safe? Salesforce runs a call in one transaction and answers an
error status only when it has not committed anything, so a call that got *any*
answer may be sent again. A call that got none (a read timeout, a connection dropped
after sending) may have been committed: resending an update, an upsert by external
id or a delete does the same again, but resending an insert would create its records
twice. Callers mark such requests ``resend_safe=False``; for those ``call`` raises
``OutcomeUnknown`` instead of retrying, unless the connection was never made.

What simple-salesforce has no method for (sObject Collections) or hides behind too
high a level (its Bulk API 2.0 handler splits jobs, sleeps on its own schedule and
does not map results back to input rows) goes through its ``restful()`` (JSON) or
its session (CSV), so one ``requests.Session``, with its counting hook, carries
every call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import orjson
import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession
from simple_salesforce.util import exception_handler

from lockstep.config.systems import AccessTokenAuth, SalesforceSystem
from lockstep.connectors.base import CallCounter
from lockstep.connectors.salesforce.auth import login
from lockstep.connectors.salesforce.failures import (
    OutcomeUnknown,
    from_requests,
    from_salesforce,
    may_have_reached,
)
from lockstep.connectors.salesforce.retry import RetryPolicy
from lockstep.connectors.salesforce.session import new_session
from lockstep.errors import AuthFailed, SystemFailure, Unreachable

T = TypeVar("T")

# Logins in a row, within one call, with no successful call in between.
RELOGINS = 3


class SalesforceClient:
    """One org, logged in on first use."""

    def __init__(
        self, system: str, config: SalesforceSystem, calls: CallCounter, policy: RetryPolicy
    ) -> None:
        self.system = system
        self.config = config
        self.policy = policy
        self.http = new_session(config, calls)
        self._sf: Salesforce | None = None
        self._rotated: str | None = None

    @property
    def sf(self) -> Salesforce:
        return self._sf if self._sf is not None else self.login()

    def login(self) -> Salesforce:
        """Log in (again), retrying while Salesforce cannot be reached."""
        token = self._retrying(lambda: login(self.system, self.config, self.http, self._rotated))
        self._rotated = token.refresh_token or self._rotated
        self._sf = Salesforce(
            instance_url=token.instance_url,
            session_id=token.access_token,
            session=self.http,
            version=self.config.api_version,
            parse_float=Decimal,
            object_pairs_hook=dict,
        )
        return self._sf

    def call(self, fn: Callable[[Salesforce], T], *, resend_safe: bool = True) -> T:
        """``fn(sf)``, logged in, retried, its failures classified (see the module)."""
        relogins = 0

        def once() -> T:
            nonlocal relogins
            while True:
                sf = self.sf
                try:
                    return fn(sf)
                except SalesforceExpiredSession as exc:
                    failure = from_salesforce(self.system, exc)
                    if isinstance(self.config.auth, AccessTokenAuth):
                        raise AuthFailed(
                            self.system,
                            f"{failure.message}; the access_token flow cannot log in again",
                        ) from None
                    if relogins >= RELOGINS:
                        raise Unreachable(
                            self.system,
                            f"{failure.message}; the session keeps expiring "
                            f"({relogins} logins in a row did not last one call)",
                        ) from None
                    relogins += 1
                    self.login()
                except SalesforceError as exc:
                    raise from_salesforce(self.system, exc) from None
                except requests.RequestException as exc:
                    failure = from_requests(self.system, exc)
                    if not resend_safe and may_have_reached(exc):
                        raise OutcomeUnknown(
                            self.system, f"{failure.message} (it may have been done)"
                        ) from None
                    raise failure from None

        return self._retrying(once)

    def rest(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        resend_safe: bool = True,
    ) -> Any:
        """A JSON call under ``/services/data/vXX.X/``; its decoded reply (``None``
        when empty)."""
        data = orjson.dumps(body) if body is not None else None
        return self.call(
            lambda sf: sf.restful(path, params=dict(params or {}), method=method, data=data),
            resend_safe=resend_safe,
        )

    def query(self, soql: str, *, include_deleted: bool, batch_size: int) -> Any:
        """The first page of ``soql`` (``queryAll`` with ``include_deleted``)."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}
        return self.call(
            lambda sf: sf.query(soql, include_deleted=include_deleted, headers=headers)
        )

    def query_more(self, next_url: str, *, batch_size: int) -> Any:
        """The page at a query's ``nextRecordsUrl``."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}
        return self.call(
            lambda sf: sf.query_more(next_url, identifier_is_url=True, headers=headers)
        )

    def raw(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        content_type: str | None = None,
        resend_safe: bool = True,
    ) -> requests.Response:
        """A call whose body or reply is not JSON (Bulk API 2.0's CSV), through
        simple-salesforce's session and headers."""

        def send(sf: Salesforce) -> requests.Response:
            headers = dict(sf.headers)
            headers["Accept"] = "text/csv" if method == "GET" else "application/json"
            if content_type is not None:
                headers["Content-Type"] = content_type
            reply = sf.session.request(method, sf.base_url + path, headers=headers, data=data)
            if reply.status_code >= 300:
                exception_handler(reply, name=path)
            return reply

        return self.call(send, resend_safe=resend_safe)

    def close(self) -> None:
        self.http.close()

    def _retrying(self, attempt_once: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return attempt_once()
            except OutcomeUnknown:
                raise
            except SystemFailure as failure:
                wait = self.policy.delay(attempt, failure)
                if wait is None:
                    raise
                self.policy.sleep(wait)
                attempt += 1
