"""Who the token's user is: ``GET /services/oauth2/userinfo`` and the identity URL
``GET /id/{orgId}/{userId}`` (the ``id`` of every token reply).

Both take the token from ``Authorization`` or an ``oauth_token`` parameter. As on
Salesforce, their failures are plain-text codes (``Bad_OAuth_Token``, ``Wrong_Org``,
``Bad_Id``), not the REST API's JSON error list, and the API URLs they list contain a
literal ``{version}`` unless the request names a ``version``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from lockstep_emulator import ids
from lockstep_emulator.api import credentials
from lockstep_emulator.api.oauth import form_params
from lockstep_emulator.api.sessions import Session, store_for, token_of
from lockstep_emulator.org import MAX_API_VERSION, Org

_JSON = "application/json;charset=UTF-8"

Reply = Callable[[Org, Request, dict[str, Any], str | None], dict[str, Any]]


class IdentityError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code

    def response(self) -> Response:
        return PlainTextResponse(self.code, self.status)


def routes(org: Org) -> list[Route]:
    async def userinfo_endpoint(request: Request) -> Response:
        return await _answer(org, request, userinfo)

    async def identity_endpoint(request: Request) -> Response:
        return await _answer(org, request, identity)

    return [
        Route("/services/oauth2/userinfo", userinfo_endpoint, methods=["GET", "POST"]),
        Route("/id/{org_id}/{user_id}", identity_endpoint, methods=["GET", "POST"]),
    ]


async def _answer(org: Org, request: Request, build: Reply) -> Response:
    params = await form_params(request)
    try:
        _require_session(org, request, params)
        _check_path(org, request)
        user = await run_in_threadpool(user_record, org)
    except IdentityError as exc:
        return exc.response()
    body = build(org, request, user, params.get("version"))
    return Response(orjson.dumps(body), 200, media_type=_JSON)


def _require_session(org: Org, request: Request, params: dict[str, str]) -> Session:
    token = token_of(request) or params.get("oauth_token")
    if not token:
        raise IdentityError(403, "Missing_OAuth_Token")
    session = store_for(org).lookup(token)
    if session is None:
        raise IdentityError(403, "Bad_OAuth_Token")
    return session


def _check_path(org: Org, request: Request) -> None:
    """On the identity URL, the ids in the path must be the org's and its user's."""
    org_id, user_id = request.path_params.get("org_id"), request.path_params.get("user_id")
    if org_id is None or user_id is None:
        return
    if not _same_id(org_id, org.org_id):
        raise IdentityError(403, "Wrong_Org")
    if not _same_id(user_id, org.user_id):
        raise IdentityError(404, "Bad_Id")


def _same_id(given: str, expected: str) -> bool:
    try:
        return ids.to18(given) == expected
    except ValueError:
        return False


def user_record(org: Org) -> dict[str, Any]:
    """The org's user as a REST record (``Username``, ``Email``, ``Name``, …)."""
    user_object = org.schema.get("User")
    assert user_object is not None
    return org.store.get(user_object, org.user_id)


def userinfo(
    org: Org, request: Request, user: dict[str, Any], version: str | None
) -> dict[str, Any]:
    """The OpenID Connect UserInfo reply, with Salesforce's additions."""
    base = credentials.instance_url(request)
    photos = _photos(base)
    return {
        "sub": credentials.identity_url(request, org),
        "user_id": org.user_id,
        "organization_id": org.org_id,
        "preferred_username": org.settings.credentials.username,
        "nickname": user.get("Alias"),
        "name": user.get("Name"),
        "email": user.get("Email"),
        "email_verified": True,
        "given_name": user.get("FirstName"),
        "family_name": user.get("LastName"),
        "zoneinfo": user.get("TimeZoneSidKey"),
        "photos": photos,
        "profile": f"{base}/{org.user_id}",
        "picture": photos["picture"],
        "address": {},
        "is_salesforce_integration_user": False,
        "urls": api_urls(base, org, _version(version)),
        "active": bool(user.get("IsActive", True)),
        "user_type": "STANDARD",
        "language": user.get("LanguageLocaleKey"),
        "locale": user.get("LocaleSidKey"),
        "utcOffset": 0,
        "updated_at": _iso_z(user.get("LastModifiedDate")),
        "is_app_installed": True,
    }


def identity(
    org: Org, request: Request, user: dict[str, Any], version: str | None
) -> dict[str, Any]:
    """The identity service's reply for the identity URL."""
    base = credentials.instance_url(request)
    return {
        "id": credentials.identity_url(request, org),
        "asserted_user": True,
        "user_id": org.user_id,
        "organization_id": org.org_id,
        "username": org.settings.credentials.username,
        "nick_name": user.get("Alias"),
        "display_name": user.get("Name"),
        "email": user.get("Email"),
        "email_verified": True,
        "first_name": user.get("FirstName"),
        "last_name": user.get("LastName"),
        "timezone": user.get("TimeZoneSidKey"),
        "photos": _photos(base),
        "addr_street": None,
        "addr_city": None,
        "addr_state": None,
        "addr_country": None,
        "addr_zip": None,
        "mobile_phone": None,
        "mobile_phone_verified": False,
        "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
        "urls": api_urls(base, org, _version(version)),
        "active": bool(user.get("IsActive", True)),
        "user_type": "STANDARD",
        "language": user.get("LanguageLocaleKey"),
        "locale": user.get("LocaleSidKey"),
        "utcOffset": 0,
        "last_modified_date": user.get("LastModifiedDate"),
        "is_app_installed": True,
    }


def api_urls(base: str, org: Org, version: str) -> dict[str, str]:
    """The ``urls`` block: where each API lives for this user."""
    org15 = org.org_id[:15]
    data = f"{base}/services/data/v{version}"
    return {
        "enterprise": f"{base}/services/Soap/c/{version}/{org15}",
        "metadata": f"{base}/services/Soap/m/{version}/{org15}",
        "partner": f"{base}/services/Soap/u/{version}/{org15}",
        "rest": f"{data}/",
        "sobjects": f"{data}/sobjects/",
        "search": f"{data}/search/",
        "query": f"{data}/query/",
        "recent": f"{data}/recent/",
        "tooling_soap": f"{base}/services/Soap/T/{version}/{org15}",
        "tooling_rest": f"{data}/tooling/",
        "profile": f"{base}/{org.user_id}",
        "feeds": f"{data}/chatter/feeds",
        "groups": f"{data}/chatter/groups",
        "users": f"{data}/chatter/users",
        "feed_items": f"{data}/chatter/feed-items",
        "feed_elements": f"{data}/chatter/feed-elements",
        "custom_domain": base,
    }


def _version(requested: str | None) -> str:
    """``{version}`` unless asked; ``latest`` is the newest version served."""
    if not requested:
        return "{version}"
    if requested == "latest":
        return f"{MAX_API_VERSION}.0"
    return requested


def _photos(base: str) -> dict[str, str]:
    return {
        "picture": f"{base}/profilephoto/005/F",
        "thumbnail": f"{base}/profilephoto/005/T",
    }


def _iso_z(value: object) -> str | None:
    """``2024-01-02T03:04:05.000+0000`` → ``2024-01-02T03:04:05Z`` (UserInfo's form)."""
    if not isinstance(value, str) or len(value) < 19:
        return None
    return value[:19] + "Z"
