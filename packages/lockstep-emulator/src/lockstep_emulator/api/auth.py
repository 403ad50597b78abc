"""The login surface: every way a client gets a token, and asks whom it belongs to.

    oauth        POST /services/oauth2/token      password, client_credentials,
                                                  refresh_token, JWT bearer
                 GET|POST /services/oauth2/revoke
    soap_login   POST /services/Soap/u/{version}  partner login (simple-salesforce's
                                                  username + password + token)
    identity     GET /services/oauth2/userinfo, GET /id/{orgId}/{userId}

Credentials are checked in ``credentials``; tokens are kept by ``sessions``, which
every data route calls (``require_session``).
"""

from __future__ import annotations

from starlette.routing import Route

from lockstep_emulator.api import identity, oauth, soap_login
from lockstep_emulator.org import Org


def routes(org: Org) -> list[Route]:
    """The auth routes of one org, for ``app.build_app`` to mount."""
    return [*oauth.routes(org), *soap_login.routes(org), *identity.routes(org)]
