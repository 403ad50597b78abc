"""Connecting to an emulator: launch one, and point unmodified clients at it.

``start_emulator`` runs ``lockstep-emulator serve`` as a child process and reads its
start-up JSON line; tests, benchmarks and the demo all start emulators this way, so
they exercise the real command, TLS and all.

simple-salesforce hard-codes ``https://{domain}.salesforce.com`` for its SOAP and
OAuth logins. ``emulator_session`` gives it a ``requests.Session`` whose transport
sends any ``*.salesforce.com`` URL to the emulator instead and trusts the emulator's
CA; the instance URL the emulator answers with then points every later call at it.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce


class EmulatorError(Exception):
    """The emulator could not be started, or did not say how to reach it."""


@dataclass(frozen=True)
class EmulatorInfo:
    """The start-up line of ``lockstep-emulator serve``."""

    instance_url: str
    token_url: str
    login_url: str
    ca_cert: str
    org_id: str
    client_id: str
    client_secret: str
    username: str
    password: str
    security_token: str
    refresh_token: str
    data_dir: str | None

    @classmethod
    def from_json(cls, line: str | bytes) -> EmulatorInfo:
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise EmulatorError(f"the start-up line is not JSON: {line!r}") from exc
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if not isinstance(data, dict) or n not in data]
        if missing:
            raise EmulatorError(f"the start-up line lacks {', '.join(missing)}: {line!r}")
        return cls(**{n: data[n] for n in names})

    def session(self) -> requests.Session:
        """A ``requests.Session`` for simple-salesforce: see ``emulator_session``."""
        return emulator_session(self.login_url, self.ca_cert)


class SalesforceToEmulator(HTTPAdapter):
    """Sends ``https://*.salesforce.com/…`` to the emulator, trusting its CA."""

    def __init__(self, base_url: str, ca_cert: str) -> None:
        super().__init__()
        base = urlsplit(base_url)
        self._scheme, self._netloc = base.scheme, base.netloc
        self._ca_cert = ca_cert

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        host = (url.hostname or "").lower()
        if host == "salesforce.com" or host.endswith(".salesforce.com"):
            request.url = urlunsplit((self._scheme, self._netloc, url.path, url.query, ""))
            url = urlsplit(request.url)
        if url.netloc == self._netloc:
            # REQUESTS_CA_BUNDLE or a proxy from the environment must not win here.
            verify, proxies = self._ca_cert, {}
        return super().send(request, stream, timeout, verify, cert, proxies)


def emulator_session(login_url: str, ca_cert: str) -> requests.Session:
    """A session that reaches the emulator for every ``*.salesforce.com`` URL.

    ``Salesforce(username=…, password=…, security_token=…, session=emulator_session(…))``
    logs in through the emulator's SOAP endpoint, and logs in again by itself when its
    session expires.
    """
    session = requests.Session()
    session.verify = ca_cert
    session.mount("https://", SalesforceToEmulator(login_url, ca_cert))
    return session


def password_grant(info: EmulatorInfo) -> dict[str, str]:
    """The form of an OAuth username-password request for ``info``'s org."""
    return {
        "grant_type": "password",
        "client_id": info.client_id,
        "client_secret": info.client_secret,
        "username": info.username,
        "password": info.password + info.security_token,
    }


def connect(info: EmulatorInfo, session: requests.Session | None = None) -> Salesforce:
    """simple-salesforce as a direct session, after a real OAuth password call."""
    session = session or emulator_session(info.login_url, info.ca_cert)
    reply = session.post(info.token_url, data=password_grant(info), timeout=10)
    if reply.status_code != 200:
        raise EmulatorError(f"OAuth login to the emulator failed: {reply.text}")
    body = reply.json()
    return Salesforce(
        instance_url=body["instance_url"], session_id=body["access_token"], session=session
    )


class EmulatorProcess:
    """``lockstep-emulator serve`` as a child process; a context manager that stops it."""

    def __init__(
        self,
        *args: str,
        data_dir: Path | None = None,
        port: int = 0,
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        storage = ["--data-dir", str(data_dir)] if data_dir is not None else ["--memory"]
        self.command = [
            sys.executable, "-m", "lockstep_emulator", "serve",
            "--host", "127.0.0.1", "--port", str(port), *storage, *args,
        ]  # fmt: skip
        self._timeout = timeout
        self._env = {**os.environ, **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._reader: threading.Thread | None = None
        self.stdout_lines: list[bytes] = []
        self._info: EmulatorInfo | None = None

    @property
    def info(self) -> EmulatorInfo:
        if self._info is None:
            raise EmulatorError("the emulator is not started")
        return self._info

    @property
    def pid(self) -> int:
        if self._process is None:
            raise EmulatorError("the emulator is not started")
        return self._process.pid

    def start(self) -> EmulatorInfo:
        """Launch and wait for the start-up line; ``EmulatorError`` with its stderr if none."""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives until close()
        self._process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=self._stderr, env=self._env
        )
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        try:
            line = self._lines.get(timeout=self._timeout)
        except queue.Empty:
            line = None
        try:
            if not line:
                code = self.stop(signal.SIGKILL)
                why = f"exited with {code}" if line == b"" else f"said nothing in {self._timeout}s"
                raise EmulatorError(f"the emulator {why}:\n{self.stderr_text()}")
            self._info = EmulatorInfo.from_json(line)
        except EmulatorError:
            self.close()
            raise
        return self._info

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Signal the process and wait for it; its exit code (killed if it hangs)."""
        process = self._process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(timeout)  # it ends at end of file, now that the process has
        return process.returncode

    def close(self) -> None:
        """Stop the process and release its pipes and files."""
        self.stop()
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stderr_text(self) -> str:
        """Everything the process wrote to stderr so far."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _read_stdout(self) -> None:
        """Hand the first line to ``start``; keep draining so the pipe never fills."""
        process = self._process
        assert process is not None and process.stdout is not None
        first = True
        for line in iter(process.stdout.readline, b""):
            if first:
                self._lines.put(line)
                first = False
            else:
                self.stdout_lines.append(line)
        if first:
            self._lines.put(b"")

    def __enter__(self) -> EmulatorProcess:
        if self._info is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_emulator(
    *args: str,
    data_dir: Path | None = None,
    port: int = 0,
    timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
) -> EmulatorProcess:
    """A started emulator (``--memory`` unless ``data_dir``); use it in a ``with`` block.

    ``args`` are further ``serve`` flags, e.g. ``"--token-ttl", "1"``.
    """
    emulator = EmulatorProcess(*args, data_dir=data_dir, port=port, timeout=timeout, env=env)
    emulator.start()
    return emulator


__all__ = [
    "EmulatorError",
    "EmulatorInfo",
    "EmulatorProcess",
    "SalesforceToEmulator",
    "connect",
    "emulator_session",
    "password_grant",
    "start_emulator",
]
