"""Access tokens: their shape, their lifetime on the org's clock, revocation, the
memory cache staying truthful, and persistence across a reopen of the org."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from lockstep_emulator.api import sessions
from lockstep_emulator.api.sessions import require_session, store_for
from lockstep_emulator.errors import InvalidSession
from lockstep_emulator.org import Org, OrgSettings
from starlette.requests import Request

TTL = timedelta(minutes=30)


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Org]:
    org = Org(OrgSettings(token_ttl=TTL), tmp_path)
    yield org
    org.close()


def request(*headers: tuple[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


def test_a_token_looks_like_salesforces(org: Org) -> None:
    session = store_for(org).issue()
    assert re.fullmatch(re.escape(org.org_id[:15]) + r"![A-Za-z0-9._]{98}", session.token)
    assert session.user_id == org.user_id and session.org_id == org.org_id
    assert session.expires_at - session.issued_at == TTL


def test_tokens_are_unique(org: Org) -> None:
    store = store_for(org)
    assert len({store.issue().token for _ in range(50)}) == 50


def test_lookup_finds_a_live_session(org: Org) -> None:
    session = store_for(org).issue()
    assert store_for(org).lookup(session.token) == session
    assert store_for(org).lookup("00D000000000000!nope") is None


def test_a_session_expires_on_the_orgs_clock_even_when_cached(org: Org) -> None:
    store = store_for(org)
    session = store.issue()
    assert store.lookup(session.token) == session  # now cached
    org.clock.advance(TTL - timedelta(seconds=1))
    assert store.lookup(session.token) == session
    org.clock.advance(timedelta(seconds=1))
    assert store.lookup(session.token) is None


def test_revoke_ends_one_session(org: Org) -> None:
    store = store_for(org)
    kept, revoked = store.issue(), store.issue()
    assert store.revoke(revoked.token) is True
    assert store.revoke(revoked.token) is False
    assert store.lookup(revoked.token) is None
    assert store.lookup(kept.token) == kept


def test_invalidate_all_ends_every_session(org: Org) -> None:
    store = store_for(org)
    tokens = [store.issue().token for _ in range(3)]
    store.invalidate_all()
    assert [store.lookup(t) for t in tokens] == [None, None, None]


def test_sessions_survive_reopening_the_org(tmp_path: Path) -> None:
    first = Org(OrgSettings(token_ttl=TTL), tmp_path)
    session = store_for(first).issue()
    first.close()
    second = Org(OrgSettings(token_ttl=TTL), tmp_path)
    try:
        assert store_for(second) is not store_for(first)
        assert store_for(second).lookup(session.token) == session
    finally:
        second.close()


def test_the_cache_stays_bounded_and_lookups_still_work(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions, "MAX_CACHED", 10)
    store = store_for(org)
    issued = [store.issue() for _ in range(25)]
    assert len(store._cache) <= 10
    assert all(store.lookup(s.token) == s for s in issued)


def test_one_store_per_org(org: Org) -> None:
    assert store_for(org) is store_for(org)
    assert sessions.issue(org).org_id == org.org_id


@pytest.mark.parametrize(
    "header",
    [
        ("Authorization", "Bearer {token}"),
        ("Authorization", "bearer {token}"),
        ("Authorization", "OAuth {token}"),
        ("X-SFDC-Session", "{token}"),
    ],
)
def test_require_session_reads_each_header_clients_send(org: Org, header: tuple[str, str]) -> None:
    session = store_for(org).issue()
    name, value = header
    assert require_session(org, request((name, value.format(token=session.token)))) == session


@pytest.mark.parametrize(
    "headers",
    [
        (),
        (("Authorization", "Bearer"),),
        (("Authorization", "Basic dXNlcjpwYXNz"),),
        (("Authorization", "Bearer 00D000000000000!unknown"),),
    ],
)
def test_require_session_refuses_a_missing_or_unknown_token(
    org: Org, headers: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(InvalidSession) as caught:
        require_session(org, request(*headers))
    assert caught.value.status == 401
    assert caught.value.as_rest() == {
        "message": "Session expired or invalid",
        "errorCode": "INVALID_SESSION_ID",
    }


def test_require_session_refuses_an_expired_token(org: Org) -> None:
    session = store_for(org).issue()
    org.clock.advance(TTL)
    with pytest.raises(InvalidSession):
        require_session(org, request(("Authorization", f"Bearer {session.token}")))
