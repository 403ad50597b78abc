"""What every peer script shares: an emulator in a child process, a token, API-call
counts, and the one-line JSON summary.

The peer scripts run in ``bench/peers/.venv`` (the peers' own pins), so nothing here
imports lockstep: the emulator is started through lockstep's CLI in lockstep's own
virtualenv (``LOCKSTEP`` overrides the path to that ``lockstep`` executable), exactly as
a user of the peer would run it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
API_VERSION = "62.0"
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class PeerFailure(Exception):
    """The peer ran but its result is wrong: the script exits 1 with the reason."""


def lockstep_executable() -> str:
    return os.environ.get("LOCKSTEP") or str(REPO / ".venv" / "bin" / "lockstep")


@dataclass
class Emulator:
    """A running ``lockstep emulator serve`` and a token for the script's own calls."""

    info: dict[str, Any]
    process: subprocess.Popen[bytes]
    session: requests.Session = field(default_factory=requests.Session)
    access_token: str = ""

    @property
    def base(self) -> str:
        return f"{self.info['instance_url']}/services/data/v{API_VERSION}"

    def peer_env(self, **extra: str) -> dict[str, str]:
        """The environment for a peer process: trust the emulator's CA and nothing else.

        This machine (and many CI images) set ``REQUESTS_CA_BUNDLE`` to the system
        bundle, which requests prefers over anything a client configures; override it.
        """
        env = dict(os.environ)
        env["REQUESTS_CA_BUNDLE"] = self.info["ca_cert"]
        env["SSL_CERT_FILE"] = self.info["ca_cert"]
        env.pop("CURL_CA_BUNDLE", None)
        env.update(extra)
        return env

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One call of the script's own (seeding, probing, verifying), not the peer's."""
        url = path if path.startswith("https://") else f"{self.base}/{path.lstrip('/')}"
        reply = self.session.request(method, url, timeout=60, **kwargs)
        if reply.status_code >= 400:
            raise PeerFailure(f"{method} {url} -> {reply.status_code} {reply.text[:500]}")
        return reply

    def api_usage(self) -> int:
        """Calls counted so far, from ``Sforce-Limit-Info`` (this probe included)."""
        reply = self.call("GET", "limits")
        match = _USAGE.search(reply.headers.get("Sforce-Limit-Info", ""))
        if match is None:
            raise PeerFailure("the emulator sent no Sforce-Limit-Info header on limits/")
        return int(match.group(1))

    def admin_stats(self) -> dict[str, Any] | None:
        """``GET /_emulator/stats`` if this emulator has it (admin calls are not counted
        in ``Sforce-Limit-Info``), else None."""
        reply = self.session.get(f"{self.info['instance_url']}/_emulator/stats", timeout=30)
        return reply.json() if reply.status_code == 200 else None

    @contextmanager
    def metered(self) -> Iterator[dict[str, Any]]:
        """The API calls made inside the block, the script's own probes left out.

        ``api_calls`` is what ``Sforce-Limit-Info`` counted (OAuth token calls are not
        counted there). With ``/_emulator/stats``, also ``by_family`` and ``by_route``.
        """
        meter: dict[str, Any] = {}
        used = self.api_usage()
        stats = self.admin_stats()
        yield meter
        after = self.admin_stats()
        meter["api_calls"] = self.api_usage() - used - 1
        if stats is not None and after is not None:
            for key in ("by_family", "by_route"):
                old, new = stats.get(key, {}), after.get(key, {})
                meter[key] = {
                    name: count - old.get(name, 0)
                    for name, count in new.items()
                    if count != old.get(name, 0) and name != "admin" and "/_emulator/" not in name
                }

    def insert(self, sobject: str, records: list[dict[str, Any]]) -> list[str]:
        """Insert through sObject Collections, 200 a call; returns the new ids in order."""
        ids: list[str] = []
        for start in range(0, len(records), 200):
            chunk = [{"attributes": {"type": sobject}, **r} for r in records[start : start + 200]]
            results = self.call(
                "POST", "composite/sobjects", json={"allOrNone": True, "records": chunk}
            ).json()
            failed = [r for r in results if not r.get("success")]
            if failed:
                raise PeerFailure(f"seeding {sobject} failed: {failed[:3]}")
            ids.extend(r["id"] for r in results)
        return ids

    def query_all(self, soql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        reply = self.call("GET", "query", params={"q": soql}).json()
        rows.extend(reply["records"])
        while not reply["done"]:
            reply = self.call("GET", self.info["instance_url"] + reply["nextRecordsUrl"]).json()
            rows.extend(reply["records"])
        return rows

    def newest_stamp_lead(self, *sobjects: str) -> float:
        """Seconds by which the newest ``SystemModstamp`` of ``sobjects`` is ahead of now."""
        newest = 0.0
        for sobject in sobjects:
            rows = self.call(
                "GET",
                "query",
                params={
                    "q": f"SELECT SystemModstamp FROM {sobject} "
                    "ORDER BY SystemModstamp DESC LIMIT 1"
                },
            ).json()["records"]
            if rows:
                stamp = rows[0]["SystemModstamp"].replace("+0000", "+00:00")
                newest = max(newest, datetime.fromisoformat(stamp).timestamp())
        return max(newest - time.time(), 0.0)

    def wait_for_stamps(self, *sobjects: str, limit: float = 60.0) -> float:
        """Sleep until real time has passed every ``SystemModstamp``; returns the wait.

        See README.md, "Emulator gaps": the emulator hands out one distinct millisecond
        per record, so a fast write runs its stamps ahead of real time, and a client that
        caps its cursor at its own clock (tap-salesforce does) does not advance past them.
        """
        lead = self.newest_stamp_lead(*sobjects)
        if lead > limit:
            raise PeerFailure(f"SystemModstamps run {lead:.1f}s ahead of real time")
        time.sleep(lead + 0.01 if lead else 0)
        return round(lead, 3)


@contextmanager
def running_emulator(*args: str) -> Iterator[Emulator]:
    """``lockstep emulator serve --memory --port 0 ARGS`` until the block ends."""
    command = [lockstep_executable(), "emulator", "serve", "--memory", "--port", "0", *args]
    if not Path(command[0]).exists():
        raise PeerFailure(f"no lockstep at {command[0]}: run `make venv`, or set LOCKSTEP")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise PeerFailure(f"the emulator did not start: {' '.join(command)}\n{stderr}")
        info = json.loads(line)
        emulator = Emulator(info, process)
        emulator.session.verify = info["ca_cert"]
        emulator.session.trust_env = False  # REQUESTS_CA_BUNDLE must not win over verify
        token = emulator.session.post(
            info["token_url"],
            data={
                "grant_type": "password",
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "username": info["username"],
                "password": info["password"] + info["security_token"],
            },
            timeout=30,
        )
        if token.status_code != 200:
            raise PeerFailure(f"OAuth password grant failed: {token.text}")
        emulator.access_token = token.json()["access_token"]
        emulator.session.headers["Authorization"] = f"Bearer {emulator.access_token}"
        yield emulator
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Check:
    """Named expectations collected, so one run reports every mismatch at once."""

    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def equal(self, what: str, actual: Any, expected: Any) -> None:
        if actual == expected:
            self.passed += 1
        else:
            self.failures.append(f"{what}: got {actual!r}, expected {expected!r}")

    def true(self, what: str, condition: bool, detail: Any = None) -> None:
        if condition:
            self.passed += 1
        else:
            self.failures.append(what if detail is None else f"{what}: {detail!r}")


class Stopwatch:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._start = time.perf_counter()

    @contextmanager
    def lap(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.laps[name] = round(time.perf_counter() - start, 3)

    def total(self) -> float:
        return round(time.perf_counter() - self._start, 3)


def finish(summary: Mapping[str, Any], check: Check, work: Path, keep: bool = False) -> int:
    """Print the summary as one JSON line; the exit code says whether every check held.

    The work directory (logs, catalog, datasets) is removed after a clean run, and kept,
    and named in the summary, after a failed one or with ``keep``.
    """
    out = dict(summary)
    out["checks_passed"] = check.passed
    out["failures"] = check.failures
    out["ok"] = not check.failures
    if out["ok"] and not keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        out["workdir"] = str(work)
    print(json.dumps(out, default=str), flush=True)
    return 0 if out["ok"] else 1


def fail(peer: str, error: BaseException, work: Path) -> int:
    """The run could not finish: one JSON line with the reason; the work directory is kept."""
    out = {"peer": peer, "ok": False, "error": f"{type(error).__name__}: {error}"}
    print(json.dumps({**out, "workdir": str(work)}), flush=True)
    return 1


def run_logged(
    command: list[str],
    log: Path,
    env: Mapping[str, str],
    cwd: Path | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run a peer command with stderr appended to ``log`` (its tail shown on failure).

    stdout is returned when ``capture`` (a Singer tap's messages), else logged too.
    """
    with log.open("ab") as out:
        done = subprocess.run(
            command,
            stdout=subprocess.PIPE if capture else out,
            stderr=out,
            env=dict(env),
            cwd=cwd,
            timeout=600,
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-40:]
        sys.stderr.write("\n".join(tail) + "\n")
        raise PeerFailure(f"{' '.join(command)} exited {done.returncode} (log: {log})")
    return done
