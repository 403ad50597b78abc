"""Access tokens: issued at login, checked on every API call, kept across restarts.

Tokens live in the org's database (table ``_sessions``), so a client holding a token
keeps working when the emulator restarts on the same data directory, as it would
against a real org. Checking one is on the path of every call, so lookups are served
from memory; the cache never outlives what it caches: expiry is checked on each
lookup against the org's clock (which an admin may move forward), and revoking or
invalidating drops the cached entries with the rows.

A token looks like Salesforce's: the 15-character org id, ``!``, then random text.
"""

from __future__ import annotations

import base64
import secrets
import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.requests import Request

from lockstep_emulator.errors import InvalidSession
from lockstep_emulator.org import Org

_TABLE = (
    "CREATE TABLE IF NOT EXISTS _sessions (token TEXT PRIMARY KEY, user_id TEXT NOT NULL, "
    "org_id TEXT NOT NULL, issued_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL)"
)
_INDEX = "CREATE INDEX IF NOT EXISTS ix_sessions_expiry ON _sessions (expires_ms)"
_SCHEMES = ("bearer", "oauth")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
MAX_CACHED = 10_000


@dataclass(frozen=True)
class Session:
    """One access token and whom it acts as."""

    token: str
    user_id: str
    org_id: str
    issued_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    @property
    def issued_ms(self) -> int:
        """``issued_at`` in milliseconds since the epoch, as OAuth replies state it."""
        return _ms(self.issued_at)


class SessionStore:
    """The tokens of one org: issue, look up, revoke."""

    def __init__(self, org: Org) -> None:
        self._org = org
        self._cache: dict[str, Session] = {}
        self._lock = threading.Lock()
        with org.db.transaction() as conn:
            conn.execute(_TABLE)
            conn.execute(_INDEX)

    def issue(self) -> Session:
        """A new token for the org's user, valid for ``settings.token_ttl``."""
        org = self._org
        now = org.clock.now()
        session = Session(
            token=new_token(org.org_id),
            user_id=org.user_id,
            org_id=org.org_id,
            issued_at=_to_ms_precision(now),
            expires_at=_to_ms_precision(now + org.settings.token_ttl),
        )
        with org.db.transaction() as conn:
            conn.execute("DELETE FROM _sessions WHERE expires_ms <= ?", (_ms(now),))
            conn.execute(
                "INSERT INTO _sessions (token, user_id, org_id, issued_ms, expires_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    session.token,
                    session.user_id,
                    session.org_id,
                    _ms(session.issued_at),
                    _ms(session.expires_at),
                ),
            )
        self._remember(session, now)
        return session

    def lookup(self, token: str) -> Session | None:
        """The live session ``token`` names, or None (unknown, expired, other org)."""
        now = self._org.clock.now()
        with self._lock:
            session = self._cache.get(token)
        if session is None:
            session = self._load(token)
            if session is None:
                return None
        if session.expired(now) or session.org_id != self._org.org_id:
            with self._lock:
                self._cache.pop(token, None)
            return None
        self._remember(session, now)
        return session

    def revoke(self, token: str) -> bool:
        """End one session; True when it existed."""
        with self._org.db.transaction() as conn:
            deleted = conn.execute("DELETE FROM _sessions WHERE token = ?", (token,)).rowcount
        with self._lock:
            self._cache.pop(token, None)
        return bool(deleted)

    def invalidate_all(self) -> None:
        """End every session (a sandbox refresh logs everyone out)."""
        with self._org.db.transaction() as conn:
            conn.execute("DELETE FROM _sessions")
        with self._lock:
            self._cache.clear()

    def _remember(self, session: Session, now: datetime) -> None:
        """Cache a session; past ``MAX_CACHED`` entries, forget the expired, then the oldest
        half (the database still has them)."""
        with self._lock:
            self._cache[session.token] = session
            if len(self._cache) <= MAX_CACHED:
                return
            for token in [t for t, s in self._cache.items() if s.expired(now)]:
                del self._cache[token]
            if len(self._cache) > MAX_CACHED:
                for token in list(self._cache)[: len(self._cache) // 2]:
                    del self._cache[token]

    def _load(self, token: str) -> Session | None:
        db = self._org.db
        with db.lock:
            row = db.conn.execute(
                "SELECT user_id, org_id, issued_ms, expires_ms FROM _sessions WHERE token = ?",
                (token,),
            ).fetchone()
        if row is None:
            return None
        user_id, org_id, issued_ms, expires_ms = row
        return Session(token, user_id, org_id, _from_ms(issued_ms), _from_ms(expires_ms))


_stores: weakref.WeakKeyDictionary[Org, SessionStore] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def store_for(org: Org) -> SessionStore:
    """The one ``SessionStore`` of ``org`` (created, with its table, on first use)."""
    with _stores_lock:
        store = _stores.get(org)
        if store is None:
            store = _stores[org] = SessionStore(org)
        return store


def issue(org: Org) -> Session:
    """A new session for the org's user."""
    return store_for(org).issue()


def require_session(org: Org, request: Request) -> Session:
    """The session a request carries, or ``InvalidSession`` (401 INVALID_SESSION_ID).

    REST sends ``Authorization: Bearer <token>`` (older clients ``OAuth <token>``);
    Bulk API 1.0 sends ``X-SFDC-Session: <token>``.
    """
    token = token_of(request)
    session = store_for(org).lookup(token) if token else None
    if session is None:
        raise InvalidSession()
    return session


def token_of(request: Request) -> str | None:
    """The access token in a request's headers, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in _SCHEMES and value.strip():
        return value.strip()
    bulk = request.headers.get("x-sfdc-session", "").strip()
    return bulk or None


def new_token(org_id: str) -> str:
    """``00D…!AQ…``: the 15-character org id, ``!``, and 96 random characters."""
    random = base64.b64encode(secrets.token_bytes(72), altchars=b"._").decode()
    return f"{org_id[:15]}!AQ{random}"


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def _from_ms(ms: int) -> datetime:
    return _EPOCH + ms * _MS


def _to_ms_precision(moment: datetime) -> datetime:
    """What the database keeps, so a session reads back equal to the one issued."""
    return _from_ms(_ms(moment))
