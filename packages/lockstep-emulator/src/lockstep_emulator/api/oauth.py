"""``POST /services/oauth2/token`` (four grants) and ``/services/oauth2/revoke``.

Replies follow Salesforce's documented shapes: a token reply carries ``access_token``,
``instance_url``, ``id``, ``token_type``, ``issued_at`` (milliseconds, as a string)
and ``signature`` (base64 HMAC-SHA256 of ``id`` + ``issued_at`` keyed with the client
secret); a failure is a 400 with ``{"error", "error_description"}``.

The JWT bearer grant does not verify the assertion's signature: the emulator has no
certificate uploaded to a connected app to check it against. Its claims are checked.
Their ``exp`` is compared with real time, not the org's clock, because the client
computes it from real time; moving the org's clock forward must not break JWT logins.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lockstep_emulator.api import credentials
from lockstep_emulator.api.sessions import Session, store_for
from lockstep_emulator.org import Org

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_MAX_AHEAD_SECONDS = 3 * 60 + 5 * 60  # Salesforce's 3 minutes, plus clock skew
JWT_SKEW_SECONDS = 30
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """A refused token request: ``error`` and ``error_description`` as Salesforce sends them."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return Response(orjson.dumps(body), 400, _NO_STORE, "application/json;charset=UTF-8")


AUTH_FAILURE = OAuthError("invalid_grant", "authentication failure")
BAD_CLIENT_ID = OAuthError("invalid_client_id", "client identifier invalid")
BAD_CLIENT = OAuthError("invalid_client", "invalid client credentials")
BAD_ASSERTION = OAuthError("invalid_grant", "invalid assertion")


def routes(org: Org) -> list[Route]:
    async def token_endpoint(request: Request) -> Response:
        return await token(org, request)

    async def revoke_endpoint(request: Request) -> Response:
        return await revoke(org, request)

    return [
        Route("/services/oauth2/token", token_endpoint, methods=["POST"]),
        Route("/services/oauth2/revoke", revoke_endpoint, methods=["GET", "POST"]),
    ]


async def token(org: Org, request: Request) -> Response:
    """Exchange credentials for an access token."""
    params = await form_params(request)
    grant = params.get("grant_type", "")
    check = _GRANTS.get(grant)
    try:
        if check is None:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        extra = check(org, params, request)
    except OAuthError as exc:
        return exc.response()
    session = await run_in_threadpool(store_for(org).issue)
    return _token_reply(request, org, session, extra)


async def revoke(org: Org, request: Request) -> Response:
    """Revoke an access token. Revoking the refresh token ends every session (the
    refresh token itself is configuration and stays valid)."""
    given = (await form_params(request)).get("token", "")
    store = store_for(org)
    if given and credentials.refresh_token_ok(org, given):
        await run_in_threadpool(store.invalidate_all)
        return Response(b"", 200)
    revoked: bool = bool(given) and await run_in_threadpool(store.revoke, given)
    if revoked:
        return Response(b"", 200)
    return OAuthError("unsupported_token_type", "this token type is not supported").response()


async def form_params(request: Request) -> dict[str, str]:
    """Query string and form body together (the body wins): Salesforce reads both."""
    params = dict(request.query_params)
    if request.method == "POST":
        text = (await request.body()).decode("utf-8", errors="replace")
        params.update(parse_qsl(text, keep_blank_values=True))
    return params


def _token_reply(
    request: Request, org: Org, session: Session, extra: Mapping[str, str]
) -> Response:
    identity = credentials.identity_url(request, org)
    issued_at = str(session.issued_ms)
    key = org.settings.credentials.client_secret.encode()
    digest = hmac.new(key, (identity + issued_at).encode(), hashlib.sha256).digest()
    body = {
        "access_token": session.token,
        "instance_url": credentials.instance_url(request),
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": base64.b64encode(digest).decode(),
        "scope": "api",
        **extra,
    }
    return Response(orjson.dumps(body), 200, _NO_STORE, "application/json;charset=UTF-8")


# -- grants: each returns extra reply fields or raises OAuthError --------------------------


def _password(org: Org, params: Mapping[str, str], request: Request) -> dict[str, str]:
    _require_client(org, params, request, secret_required=True)
    if not credentials.login_ok(org, params.get("username", ""), params.get("password", "")):
        raise AUTH_FAILURE
    return {}


def _client_credentials(org: Org, params: Mapping[str, str], request: Request) -> dict[str, str]:
    _require_client(org, params, request, secret_required=True)
    return {}


def _refresh_token(org: Org, params: Mapping[str, str], request: Request) -> dict[str, str]:
    _require_client(org, params, request, secret_required=False)
    given = params.get("refresh_token", "")
    if not given or not credentials.refresh_token_ok(org, given):
        raise OAuthError("invalid_grant", "expired access/refresh token")
    return {"refresh_token": org.settings.credentials.refresh_token}


def _jwt_bearer(org: Org, params: Mapping[str, str], request: Request) -> dict[str, str]:
    claims = decode_jwt(params.get("assertion", ""))
    creds = org.settings.credentials
    if not isinstance(claims.get("iss"), str) or not credentials.client_id_ok(org, claims["iss"]):
        raise BAD_CLIENT_ID
    sub = claims.get("sub")
    if not isinstance(sub, str) or sub.strip().lower() != creds.username.lower():
        raise BAD_ASSERTION
    if not _audience_ok(claims.get("aud"), credentials.instance_url(request)):
        raise OAuthError("invalid_grant", "audience is invalid")
    exp = _number(claims.get("exp"))
    now = time.time()
    if exp is None or exp + JWT_SKEW_SECONDS <= now or exp > now + JWT_MAX_AHEAD_SECONDS:
        raise OAuthError("invalid_grant", "invalid assertion: exp is missing or out of range")
    return {}


_GRANTS = {
    "password": _password,
    "client_credentials": _client_credentials,
    "refresh_token": _refresh_token,
    JWT_GRANT: _jwt_bearer,
}


def _require_client(
    org: Org, params: Mapping[str, str], request: Request, *, secret_required: bool
) -> None:
    """The connected app's key and secret, from the form or an HTTP Basic header."""
    client_id, client_secret = params.get("client_id"), params.get("client_secret")
    basic = _basic_auth(request.headers.get("authorization", ""))
    if client_id is None and basic is not None:
        client_id, client_secret = basic
    if not client_id or not credentials.client_id_ok(org, client_id):
        raise BAD_CLIENT_ID
    if client_secret is None and not secret_required:
        return
    if not client_secret or not credentials.client_secret_ok(org, client_secret):
        raise BAD_CLIENT


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = text.partition(":")
    return (client_id, secret) if sep else None


def decode_jwt(assertion: str) -> dict[str, Any]:
    """The claims of a compact JWT, unverified; ``BAD_ASSERTION`` when it is not one."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise BAD_ASSERTION
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = orjson.loads(payload)
    except (binascii.Error, ValueError):
        raise BAD_ASSERTION from None
    if not isinstance(claims, dict):
        raise BAD_ASSERTION
    return claims


def _audience_ok(aud: object, own_url: str) -> bool:
    """``https://login.salesforce.com``, ``https://test.salesforce.com``, a My Domain, or
    the emulator's own URL; a list of audiences is fine when one of them is."""
    if isinstance(aud, list):
        return any(_audience_ok(a, own_url) for a in aud)
    if not isinstance(aud, str):
        return False
    url = urlsplit(aud.rstrip("/"))
    if url.scheme != "https" or url.path or not url.hostname:
        return False
    host = url.hostname.lower()
    if host == "salesforce.com" or host.endswith(".salesforce.com"):
        return True
    return f"{url.scheme}://{url.netloc}".lower() == own_url.lower()


def _number(value: object) -> float | None:
    """A NumericDate claim; simple-salesforce sends it as a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
