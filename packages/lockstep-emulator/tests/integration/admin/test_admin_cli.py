"""``lockstep-emulator stats|faults|refresh|clock|undelete|reset|seed`` against a running
emulator: each command's output, how it logs in, and its exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from lockstep_emulator.cli.serve import emulator_app
from lockstep_emulator.client import EmulatorProcess, connect, start_emulator
from typer.testing import CliRunner

SCHEMA = Path(__file__).with_name("admin_schema.yaml")


@pytest.fixture(scope="module")
def cli_emulator() -> Iterator[EmulatorProcess]:
    with start_emulator("--schema", str(SCHEMA)) as process:
        yield process


@pytest.fixture(scope="module")
def info_file(cli_emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "emulator.json"
    path.write_bytes(orjson.dumps(cli_emulator.info.__dict__))
    return path


def emulator(*args: str, stdin: bytes | None = None) -> tuple[int, Any, str]:
    """Exit code, stdout as JSON (or text), stderr."""
    result = CliRunner().invoke(
        emulator_app, list(args), input=stdin, prog_name="lockstep-emulator"
    )
    try:
        out = orjson.loads(result.stdout)
    except orjson.JSONDecodeError:
        out = result.stdout
    return result.exit_code, out, result.stderr


def test_stats_counts_and_resets(info_file: Path) -> None:
    code, shot, _ = emulator("stats", "--info", str(info_file), "--reset")
    assert code == 0 and shot["total"] >= 1 and "by_route" in shot
    code, shot, _ = emulator("stats", "--info", str(info_file))
    assert code == 0
    assert shot["by_family"]["auth"] == 1 and shot["by_family"]["admin"] == 1  # login, then GET


def test_faults_set_list_clear(info_file: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_bytes(orjson.dumps([{"kind": "latency", "ms": 5, "match": {"path": "/limits"}}]))
    code, listing, _ = emulator(
        "faults", "set", str(rules), "--seed", "5", "--info", str(info_file)
    )
    assert code == 0 and listing["seed"] == 5 and listing["rules"][0]["kind"] == "latency"
    code, listing, _ = emulator("faults", "list", "--info", str(info_file))
    assert code == 0 and len(listing["rules"]) == 1
    code, listing, _ = emulator("faults", "clear", "--info", str(info_file))
    assert code == 0 and listing == {"seed": None, "rules": []}
    code, listing, _ = emulator(
        "faults", "set", "-", "--info", str(info_file),
        stdin=b'{"rules": [{"kind": "hang", "match": {"path": "/limits"}}], "seed": 2}',
    )  # fmt: skip
    assert code == 0 and listing["seed"] == 2
    emulator("faults", "clear", "--info", str(info_file))


def test_a_bad_rule_file_exits_2_naming_the_field(info_file: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_bytes(orjson.dumps([{"kind": "http_error", "status": 42}]))
    code, _, err = emulator("faults", "set", str(rules), "--info", str(info_file))
    assert code == 2
    assert err == (
        "lockstep-emulator faults set: error: the emulator refused (400): "
        "INVALID_FIELD: rules[0].status: Input should be greater than or equal to 400\n"
    )
    rules.write_text("[{")
    code, _, err = emulator("faults", "set", str(rules), "--info", str(info_file))
    assert code == 2 and "is not JSON" in err and err.count("\n") == 1


def test_clock_reads_and_moves(info_file: Path) -> None:
    code, now, _ = emulator("clock", "--info", str(info_file))
    assert code == 0 and now["offset_seconds"] == 0
    code, moved, _ = emulator(
        "clock", "--advance-minutes", "30", "--advance-seconds", "1",
        "--info", str(info_file),
    )  # fmt: skip
    assert code == 0 and moved["offset_seconds"] == 1801 and moved["purged"] == 0


def test_seed_json_and_csv_then_undelete(info_file: Path, tmp_path: Path) -> None:
    json_file = tmp_path / "seed.json"
    json_file.write_bytes(orjson.dumps({"Account": [{"Name": "From JSON"}]}))
    code, done, _ = emulator("seed", str(json_file), "--info", str(info_file))
    assert code == 0 and done["created"] == 1
    csv_file = tmp_path / "seed.csv"
    csv_file.write_text("Name,External_Id__c\nFrom CSV,cli-1\n")
    code, done, _ = emulator("seed", str(csv_file), "--object", "Account", "--info", str(info_file))
    assert code == 0 and done["created"] == 1
    [rid] = done["ids"]["Account"]
    code, _, err = emulator("seed", str(csv_file), "--info", str(info_file))
    assert code == 2 and "a CSV file needs --object" in err

    code, results, _ = emulator("undelete", rid, "--info", str(info_file))
    assert code == 1 and results[0]["errors"][0]["statusCode"] == "UNDELETE_FAILED"


def test_reset_needs_yes(info_file: Path) -> None:
    code, _, err = emulator("reset", "--info", str(info_file))
    assert code == 2 and "add --yes" in err
    code, done, _ = emulator("reset", "--yes", "--info", str(info_file))
    assert code == 0 and done["deleted"] >= 2


def test_login_options_and_token_work_without_an_info_file(
    cli_emulator: EmulatorProcess,
) -> None:
    info = cli_emulator.info
    where = ["--url", info.instance_url, "--ca-cert", info.ca_cert]
    login = [
        "--username", info.username, "--password", info.password,
        "--client-id", info.client_id, "--client-secret", info.client_secret,
    ]  # fmt: skip
    code, shot, _ = emulator("stats", *where, *login)
    assert code == 0 and shot["total"] > 0
    code, shot, _ = emulator("stats", *where, "--token", connect(info).session_id)
    assert code == 0
    code, _, err = emulator("stats", *where, "--token", "00Dx!nope")
    assert code == 2 and "(401): INVALID_SESSION_ID: Session expired or invalid" in err
    code, _, err = emulator("stats", *where, "--username", "x")
    assert code == 2 and "give --token, or --info FILE, or --password" in err


def test_refresh_changes_the_org_id(info_file: Path, cli_emulator: EmulatorProcess) -> None:
    code, done, _ = emulator("refresh", "--info", str(info_file))
    assert code == 0 and done["previous_org_id"] == cli_emulator.info.org_id != done["org_id"]


def test_usage_mistakes_exit_2_and_an_unreachable_emulator_exits_3(tmp_path: Path) -> None:
    code, _, err = emulator("stats")
    assert code == 2 and err == (
        "lockstep-emulator stats: error: say where the emulator is: --url URL or --info FILE\n"
    )
    bad = tmp_path / "info.json"
    bad.write_text("{}")
    code, _, err = emulator("clock", "--info", str(bad))
    assert code == 2 and "is not an emulator's start-up line" in err
    code, _, err = emulator("refresh", "--url", "https://127.0.0.1:9", "--token", "t")
    assert code == 3 and err.startswith(
        "lockstep-emulator refresh: error: the emulator is unreachable"
    )
    assert err.count("\n") == 1
