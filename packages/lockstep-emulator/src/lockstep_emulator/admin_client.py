"""Talking to a running emulator's admin API (``/_emulator/``) over HTTPS.

The ``lockstep emulator stats|faults|refresh|…`` commands are a thin layer over this,
and tests use it directly. Errors are of two kinds, because a caller reacts to them
differently: ``Unreachable`` (no answer: wrong URL, not running, TLS not trusted) and
``AdminRefused`` (an answer saying no: bad token, bad rule).

    Exception
    ├── Unreachable     no usable answer
    └── AdminRefused    4xx/5xx, with the emulator's message
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests

from lockstep_emulator.client import EmulatorInfo, password_grant

TIMEOUT = 60.0


class Unreachable(Exception):
    """The emulator did not answer (connection refused, TLS failure, timeout)."""


class AdminRefused(Exception):
    """The emulator answered with an error status; ``message`` is what it said."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}")


class AdminClient:
    """One emulator's admin API, as one access token."""

    def __init__(self, url: str, token: str, ca_cert: str | None = None) -> None:
        self.url = url.rstrip("/")
        self._http = _session(ca_cert)
        self._http.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def login(
        cls,
        url: str,
        ca_cert: str | None,
        username: str,
        password: str,
        client_id: str,
        client_secret: str,
    ) -> AdminClient:
        """Log in with the OAuth password grant, as any client of the org would."""
        form = {
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": client_secret,
            "username": username,
            "password": password,
        }
        reply = _send(_session(ca_cert), "POST", f"{url.rstrip('/')}/services/oauth2/token", form)
        return cls(url, str(reply["access_token"]), ca_cert)

    @classmethod
    def for_info(cls, info: EmulatorInfo) -> AdminClient:
        """Logged in to the emulator a start-up line describes."""
        grant = password_grant(info)
        return cls.login(
            info.instance_url, info.ca_cert, grant["username"], grant["password"],
            grant["client_id"], grant["client_secret"],
        )  # fmt: skip

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        csv: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """``/_emulator/<path>``; the JSON answer, or ``AdminRefused`` / ``Unreachable``."""
        kwargs: dict[str, Any] = {"params": params}
        if csv is not None:
            kwargs.update(data=csv, headers={"Content-Type": "text/csv"})
        elif body is not None:
            kwargs["json"] = body
        return _send(self._http, method, f"{self.url}/_emulator/{path}", None, **kwargs)

    def stats(self) -> Any:
        return self.call("GET", "stats")

    def reset_stats(self) -> Any:
        return self.call("DELETE", "stats")

    def faults(self) -> Any:
        return self.call("GET", "faults")

    def set_faults(self, rules: Sequence[Mapping[str, Any]], seed: int | None = None) -> Any:
        return self.call("PUT", "faults", {"rules": list(rules), "seed": seed})

    def clear_faults(self) -> Any:
        return self.call("DELETE", "faults")

    def refresh(self) -> Any:
        return self.call("POST", "refresh")

    def clock(self) -> Any:
        return self.call("GET", "clock")

    def advance_clock(self, **amounts: float) -> Any:
        """``advance_seconds=…``, ``advance_hours=…``, …"""
        return self.call("POST", "clock", amounts)

    def undelete(self, ids: Sequence[str]) -> Any:
        return self.call("POST", "undelete", {"ids": list(ids)})

    def reset(self) -> Any:
        return self.call("POST", "reset")

    def seed(self, records: Mapping[str, Sequence[Mapping[str, Any]]]) -> Any:
        return self.call("POST", "seed", dict(records))

    def seed_csv(self, object_name: str, text: bytes) -> Any:
        return self.call("POST", "seed", csv=text, params={"object": object_name})

    def close(self) -> None:
        self._http.close()


def _session(ca_cert: str | None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not override the emulator's CA
    if ca_cert is not None:
        session.verify = ca_cert
    return session


def _send(
    http: requests.Session, method: str, url: str, form: Mapping[str, str] | None, **kw: Any
) -> Any:
    try:
        if form is not None:
            kw["data"] = form
        reply = http.request(method, url, timeout=TIMEOUT, **kw)
    except requests.exceptions.SSLError as exc:
        raise Unreachable(
            f"TLS failed with {url} (is --ca-cert the emulator's CA?): {exc}"
        ) from None
    except requests.exceptions.RequestException as exc:
        raise Unreachable(f"no answer from {url}: {type(exc).__name__}") from None
    if reply.status_code >= 400:
        raise AdminRefused(reply.status_code, _message(reply))
    try:
        return reply.json()
    except ValueError:
        raise Unreachable(f"{url} did not answer JSON (is it an emulator?)") from None


def _message(reply: requests.Response) -> str:
    """The emulator's words: every ``errorCode: message`` of a Salesforce-shaped error
    list (what admin routes and data calls answer), or an OAuth error's description."""
    try:
        body = reply.json()
    except ValueError:
        return reply.text.strip()[:200] or reply.reason
    if isinstance(body, dict):
        text = body.get("message") or body.get("error_description") or body.get("error")
        return str(text or body)
    if isinstance(body, list) and all(isinstance(e, dict) for e in body) and body:
        return "; ".join(f"{e.get('errorCode', '')}: {e.get('message', '')}" for e in body)
    return str(body)
