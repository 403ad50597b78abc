"""Run the emulator: open the org, get TLS files, listen, announce, serve until told to stop.

The start-up contract with whoever launched us (tests, benchmarks, the demo, a user's
CI) is one JSON line on stdout, printed once the server accepts connections: where
to connect, which CA to trust and how to log in. Everything else goes to stderr. We
bind the socket ourselves, so ``--port 0`` picks a free port and the line can name it.

SIGINT and SIGTERM both stop the server gracefully: in-flight requests finish, the
app's shutdown runs, the org's database is checkpointed and closed, and the exit code
is 0.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import ssl
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import orjson
import uvicorn

from lockstep_emulator.api import faults, streaming
from lockstep_emulator.api.app import build_app
from lockstep_emulator.exits import EXIT_CANNOT_RUN, EXIT_OK, EXIT_USAGE
from lockstep_emulator.org import Credentials, Org, OrgSettings
from lockstep_emulator.schema.loader import SchemaFileError
from lockstep_emulator.tls import TlsFiles, ensure_tls, write_file

log = logging.getLogger("lockstep_emulator")

SECRETS_FILE = "secrets.json"
GRACEFUL_SECONDS = 5  # for requests in flight when told to stop
# uvicorn drops a connection idle for 5 s by default; clients pool connections far
# longer (Salesforce keeps them open for minutes), and a dropped one breaks their next call.
KEEP_ALIVE_SECONDS = 120


@dataclass(frozen=True)
class ServeOptions:
    """What ``lockstep emulator serve`` was asked for. ``None`` means the default.

    Without ``data_dir`` the org lives in a temporary directory and is gone on exit.
    Generated secrets (client secret, refresh token) are kept in the data directory,
    so clients configured with them keep working across restarts.
    """

    host: str = "127.0.0.1"
    port: int = 8443
    data_dir: Path | None = None
    schema_file: Path | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token_ttl: timedelta = timedelta(hours=2)
    daily_api_limit: int = 15_000_000
    sandbox: bool = False
    log_level: str = "warning"


def serve(options: ServeOptions) -> int:
    """Serve until SIGINT or SIGTERM; the process exit code."""
    logging.basicConfig(
        stream=sys.stderr,
        level=options.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        org = Org(_settings(options), options.data_dir)
    except SchemaFileError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        return EXIT_USAGE
    except (OSError, sqlite3.Error) as exc:
        _fail(f"cannot open the org in {options.data_dir}: {exc}")
        return EXIT_CANNOT_RUN
    tls_dir = options.data_dir / "tls" if options.data_dir else Path(tempfile.mkdtemp("-tls"))
    try:
        try:
            tls = ensure_tls(tls_dir, [options.host])
        except OSError as exc:
            _fail(f"cannot write the TLS files in {tls_dir}: {exc}")
            return EXIT_CANNOT_RUN
        return _run(org, options, tls)
    finally:
        org.close()
        if options.data_dir is None:
            shutil.rmtree(tls_dir, ignore_errors=True)


def _run(org: Org, options: ServeOptions, tls: TlsFiles) -> int:
    try:
        sock = _bind(options.host, options.port)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        _fail(f"cannot listen on {options.host}:{options.port}: {reason}")
        return EXIT_CANNOT_RUN
    url = _url(options.host, sock.getsockname()[1])
    config = uvicorn.Config(
        build_app(org),
        ssl_certfile=str(tls.cert_chain),
        ssl_keyfile=str(tls.key),
        log_level=options.log_level,
        log_config=None,
        access_log=False,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = _Server(
        config,
        lambda: _announce(startup_info(org, options, tls, url)),
        lambda: _stopping(org),
    )
    _stop_on_signals(server)
    _tune_gc()
    try:
        server.run(sockets=[sock])
    except (OSError, ssl.SSLError) as exc:
        _fail(f"the server stopped: {exc}")
        return EXIT_CANNOT_RUN
    finally:
        sock.close()
    return EXIT_OK


def startup_info(org: Org, options: ServeOptions, tls: TlsFiles, url: str) -> dict[str, Any]:
    """The start-up line: where to connect, what to trust, how to log in."""
    creds = org.settings.credentials
    return {
        "instance_url": url,
        "token_url": f"{url}/services/oauth2/token",
        "login_url": url,
        "ca_cert": str(tls.ca_cert),
        "org_id": org.org_id,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "username": creds.username,
        "password": creds.password,
        "security_token": creds.security_token,
        "refresh_token": creds.refresh_token,
        "data_dir": str(options.data_dir.resolve()) if options.data_dir else None,
    }


def _stopping(org: Org) -> None:
    """End what would hold up the drain: CometD long polls, requests a fault holds."""
    streaming.stop(org)
    faults.stop(org)


class _Server(uvicorn.Server):
    """uvicorn's server, telling us once it accepts connections."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_started: Callable[[], None],
        on_stopping: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(config)
        self._on_started = on_started
        self._on_stopping = on_stopping  # ends long polls, which would hold up the drain

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Drop idle keep-alive connections at once, then shut down gracefully.

        Closing a TLS connection waits for the peer's close_notify, which a client
        holding an idle pooled connection never sends: every stop would take the whole
        graceful timeout. An idle connection has nothing in flight to lose.
        """
        self._on_stopping()
        for connection in list(self.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            transport = getattr(connection, "transport", None)
            if transport is not None and (cycle is None or cycle.response_complete):
                transport.abort()
        await super().shutdown(sockets=sockets)


def _stop_on_signals(server: _Server) -> None:
    """Stop gracefully on SIGINT/SIGTERM, whenever they come.

    uvicorn installs its own handlers only while serving, and afterwards re-raises
    the signal it caught; with ours in place that re-raise lands here, harmlessly,
    instead of killing the process with the signal's default action.
    """

    def stop(signum: int, _frame: FrameType | None) -> None:
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)


def _announce(info: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(info).decode() + "\n")
    sys.stdout.flush()
    log.info("listening on %s", info["instance_url"])


def _tune_gc() -> None:
    """Keep the cyclic collector off the hot path.

    A page of query results allocates thousands of short-lived dicts, none in a cycle
    (reference counting frees them). With the default gen-0 threshold of 700 the
    collector runs every few records and walks the whole live heap, doubling the cost
    of shaping rows; measured in bench/emulator_bench.py. What exists at start-up is
    frozen out of collection, and gen 0 is collected about seventy times less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 50)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if _is_ipv6(host) else socket.AF_INET
    if not _is_ip(host):
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    return socket.create_server((host, port), family=family, backlog=2048)


def _url(host: str, port: int) -> str:
    """``https://host:port`` a client can reach (a wildcard address means loopback)."""
    if _is_ip(host):
        address = ipaddress.ip_address(host)
        if address.is_unspecified:
            host = "::1" if address.version == 6 else "127.0.0.1"
    return f"https://[{host}]:{port}" if _is_ipv6(host) else f"https://{host}:{port}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_ipv6(host: str) -> bool:
    return _is_ip(host) and ipaddress.ip_address(host).version == 6


def _settings(options: ServeOptions) -> OrgSettings:
    defaults = Credentials()
    stored = _stored_secrets(options.data_dir)
    creds = replace(
        defaults,
        username=options.username or defaults.username,
        password=options.password if options.password is not None else defaults.password,
        security_token=options.security_token or defaults.security_token,
        client_id=options.client_id or defaults.client_id,
        client_secret=options.client_secret or stored["client_secret"],
        refresh_token=stored["refresh_token"],
    )
    return OrgSettings(
        credentials=creds,
        token_ttl=options.token_ttl,
        daily_api_limit=options.daily_api_limit,
        is_sandbox=options.sandbox,
        schema_file=options.schema_file,
    )


def _stored_secrets(data_dir: Path | None) -> dict[str, str]:
    """The generated client secret and refresh token: kept in the data directory."""
    fresh = {
        "client_secret": secrets.token_hex(16),
        "refresh_token": "5Aep" + secrets.token_urlsafe(32),
    }
    if data_dir is None:
        return fresh
    path = data_dir / SECRETS_FILE
    try:
        stored = orjson.loads(path.read_bytes())
        if isinstance(stored, dict) and all(isinstance(stored.get(k), str) for k in fresh):
            return {k: stored[k] for k in fresh}
    except FileNotFoundError:
        pass
    except (OSError, orjson.JSONDecodeError) as exc:
        log.warning("ignoring unreadable %s (%s); generating new secrets", path, exc)
    data_dir.mkdir(parents=True, exist_ok=True)
    write_file(path, orjson.dumps(fresh), secret=True)
    return fresh


def _fail(message: str) -> None:
    print(f"lockstep-emulator: error: {message}", file=sys.stderr)
