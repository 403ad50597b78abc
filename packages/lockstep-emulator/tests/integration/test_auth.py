"""Every way a client logs in, through the unmodified simple-salesforce over HTTPS, and
the identity endpoints that say whom a token belongs to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession

Grant = Callable[[EmulatorInfo], dict[str, str]]

TOKEN_KEYS = {"access_token", "instance_url", "id", "token_type", "issued_at", "signature", "scope"}


@pytest.fixture(scope="module")
def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def whoami(sf: Salesforce) -> str:
    """An authenticated call through simple-salesforce (with its 401 handling)."""
    reply = sf.oauth2("userinfo")
    assert reply is not None
    return str(reply["preferred_username"])


def soap(http: requests.Session, info: EmulatorInfo, body: str | bytes) -> requests.Response:
    return http.post(
        f"{info.login_url}/services/Soap/u/59.0",
        data=body,
        headers={"Content-Type": "text/xml", "SOAPAction": "login"},
        timeout=10,
    )


# -- OAuth -------------------------------------------------------------------------------


def test_password_grant_answers_salesforces_token_reply(
    emulator: EmulatorInfo, http: requests.Session, grant: Grant
) -> None:
    reply = http.post(emulator.token_url, data=grant(emulator), timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    body = reply.json()
    assert set(body) == TOKEN_KEYS
    assert body["instance_url"] == emulator.instance_url
    assert body["token_type"] == "Bearer" and body["scope"] == "api"
    assert body["access_token"].startswith(emulator.org_id[:15] + "!")
    assert body["id"].startswith(f"{emulator.instance_url}/id/{emulator.org_id}/005")
    assert abs(int(body["issued_at"]) - time.time() * 1000) < 60_000
    digest = hmac.new(
        emulator.client_secret.encode(),
        (body["id"] + body["issued_at"]).encode(),
        hashlib.sha256,
    ).digest()
    assert body["signature"] == base64.b64encode(digest).decode()


def test_simple_salesforce_oauth_password_login(
    emulator: EmulatorInfo, login_session: requests.Session
) -> None:
    sf = Salesforce(
        username=emulator.username,
        password=emulator.password + emulator.security_token,
        consumer_key=emulator.client_id,
        consumer_secret=emulator.client_secret,
        session=login_session,
    )
    assert sf.sf_instance == emulator.instance_url.removeprefix("https://")
    assert whoami(sf) == emulator.username


def test_direct_session_after_oauth(emulator: EmulatorInfo, sf: Salesforce) -> None:
    assert sf.auth_type == "direct"
    assert whoami(sf) == emulator.username
    assert sf.restful("")["sobjects"].endswith("/sobjects")  # type: ignore[index]


def test_client_credentials_through_simple_salesforce(
    emulator: EmulatorInfo, login_session: requests.Session
) -> None:
    sf = Salesforce(
        consumer_key=emulator.client_id,
        consumer_secret=emulator.client_secret,
        domain="lockstep-dev.my",  # a My Domain: simple-salesforce then uses Basic auth
        session=login_session,
    )
    assert sf.auth_type == "client-credentials"
    assert whoami(sf) == emulator.username


def test_client_credentials_in_the_form(emulator: EmulatorInfo, http: requests.Session) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
    }
    reply = http.post(emulator.token_url, data=form, timeout=10)
    assert reply.status_code == 200 and set(reply.json()) == TOKEN_KEYS


def test_refresh_token_grant_returns_the_refresh_token(
    emulator: EmulatorInfo, http: requests.Session
) -> None:
    form = {
        "grant_type": "refresh_token",
        "client_id": emulator.client_id,
        "refresh_token": emulator.refresh_token,
    }
    reply = http.post(emulator.token_url, data=form, timeout=10)
    assert reply.status_code == 200
    body = reply.json()
    assert body["refresh_token"] == emulator.refresh_token
    direct = Salesforce(
        instance_url=body["instance_url"], session_id=body["access_token"], session=http
    )
    assert whoami(direct) == emulator.username


def test_jwt_bearer_through_simple_salesforce(
    emulator: EmulatorInfo, login_session: requests.Session, private_key: str
) -> None:
    sf = Salesforce(
        username=emulator.username,
        consumer_key=emulator.client_id,
        privatekey=private_key,
        session=login_session,
    )
    assert sf.auth_type == "jwt-bearer"
    assert whoami(sf) == emulator.username


def _assertion(private_key: str, **claims: Any) -> str:
    return jwt.encode(claims, private_key, algorithm="RS256")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"iss": "someone-else"}, "invalid_client_id"),
        ({"sub": "nobody@example.com"}, "invalid_grant"),
        ({"aud": "https://evil.example.com"}, "invalid_grant"),
        ({"aud": "http://login.salesforce.com"}, "invalid_grant"),
        ({"exp": int(time.time()) - 3600}, "invalid_grant"),
        ({"exp": int(time.time()) + 3600}, "invalid_grant"),
        ({"exp": None}, "invalid_grant"),
    ],
)
def test_jwt_with_a_bad_claim_is_refused(
    emulator: EmulatorInfo,
    http: requests.Session,
    private_key: str,
    change: dict[str, Any],
    error: str,
) -> None:
    claims = {
        "iss": emulator.client_id,
        "sub": emulator.username,
        "aud": "https://login.salesforce.com",
        "exp": int(time.time()) + 180,
        **change,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": _assertion(private_key, **claims),
    }
    reply = http.post(emulator.token_url, data=form, timeout=10)
    assert reply.status_code == 400
    assert reply.json()["error"] == error


def test_jwt_audience_may_be_the_emulator_itself(
    emulator: EmulatorInfo, http: requests.Session, private_key: str
) -> None:
    claims = {
        "iss": emulator.client_id,
        "sub": emulator.username,
        "aud": emulator.login_url,
        "exp": str(int(time.time()) + 180),  # simple-salesforce sends a string
    }
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": _assertion(private_key, **claims),
    }
    assert http.post(emulator.token_url, data=form, timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        ({"password": "wrong"}, "invalid_grant", "authentication failure"),
        ({"username": "someone@else.com"}, "invalid_grant", "authentication failure"),
        ({"client_id": "unknown"}, "invalid_client_id", "client identifier invalid"),
        ({"client_secret": "wrong"}, "invalid_client", "invalid client credentials"),
        (
            {"grant_type": "authorization_code"},
            "unsupported_grant_type",
            "grant type not supported",
        ),
        ({"grant_type": ""}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_a_refused_token_request_says_why(
    emulator: EmulatorInfo,
    http: requests.Session,
    grant: Grant,
    change: dict[str, str],
    error: str,
    description: str,
) -> None:
    reply = http.post(emulator.token_url, data={**grant(emulator), **change}, timeout=10)
    assert reply.status_code == 400
    assert reply.json() == {"error": error, "error_description": description}


def test_bad_refresh_token_and_assertion_are_refused(
    emulator: EmulatorInfo, http: requests.Session
) -> None:
    bad_refresh = {
        "grant_type": "refresh_token",
        "client_id": emulator.client_id,
        "refresh_token": "5Aepnope",
    }
    reply = http.post(emulator.token_url, data=bad_refresh, timeout=10)
    assert reply.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    for assertion in ("", "not-a-jwt", "a.b.c", "a.W10.c"):  # W10 is "[]"
        form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        reply = http.post(emulator.token_url, data=form, timeout=10)
        assert reply.status_code == 400
        assert reply.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


def test_simple_salesforce_raises_on_bad_oauth_credentials(
    emulator: EmulatorInfo, login_session: requests.Session
) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        Salesforce(
            username=emulator.username,
            password="wrong",
            consumer_key=emulator.client_id,
            consumer_secret=emulator.client_secret,
            session=login_session,
        )
    assert caught.value.code == "invalid_grant"


# -- SOAP ----------------------------------------------------------------------------------


def test_soap_login_through_simple_salesforce(
    emulator: EmulatorInfo, login_session: requests.Session
) -> None:
    sf = Salesforce(
        username=emulator.username,
        password=emulator.password,
        security_token=emulator.security_token,
        session=login_session,
    )
    assert sf.auth_type == "password"
    assert sf.sf_instance == emulator.instance_url.removeprefix("https://")
    assert sf.session_id.startswith(emulator.org_id[:15] + "!")
    assert whoami(sf) == emulator.username


def test_soap_login_with_organization_id(
    emulator: EmulatorInfo, login_session: requests.Session
) -> None:
    sf = Salesforce(
        username=emulator.username,
        password=emulator.password,
        organizationId=emulator.org_id[:15],
        session=login_session,
    )
    assert sf.auth_type == "ipfilter"
    assert whoami(sf) == emulator.username


@pytest.mark.parametrize(
    "login",
    [
        lambda e: {"password": "wrong", "security_token": e.security_token},
        lambda e: {"password": "wrong", "organizationId": e.org_id},
        lambda e: {"password": e.password, "organizationId": "00D000000000001"},
    ],
    ids=["wrong-password", "wrong-password-org-scoped", "other-org"],
)
def test_soap_login_failure_raises_invalid_login(
    emulator: EmulatorInfo,
    login_session: requests.Session,
    login: Callable[[EmulatorInfo], dict[str, str]],
) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        Salesforce(username=emulator.username, session=login_session, **login(emulator))
    assert caught.value.code == "INVALID_LOGIN"
    assert "Invalid username, password, security token" in caught.value.auth_message


def test_soap_login_reply_has_what_clients_read(
    emulator: EmulatorInfo, http: requests.Session
) -> None:
    body = f"""<?xml version="1.0" encoding="utf-8" ?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
                  xmlns:urn="urn:partner.soap.sforce.com">
  <soapenv:Body><urn:login>
    <urn:username>{emulator.username.upper()}</urn:username>
    <urn:password>{emulator.password}{emulator.security_token}</urn:password>
  </urn:login></soapenv:Body>
</soapenv:Envelope>"""
    reply = soap(http, emulator, body)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/xml")
    text = reply.text
    org15 = emulator.org_id[:15]
    for fragment in (
        "<sessionId>" + org15 + "!",
        f"<serverUrl>{emulator.instance_url}/services/Soap/u/59.0/{org15}</serverUrl>",
        f"<metadataServerUrl>{emulator.instance_url}/services/Soap/m/59.0/{org15}<",
        "<passwordExpired>false</passwordExpired>",
        "<sandbox>false</sandbox>",
        "<userId>005",
        f"<organizationId>{emulator.org_id}</organizationId>",
        f"<userName>{emulator.username}</userName>",
        "<userEmail>",
        "<userFullName>",
    ):
        assert fragment in text


@pytest.mark.parametrize(
    ("body", "faultcode"),
    [
        (b"", "soapenv:Client"),
        (b"<not xml", "soapenv:Client"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<x>&e;</x>",
            "soapenv:Client",
        ),
        (b"<Envelope/>", "soapenv:VersionMismatch"),
        (
            b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
            b'<describeGlobal xmlns="urn:partner.soap.sforce.com"/></e:Body></e:Envelope>',
            "soapenv:Client",
        ),
        (
            b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
            b'<login xmlns="urn:partner.soap.sforce.com"><username>x</username></login>'
            b"</e:Body></e:Envelope>",
            "soapenv:Client",
        ),
    ],
)
def test_unreadable_soap_is_a_fault_not_a_crash(
    emulator: EmulatorInfo, http: requests.Session, body: bytes, faultcode: str
) -> None:
    reply = soap(http, emulator, body)
    assert reply.status_code == 500
    assert f"<faultcode>{faultcode}</faultcode>" in reply.text
    assert "root:" not in reply.text  # no entity was expanded


def test_soap_login_on_an_unsupported_version(
    emulator: EmulatorInfo, http: requests.Session
) -> None:
    reply = http.post(f"{emulator.login_url}/services/Soap/u/5.0", data=b"<x/>", timeout=10)
    assert reply.status_code == 500
    assert "<sf:exceptionCode>UNSUPPORTED_API_VERSION</sf:exceptionCode>" in reply.text


# -- identity --------------------------------------------------------------------------------


def _token(emulator: EmulatorInfo, http: requests.Session, grant: Grant) -> str:
    reply = http.post(emulator.token_url, data=grant(emulator), timeout=10)
    return str(reply.json()["access_token"])


def test_userinfo_describes_the_user_and_the_api_urls(
    emulator: EmulatorInfo, http: requests.Session, grant: Grant
) -> None:
    token = _token(emulator, http, grant)
    reply = http.get(
        f"{emulator.instance_url}/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["organization_id"] == emulator.org_id
    assert body["user_id"].startswith("005") and len(body["user_id"]) == 18
    assert body["preferred_username"] == emulator.username
    assert body["sub"] == f"{emulator.instance_url}/id/{emulator.org_id}/{body['user_id']}"
    assert {"email", "name", "given_name", "family_name", "zoneinfo", "locale"} <= set(body)
    urls = body["urls"]
    assert urls["rest"] == f"{emulator.instance_url}/services/data/v{{version}}/"
    assert urls["sobjects"] == f"{emulator.instance_url}/services/data/v{{version}}/sobjects/"
    assert urls["query"] == f"{emulator.instance_url}/services/data/v{{version}}/query/"
    assert urls["partner"].endswith(f"/services/Soap/u/{{version}}/{emulator.org_id[:15]}")


def test_identity_url_answers_with_a_version_when_asked(
    emulator: EmulatorInfo, http: requests.Session, grant: Grant
) -> None:
    reply = http.post(emulator.token_url, data=grant(emulator), timeout=10).json()
    identity = http.get(
        reply["id"], params={"version": "59.0", "oauth_token": reply["access_token"]}, timeout=10
    )
    assert identity.status_code == 200
    body = identity.json()
    assert body["id"] == reply["id"]
    assert body["username"] == emulator.username
    assert body["organization_id"] == emulator.org_id
    assert body["urls"]["rest"] == f"{emulator.instance_url}/services/data/v59.0/"


@pytest.mark.parametrize(
    ("path", "token", "status", "code"),
    [
        ("/services/oauth2/userinfo", None, 403, "Missing_OAuth_Token"),
        ("/services/oauth2/userinfo", "00D000000000000!bad", 403, "Bad_OAuth_Token"),
        ("/id/00D000000000000AAA/{user}", "good", 403, "Wrong_Org"),
        ("/id/{org}/005000000000000AAA", "good", 404, "Bad_Id"),
    ],
)
def test_identity_failures_are_salesforces_plain_codes(
    emulator: EmulatorInfo,
    http: requests.Session,
    grant: Grant,
    path: str,
    token: str | None,
    status: int,
    code: str,
) -> None:
    reply = http.post(emulator.token_url, data=grant(emulator), timeout=10).json()
    user = reply["id"].rsplit("/", 1)[1]
    headers = {}
    if token is not None:
        headers["Authorization"] = "Bearer " + (reply["access_token"] if token == "good" else token)
    url = emulator.instance_url + path.format(org=emulator.org_id, user=user)
    answer = http.get(url, headers=headers, timeout=10)
    assert (answer.status_code, answer.text) == (status, code)


# -- sessions on data calls --------------------------------------------------------------------


def test_an_unknown_token_gets_401_invalid_session_id(
    emulator: EmulatorInfo, http: requests.Session
) -> None:
    direct = Salesforce(
        instance_url=emulator.instance_url, session_id="00D000000000000!nope", session=http
    )
    with pytest.raises(SalesforceExpiredSession) as caught:
        direct.restful("")
    assert caught.value.status == 401
    assert caught.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_revoke_ends_a_session(
    emulator: EmulatorInfo, http: requests.Session, grant: Grant
) -> None:
    token = _token(emulator, http, grant)
    url = f"{emulator.instance_url}/services/oauth2/revoke"
    assert http.post(url, data={"token": token}, timeout=10).status_code == 200
    direct = Salesforce(instance_url=emulator.instance_url, session_id=token, session=http)
    with pytest.raises(SalesforceExpiredSession):
        direct.restful("")
    again = http.post(url, data={"token": token}, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "unsupported_token_type"


def test_emulator_session_ignores_a_stale_ca_bundle_in_the_environment(
    emulator: EmulatorInfo, login_session: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    sf = Salesforce(
        username=emulator.username,
        password=emulator.password,
        security_token=emulator.security_token,
        session=login_session,
    )
    assert whoami(sf) == emulator.username
