"""Helpers for the CDC tests: an emulator served in this process (so a test can move
its clock), a raw Bayeux client over ``requests``, and an aiosfstream authenticator
pointed at the emulator."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import requests
import uvicorn
from aiosfstream_ng.auth import AuthenticatorBase
from lockstep_emulator.api import streaming
from lockstep_emulator.api.app import build_app
from lockstep_emulator.client import EmulatorInfo, password_grant
from lockstep_emulator.org import Org, OrgSettings
from lockstep_emulator.server import ServeOptions, startup_info
from lockstep_emulator.tls import ensure_tls

SCHEMA = Path(__file__).parent.parent / "schema.yaml"


@dataclass(frozen=True)
class InProcess:
    """An emulator whose ``Org`` the test holds: ``org.clock.advance`` works on it."""

    org: Org
    info: EmulatorInfo


@contextmanager
def serve_in_process(tls_dir: Path) -> Iterator[InProcess]:
    """The emulator's real app under uvicorn on a thread, over TLS, on a free port."""
    org = Org(OrgSettings(schema_file=SCHEMA), None)
    tls = ensure_tls(tls_dir)
    sock = socket.create_server(("127.0.0.1", 0))
    url = f"https://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        build_app(org),
        ssl_certfile=str(tls.cert_chain),
        ssl_keyfile=str(tls.key),
        log_level="warning",
        log_config=None,
        access_log=False,
        lifespan="on",
        ws="none",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    info = EmulatorInfo(**startup_info(org, ServeOptions(), tls, url))
    try:
        yield InProcess(org, info)
    finally:
        streaming.stop(org)
        server.should_exit = True
        thread.join(20)
        sock.close()
        org.close()


class Bayeux:
    """A raw Bayeux client: lockstep's own check of the wire, message by message."""

    def __init__(self, http: requests.Session, info: EmulatorInfo, token: str) -> None:
        self.http = http
        self.url = f"{info.instance_url}/cometd/59.0"
        self.token = token
        self.client_id = ""
        self._id = 0

    def send(self, *messages: dict[str, Any], timeout: float = 30) -> list[dict[str, Any]]:
        payload = []
        for message in messages:
            self._id += 1
            payload.append({"id": str(self._id), "clientId": self.client_id, **message})
        headers = {"Authorization": f"OAuth {self.token}"}
        reply = self.http.post(self.url, json=payload, headers=headers, timeout=timeout)
        assert reply.status_code == 200, reply.text
        body: list[dict[str, Any]] = reply.json()
        return body

    def handshake(self) -> dict[str, Any]:
        message = {"channel": "/meta/handshake", "version": "1.0"}
        reply = self.send({**message, "supportedConnectionTypes": ["long-polling"]})[0]
        self.client_id = reply.get("clientId", "")
        return reply

    def connect(self) -> list[dict[str, Any]]:
        return self.send({"channel": "/meta/connect", "connectionType": "long-polling"})

    def subscribe(self, channel: str, replay: int | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"channel": "/meta/subscribe", "subscription": channel}
        if replay is not None:
            message["ext"] = {"replay": {channel: replay}}
        return self.send(message)[0]

    def open(self, channel: str, replay: int | None = None) -> Bayeux:
        """Handshake, first connect, subscribe: ready to poll."""
        assert self.handshake()["successful"]
        assert self.connect()[-1]["successful"]
        reply = self.subscribe(channel, replay)
        assert reply["successful"], reply
        return self

    def events(self, count: int, deadline: float = 20) -> list[dict[str, Any]]:
        """Poll until ``count`` events came (more may come in the last batch)."""
        got: list[dict[str, Any]] = []
        end = time.monotonic() + deadline
        while len(got) < count:
            assert time.monotonic() < end, f"only {len(got)} of {count} events: {got}"
            got.extend(m for m in self.connect() if "data" in m)
        return got


def header(message: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = message["data"]["payload"]["ChangeEventHeader"]
    return value


def summary(messages: list[dict[str, Any]]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(entity, changeType, recordIds) of each event, in order."""
    return [
        (header(m)["entityName"], header(m)["changeType"], tuple(header(m)["recordIds"]))
        for m in messages
    ]


def trusting(info: EmulatorInfo) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=info.ca_cert)


class EmulatorAuthenticator(AuthenticatorBase):
    """aiosfstream's documented extension point: log in at the emulator's token URL
    (its own authenticators only know login.salesforce.com)."""

    def __init__(self, info: EmulatorInfo) -> None:
        super().__init__()
        self._info = info
        self._ssl = trusting(info)

    async def _authenticate(self) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self._info.token_url, data=password_grant(self._info), ssl=self._ssl
            ) as response,
        ):
            return response.status, await response.json()


def quiet_cancelled_connects(loop: asyncio.AbstractEventLoop) -> None:
    """aiocometd's connect callback logs the CancelledError of its own close as an
    error (it catches ``Exception`` only); keep every other loop error."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not isinstance(context.get("exception"), asyncio.CancelledError):
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
