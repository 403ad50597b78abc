"""Logging in by every flow, logging in again when the token dies, and the failures."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, password_grant, start_emulator
from sf_helpers import WIDGET, MakeConnector, closed_port

from lockstep.connectors.salesforce.client import RELOGINS
from lockstep.errors import AuthFailed, Unreachable


@pytest.fixture(scope="module")
def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def token_of(info: EmulatorInfo) -> str:
    with requests.Session() as http:
        http.trust_env, http.verify = False, info.ca_cert
        reply = http.post(info.token_url, data=password_grant(info), timeout=10)
        return str(reply.json()["access_token"])


def test_password_flow(make: MakeConnector) -> None:
    sf = make()
    sf.check()
    assert sf.calls.by_family == {"auth": 1, "rest": 1}
    assert sf.calls.total == 1
    assert sf.calls.used is not None and sf.calls.limit is not None


def test_client_credentials_flow(make: MakeConnector, org: EmulatorInfo) -> None:
    auth = {
        "flow": "client_credentials",
        "client_id": org.client_id,
        "client_secret": org.client_secret,
    }
    sf = make(auth=auth)
    assert sf.describe(WIDGET).key is not None
    assert sf.calls.by_family["auth"] == 1


@pytest.mark.parametrize("inline", [True, False], ids=["inline-key", "key-file"])
def test_jwt_flow(
    make: MakeConnector, org: EmulatorInfo, pem: str, tmp_path: Path, inline: bool
) -> None:
    auth: dict[str, str] = {
        "flow": "jwt",
        "client_id": org.client_id,
        "username": org.username,
    }
    if inline:
        auth["private_key"] = pem
    else:
        (tmp_path / "key.pem").write_text(pem)
        auth["private_key_file"] = str(tmp_path / "key.pem")
    sf = make(auth=auth)
    sf.check()
    assert sf.calls.by_family["auth"] == 1


def test_jwt_for_another_user_is_refused(make: MakeConnector, org: EmulatorInfo, pem: str) -> None:
    auth = {"flow": "jwt", "client_id": org.client_id, "username": "nobody@example.com"}
    with pytest.raises(AuthFailed, match="login refused"):
        make(auth={**auth, "private_key": pem}).check()


def test_refresh_token_flow(make: MakeConnector, org: EmulatorInfo) -> None:
    auth = {
        "flow": "refresh_token",
        "client_id": org.client_id,
        "client_secret": org.client_secret,
        "refresh_token": org.refresh_token,
    }
    sf = make(auth=auth)
    sf.check()
    assert sf.calls.by_family["auth"] == 1


def test_access_token_flow_cannot_renew(
    make: MakeConnector, org: EmulatorInfo, admin: AdminClient
) -> None:
    token = token_of(org)
    sf = make(
        login_url=None,
        instance_url=org.instance_url,
        auth={"flow": "access_token", "access_token": token},
    )
    sf.check()
    assert "auth" not in sf.calls.by_family
    admin.set_faults([{"kind": "expire_session", "count": 1}])
    with pytest.raises(AuthFailed, match="cannot log in again"):
        sf.describe(WIDGET)


def test_revoked_token_logs_in_again(make: MakeConnector, admin: AdminClient) -> None:
    sf = make()
    sf.check()
    admin.set_faults([{"kind": "expire_session", "count": 1, "match": {"path": "/describe"}}])
    assert sf.describe(WIDGET).name == WIDGET
    assert sf.calls.by_family["auth"] == 2
    assert sf.calls.by_family["rest"] == 3  # limits, the refused describe, the describe


def test_two_expiries_in_one_call_log_in_twice(make: MakeConnector, admin: AdminClient) -> None:
    sf = make()
    sf.check()
    admin.set_faults([{"kind": "expire_session", "count": 2, "match": {"path": "/describe"}}])
    assert sf.describe(WIDGET).name == WIDGET
    assert sf.calls.by_family["auth"] == 3
    assert sf.calls.by_family["rest"] == 4  # limits, two refused describes, the describe


def test_a_session_that_keeps_expiring_is_transient(
    make: MakeConnector, admin: AdminClient
) -> None:
    sf = make()
    sf.check()
    admin.set_faults([{"kind": "expire_session", "match": {"path": "/describe"}}])
    with pytest.raises(Unreachable, match="keeps expiring"):
        sf.describe(WIDGET)
    assert sf.calls.by_family["auth"] == 1 + RELOGINS  # the guard: then no more logins


def test_expired_token_logs_in_again(make: MakeConnector) -> None:
    with start_emulator("--token-ttl", "60") as short:
        info = short.info
        sf = make(info)
        sf.check()
        admin = AdminClient.for_info(info)
        try:
            admin.advance_clock(advance_seconds=120)
        finally:
            admin.close()
        assert sf.describe("Account").name == "Account"
        assert sf.calls.by_family["auth"] == 2


def test_wrong_password_is_auth_failed_without_the_secret(
    make: MakeConnector, org: EmulatorInfo
) -> None:
    secret = "Wrong-Pa55word-Secret"
    auth = {
        "flow": "password",
        "client_id": org.client_id,
        "client_secret": org.client_secret,
        "username": org.username,
        "password": secret,
    }
    with pytest.raises(AuthFailed) as failure:
        make(auth=auth).check()
    assert "authentication failure" in str(failure.value)
    assert secret not in str(failure.value)
    assert org.client_secret not in str(failure.value)


def test_wrong_client_secret_is_auth_failed(make: MakeConnector, org: EmulatorInfo) -> None:
    auth = {"flow": "client_credentials", "client_id": org.client_id, "client_secret": "x"}
    with pytest.raises(AuthFailed, match="invalid_client"):
        make(auth=auth).check()


def test_unreachable_login_url(make: MakeConnector) -> None:
    sf = make(login_url=f"https://127.0.0.1:{closed_port()}")
    with pytest.raises(Unreachable, match="ConnectionError"):
        sf.check()
    assert sf.calls.by_family == {}
