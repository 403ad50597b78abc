"""``lockstep-emulator serve`` as a process: its start-up line, signals, token expiry,
restarts on the same data directory, and how it fails on bad flags and config."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import typer
from lockstep_emulator import __version__
from lockstep_emulator.cli.serve import emulator_app
from lockstep_emulator.client import (
    EmulatorError,
    EmulatorInfo,
    EmulatorProcess,
    emulator_session,
    start_emulator,
)
from lockstep_emulator.tls import ensure_tls
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

LogIn = Callable[[EmulatorInfo, requests.Session], Salesforce]
DOCS = Path(__file__).parents[2] / "docs" / "emulator.md"
KEYS = {
    "instance_url", "token_url", "login_url", "ca_cert", "org_id", "client_id",
    "client_secret", "username", "password", "refresh_token", "security_token", "data_dir",
}  # fmt: skip


def emulator(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lockstep_emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


def trusting(info: EmulatorInfo) -> requests.Session:
    session = requests.Session()
    session.verify = info.ca_cert
    session.trust_env = False
    return session


# -- the start-up line ---------------------------------------------------------------------


def test_the_start_up_line_says_how_to_connect(emulator: EmulatorInfo) -> None:
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", emulator.instance_url)
    assert not emulator.instance_url.endswith(":0")
    assert emulator.login_url == emulator.instance_url
    assert emulator.token_url == emulator.instance_url + "/services/oauth2/token"
    assert Path(emulator.ca_cert).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert re.fullmatch(r"00D[A-Za-z0-9]{15}", emulator.org_id)
    assert emulator.data_dir is None  # --memory
    assert emulator.client_secret and emulator.refresh_token and emulator.password
    assert set(EmulatorInfo.__dataclass_fields__) == KEYS  # from_json required each one


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_it_cleanly_after_exactly_one_line(sig: signal.Signals) -> None:
    with start_emulator() as process:
        with trusting(process.info) as session:  # leaves a keep-alive connection open
            reply = session.get(process.info.instance_url + "/services/data", timeout=10)
            assert reply.status_code == 200
        assert process.stop(sig) == 0
        assert process.stdout_lines == []
        assert "Traceback" not in process.stderr_text()


def test_stopping_does_not_wait_for_idle_keep_alive_connections() -> None:
    with start_emulator() as process, trusting(process.info) as session:
        session.get(process.info.instance_url + "/services/data", timeout=10)
        started = time.monotonic()
        assert process.stop() == 0
        assert time.monotonic() - started < 3


def test_an_idle_keep_alive_connection_is_still_open_after_seven_seconds(
    emulator: EmulatorInfo,
) -> None:
    """A pooled connection left idle past uvicorn's default 5 s carries the next call."""
    context = ssl.create_default_context(cafile=emulator.ca_cert)
    host, port = emulator.instance_url.removeprefix("https://").rsplit(":", 1)
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    try:
        connection.request("GET", "/services/data")
        first = connection.getresponse()
        first.read()
        assert first.status == 200 and not first.will_close
        sock = connection.sock
        time.sleep(7)
        connection.request("GET", "/services/data")
        second = connection.getresponse()
        second.read()
        assert second.status == 200 and connection.sock is sock
    finally:
        connection.close()


# -- token expiry ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_lived() -> Iterator[EmulatorInfo]:
    with start_emulator("--token-ttl", "1") as process:
        yield process.info


def test_an_expired_token_gets_401_invalid_session_id(
    short_lived: EmulatorInfo, log_in: LogIn
) -> None:
    with trusting(short_lived) as session:
        sf = log_in(short_lived, session)
        assert sf.restful("") is not None
        time.sleep(1.2)
        raw = session.get(
            short_lived.instance_url + "/services/data/v59.0/",
            headers={"Authorization": f"Bearer {sf.session_id}"},
            timeout=10,
        )
        assert raw.status_code == 401
        assert raw.json() == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]
        with pytest.raises(SalesforceExpiredSession):
            sf.restful("")


def test_a_password_login_client_logs_in_again_by_itself(short_lived: EmulatorInfo) -> None:
    with emulator_session(short_lived.login_url, short_lived.ca_cert) as session:
        sf = Salesforce(
            username=short_lived.username,
            password=short_lived.password,
            security_token=short_lived.security_token,
            session=session,
        )
        first = sf.session_id
        time.sleep(1.2)
        assert sf.restful("") is not None
        assert sf.session_id != first


# -- restarts ----------------------------------------------------------------------------------


def test_a_restart_on_the_same_data_dir_is_the_same_org(tmp_path: Path, log_in: LogIn) -> None:
    data_dir = tmp_path / "org"
    with start_emulator(data_dir=data_dir) as first:
        before = first.info
        assert before.data_dir == str(data_dir.resolve())
        ca = Path(before.ca_cert).read_bytes()
        with trusting(before) as session:
            sf = log_in(before, session)
            account_id = sf.Account.create({"Name": "Acme Corp"})["id"]
            token = sf.session_id
        assert first.stop(signal.SIGTERM) == 0

    with start_emulator(data_dir=data_dir) as second:
        after = second.info
        assert after.org_id == before.org_id
        assert (after.client_secret, after.refresh_token) == (
            before.client_secret,
            before.refresh_token,
        )
        assert Path(after.ca_cert).read_bytes() == ca  # clients' trust survives
        with trusting(after) as session:
            # the old token and the old port-less instance: same data, same session
            direct = Salesforce(instance_url=after.instance_url, session_id=token, session=session)
            assert direct.Account.get(account_id)["Name"] == "Acme Corp"


def test_without_storage_flags_the_org_lives_in_dot_lockstep(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "lockstep_emulator", "serve", "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        info = EmulatorInfo.from_json(process.stdout.readline())
        assert info.data_dir == str((tmp_path / ".lockstep" / "emulator").resolve())
        assert (tmp_path / ".lockstep" / "emulator" / "tls" / "ca.pem").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err


# -- schema files ------------------------------------------------------------------------------

SCHEMA = """\
objects:
  Contract__c:
    fields:
      Status__c: {type: picklist, values: [Draft, Active], default: Draft}
"""


def test_a_schema_file_adds_its_objects(tmp_path: Path, log_in: LogIn) -> None:
    schema = tmp_path / "schema.yaml"
    schema.write_text(SCHEMA)
    with start_emulator("--schema", str(schema)) as process, trusting(process.info) as session:
        sf = log_in(process.info, session)
        describe = sf.Contract__c.describe()
        assert describe["keyPrefix"] == "a00"
        status = next(f for f in describe["fields"] if f["name"] == "Status__c")
        assert [v["value"] for v in status["picklistValues"]] == ["Draft", "Active"]


def test_a_bad_schema_file_lists_every_error_and_exits_2(tmp_path: Path) -> None:
    schema = tmp_path / "schema.yaml"
    schema.write_text("objects:\n  Invoice: {}\n  A__c:\n    fields: {X__c: {type: strng}}\n")
    result = emulator("serve", "--memory", "--port", "0", "--schema", str(schema))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{schema}:2:3: objects.Invoice: ")
    assert lines[1].startswith(f"{schema}:4:27: objects.A__c.fields.X__c.type: unknown type")


# -- failures ------------------------------------------------------------------------------------


def test_a_port_in_use_exits_3_with_one_clear_line() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = emulator("serve", "--memory", "--port", str(port))
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"lockstep-emulator: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--memory", "--data-dir", "x"), "use either --memory or --data-dir, not both"),
        (("--port", "-1"), "Invalid value for '--port'"),
        (("--schema", "missing.yaml"), "file 'missing.yaml' does not exist"),
        (("--bogus",), "No such option: --bogus"),
    ],
)
def test_bad_flags_exit_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = emulator("serve", *args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lockstep-emulator serve: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_version() -> None:
    result = emulator("--version")
    assert (result.returncode, result.stdout) == (0, f"lockstep-emulator {__version__}\n")


def test_start_emulator_surfaces_stderr_when_the_emulator_fails(tmp_path: Path) -> None:
    schema = tmp_path / "schema.yaml"
    schema.write_text("objects: [\n")
    process = EmulatorProcess("--schema", str(schema))
    with pytest.raises(EmulatorError, match=r"exited with 2:\n.*invalid YAML"):
        process.start()


def test_every_serve_flag_is_documented() -> None:
    serve = typer.main.get_group(emulator_app).commands["serve"]
    docs = DOCS.read_text()
    flags = [opt for p in serve.params for opt in p.opts + p.secondary_opts if opt != "--help"]
    assert flags, "no flags found"
    assert [f for f in flags if f"`{f}" not in docs] == []


def test_tls_files_are_reused_and_reissued_only_for_new_hosts(tmp_path: Path) -> None:
    first = ensure_tls(tmp_path)
    ca, chain = first.ca_cert.read_bytes(), first.cert_chain.read_bytes()
    assert ensure_tls(tmp_path) == first
    assert (first.ca_cert.read_bytes(), first.cert_chain.read_bytes()) == (ca, chain)
    for secret in (first.key, tmp_path / "ca-key.pem"):
        assert secret.stat().st_mode & 0o777 == 0o600
    ensure_tls(tmp_path, ["emulator.test", "0.0.0.0"])
    assert first.ca_cert.read_bytes() == ca  # the CA clients trust stays
    assert first.cert_chain.read_bytes() != chain  # a certificate that names the new host


def test_generated_secrets_are_kept_private(tmp_path: Path) -> None:
    with start_emulator(data_dir=tmp_path):
        pass
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
