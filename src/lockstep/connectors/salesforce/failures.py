"""What went wrong with one HTTP call, as a ``lockstep.errors`` exception.

simple-salesforce raises ``SalesforceError`` subclasses carrying the status and the
parsed error body (``[{"errorCode", "message"}]``); ``requests`` raises on connection
failures and timeouts. Both go through ``classify_http``, the one place statuses and
error codes become classes.

``OutcomeUnknown`` marks the dangerous case: a request that may have reached
Salesforce failed without an answer (a read timeout, a connection dropped after the
request was sent). Resending it is safe only if it is idempotent.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError
from urllib3.exceptions import NewConnectionError

from lockstep.errors import SystemFailure, Unreachable, classify_http


class OutcomeUnknown(Unreachable):
    """A write may or may not have been done: its request went out, no answer came."""


def error_code(content: Any) -> tuple[str | None, str]:
    """Salesforce's ``errorCode`` and ``message`` from an error body, in any of its
    shapes: a list of errors (REST), one error object, OAuth's ``error``, or text."""
    if isinstance(content, list) and content:
        content = content[0]
    if isinstance(content, dict):
        code = content.get("errorCode") or content.get("exceptionCode") or content.get("error")
        message = (
            content.get("message")
            or content.get("exceptionMessage")
            or content.get("error_description")
            or ""
        )
        return (str(code) if code else None), str(message)
    if isinstance(content, bytes):
        content = content.decode(errors="replace")
    return None, str(content or "")[:500]


def from_salesforce(system: str, exc: SalesforceError) -> SystemFailure:
    """The failure of a call Salesforce answered with an error status."""
    code, message = error_code(exc.content)
    where = exc.resource_name or "request"
    text = f"{where}: {code}: {message}" if code else f"{where}: HTTP {exc.status}: {message}"
    return classify_http(system, exc.status, text, code)


def from_requests(system: str, exc: requests.RequestException) -> SystemFailure:
    """The failure of a call that got no answer: connection refused, reset, timeout."""
    url = exc.request.url if exc.request is not None else None
    where = _strip_query(url) if url else "request"
    return classify_http(system, 0, f"{where}: {type(exc).__name__}: {_reason(exc)}")


def may_have_reached(exc: requests.RequestException) -> bool:
    """Whether the server may have received the request: everything but a connection
    that was never made (connect timeout, refused, DNS)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not isinstance(reason, NewConnectionError)
    return True


def _reason(exc: requests.RequestException) -> str:
    """The innermost reason, without the request's URL and query (which may hold data)."""
    reason: Any = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)
    return re.sub(r"\?\S*", "", str(reason))[:300]


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]
