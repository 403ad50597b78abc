"""Logging in: each OAuth flow a ``salesforce`` system may use, as one function.

Every flow but ``access_token`` posts a form to ``{login_url}/services/oauth2/token``
and gets back the org's ``instance_url`` and an ``access_token``. A refusal
(``{"error", "error_description"}``) is ``AuthFailed`` naming Salesforce's reason and
never a secret; no answer at all is ``Unreachable``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import requests

from lockstep.config.systems import (
    AccessTokenAuth,
    ClientCredentialsAuth,
    JwtAuth,
    PasswordAuth,
    RefreshTokenAuth,
    SalesforceSystem,
)
from lockstep.connectors.salesforce.failures import from_requests
from lockstep.errors import AuthFailed, classify_http

JWT_LIFETIME_SECONDS = 180  # Salesforce accepts at most 3 minutes


@dataclass(frozen=True)
class Token:
    """A session: where the org is, the token to call it with, and a refresh token
    when the login handed out a new one (the refresh-token flow may rotate it)."""

    instance_url: str
    access_token: str
    refresh_token: str | None = None


def token_url(login_url: str) -> str:
    return f"{login_url.rstrip('/')}/services/oauth2/token"


def request_token(
    system: str, http: requests.Session, login_url: str, form: dict[str, str]
) -> Token:
    """Post ``form`` to the token endpoint; the session it grants."""
    url = token_url(login_url)
    try:
        reply = http.post(url, data=form, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise from_requests(system, exc) from None
    body = _json(reply)
    if reply.status_code == 200 and body.get("access_token") and body.get("instance_url"):
        refresh = body.get("refresh_token")
        return Token(str(body["instance_url"]), str(body["access_token"]), refresh)
    if reply.status_code < 500 and body.get("error"):
        reason = body.get("error_description") or ""
        raise AuthFailed(system, f"login refused: {body['error']}: {reason}".rstrip(": "))
    return _raise(system, reply)


def password(system: str, http: requests.Session, login_url: str, auth: PasswordAuth) -> Token:
    secret = auth.password.get_secret_value()
    if auth.security_token is not None:
        secret += auth.security_token.get_secret_value()
    form = {
        "grant_type": "password",
        "client_id": auth.client_id,
        "client_secret": auth.client_secret.get_secret_value(),
        "username": auth.username,
        "password": secret,
    }
    return request_token(system, http, login_url, form)


def client_credentials(
    system: str, http: requests.Session, login_url: str, auth: ClientCredentialsAuth
) -> Token:
    form = {
        "grant_type": "client_credentials",
        "client_id": auth.client_id,
        "client_secret": auth.client_secret.get_secret_value(),
    }
    return request_token(system, http, login_url, form)


def jwt_bearer(system: str, http: requests.Session, login_url: str, auth: JwtAuth) -> Token:
    """Sign an RS256 assertion (``iss`` client id, ``sub`` username, ``aud`` the
    audience or the login URL, expiring in 3 minutes) and trade it for a session."""
    claims = {
        "iss": auth.client_id,
        "sub": auth.username,
        "aud": auth.audience or login_url.rstrip("/"),
        "exp": int(time.time()) + JWT_LIFETIME_SECONDS,
    }
    try:
        assertion = jwt.encode(claims, _private_key(system, auth), algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise AuthFailed(system, f"the JWT private key cannot sign: {type(exc).__name__}") from None
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    return request_token(system, http, login_url, form)


def refresh_token(
    system: str,
    http: requests.Session,
    login_url: str,
    auth: RefreshTokenAuth,
    rotated: str | None = None,
) -> Token:
    """Trade the refresh token (the latest one Salesforce handed out, if it rotated
    it) for a session."""
    form = {
        "grant_type": "refresh_token",
        "client_id": auth.client_id,
        "refresh_token": rotated or auth.refresh_token.get_secret_value(),
    }
    if auth.client_secret is not None:
        form["client_secret"] = auth.client_secret.get_secret_value()
    return request_token(system, http, login_url, form)


def login(
    system: str, config: SalesforceSystem, http: requests.Session, rotated: str | None = None
) -> Token:
    """A session for ``config`` by its flow. ``access_token`` is taken as given."""
    auth = config.auth
    if isinstance(auth, AccessTokenAuth):
        assert config.instance_url is not None  # the config model requires it
        return Token(config.instance_url, auth.access_token.get_secret_value())
    login_url = config.login_url or config.instance_url
    assert login_url is not None  # the config model requires one of them
    if isinstance(auth, PasswordAuth):
        return password(system, http, login_url, auth)
    if isinstance(auth, ClientCredentialsAuth):
        return client_credentials(system, http, login_url, auth)
    if isinstance(auth, JwtAuth):
        return jwt_bearer(system, http, login_url, auth)
    return refresh_token(system, http, login_url, auth, rotated)


def _private_key(system: str, auth: JwtAuth) -> str:
    if auth.private_key is not None:
        return auth.private_key.get_secret_value()
    assert auth.private_key_file is not None  # the config model requires one of them
    try:
        return Path(auth.private_key_file).read_text()
    except OSError as exc:
        raise AuthFailed(
            system, f"cannot read the JWT private key file {auth.private_key_file}: {exc.strerror}"
        ) from None


def _json(reply: requests.Response) -> dict[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _raise(system: str, reply: requests.Response) -> Token:
    text = reply.text[:300] if reply.text else reply.reason
    raise classify_http(system, reply.status_code, f"login: HTTP {reply.status_code}: {text}")
