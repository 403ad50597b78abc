"""What a login must prove, checked in one place for every OAuth grant and SOAP login.

Secrets are compared in constant time, and nothing here logs them. Usernames compare
case-insensitively, as Salesforce's do. A password is the user's password followed by
the security token, unless the login proves the org another way (SOAP's
``LoginScopeHeader``), just as a trusted IP range lets Salesforce skip the token.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

from lockstep_emulator.org import Org


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets."""
    return hmac.compare_digest(given.encode(), expected.encode())


def login_ok(org: Org, username: str, password: str, *, token_required: bool = True) -> bool:
    """The username and password (with the security token appended) are the org's user's."""
    creds = org.settings.credentials
    if username.strip().lower() != creds.username.lower():
        return False
    if same_secret(password, creds.password + creds.security_token):
        return True
    return not token_required and same_secret(password, creds.password)


def client_id_ok(org: Org, client_id: str) -> bool:
    return same_secret(client_id, org.settings.credentials.client_id)


def client_secret_ok(org: Org, client_secret: str) -> bool:
    return same_secret(client_secret, org.settings.credentials.client_secret)


def refresh_token_ok(org: Org, token: str) -> bool:
    return same_secret(token, org.settings.credentials.refresh_token)


def instance_url(request: Request) -> str:
    """``https://host:port`` as the client reached us: where it should send API calls."""
    return f"{request.url.scheme}://{request.url.netloc}"


def identity_url(request: Request, org: Org) -> str:
    """The user's identity URL, ``…/id/<org id>/<user id>`` (the ``id`` of a token reply)."""
    return f"{instance_url(request)}/id/{org.org_id}/{org.user_id}"
