"""``lockstep status``: the numbers it prints are the ledger's, after real sync passes
(``control_helpers.build``: a record Salesforce refused, two changes waiting while it
was down); exit 1 while an exception is open; a clear line, exit 0 and nothing created
when there is no ledger yet."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from control_helpers import cli
from lockstep_emulator.client import EmulatorInfo

from lockstep.ledger import Ledger
from lockstep.ledger.tables import QUEUE_STATES
from lockstep.reports.summary import iso_utc
from tests.support.sync_world import World

ENTITIES = ("customer", "contact", "contract", "usage")


def test_json_gives_the_ledgers_numbers(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, world.config_path, "status", "--json")

    assert result.code == 1, result.err  # a failed change needs a person
    status = result.json()
    assert status["exists"] is True
    assert status["ledger"] == str(world.directory / "ledger.db")
    with world.ledger() as ledger:
        sync = ledger.last_run("sync", status=None)
        assert sync is not None and sync.summary is not None
        assert status["runs"]["sync"]["run_id"] == sync.run_id
        assert status["runs"]["sync"]["status"] == "interrupted"
        assert status["runs"]["sync"]["counts"] == sync.summary["counts"]
        assert status["runs"]["sync"]["finished_at"] == iso_utc(sync.finished_at or sync.started_at)
        assert {m: status["runs"][m] for m in ("migrate", "relink", "plan")} == dict.fromkeys(
            ("migrate", "relink", "plan")
        )

        assert list(status["queue"]) == list(ENTITIES)  # the config's order
        for entity in ENTITIES:
            counts = {s: status["queue"][entity][s] for s in QUEUE_STATES}
            assert counts == ledger.queue_counts(entity=entity), entity
        assert status["totals"] == ledger.queue_counts()
        assert status["needs_a_person"] == ledger.queue_counts()["failed"] == 1

        pending = ledger.queue_items(states=("pending",), entity="customer")
        assert len(pending) == 2
        customer = status["queue"]["customer"]
        assert customer["waiting"] == 2
        assert customer["next_retry_at"] == iso_utc(min(i.available_at for i in pending))
        assert customer["oldest_pending_at"] == iso_utc(min(i.enqueued_at for i in pending))
        assert customer["oldest_pending_age_seconds"] >= 0
        assert customer["errors"] == [{"state": "pending", "code": "UNREACHABLE", "count": 2}]
        contact = status["queue"]["contact"]
        assert contact["errors"] == [
            {"state": "failed", "code": "INVALID_EMAIL_ADDRESS", "count": 1}
        ]
        assert (contact["waiting"], contact["oldest_pending_at"], contact["next_retry_at"]) == (
            0,
            None,
            None,
        )

        stored = ledger.exceptions()
        assert status["exceptions"]["open"] == len(stored) == 1
        (recent,) = status["exceptions"]["recent"]
        assert (recent["id"], recent["run_id"]) == (stored[0].id, stored[0].run_id)
        assert (recent["entity"], recent["system"], recent["key"], recent["code"]) == (
            "contact",
            "crm",
            "2",
            "INVALID_EMAIL_ADDRESS",
        )


def test_text_shows_runs_queue_errors_and_exceptions(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    result = cli(capsys, world.config_path, "status")

    assert result.code == 1, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith(f"ledger {world.directory / 'ledger.db'}, at ")
    row: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("  "):
            row.setdefault(line.split()[0], line.split())  # a table's row comes first
    assert row["migrate"][1:] == ["-", "never", "ran"]
    assert row["sync"][2] == "interrupted"
    # entity, pending, in_flight, done, failed, dead, waiting, then times
    assert row["customer"][1:2] + row["customer"][4:7] == ["2", "0", "0", "2"]
    assert row["contact"][4:7] == ["1", "0", "0"]
    assert "  customer  pending  UNREACHABLE" in result.out
    assert "  contact   failed   INVALID_EMAIL_ADDRESS" in result.out
    assert "exceptions: 1 open, the latest 1" in result.out
    assert "Email: invalid email address: not an email" in result.out
    assert "1 open exception: it needs a person" in result.out
    assert "sync interrupted: capture of customer (crm) stopped" in result.out


def test_a_relative_ledger_is_read_from_the_configs_folder(
    world: World,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = copy.deepcopy(world.config)
    config["run"]["ledger"] = "sqlite:///ledger.db"
    relative = world.directory / "relative.yaml"
    relative.write_text(yaml.safe_dump(config, sort_keys=False))
    monkeypatch.chdir(tmp_path)

    result = cli(capsys, relative, "status", "--json")

    assert result.json()["ledger"] == str(world.directory / "ledger.db")
    assert result.json()["totals"]["failed"] == 1


def fresh_config(directory: Path, org: EmulatorInfo) -> Path:
    """A config whose ledger (relative: ``state/ledger.db``) does not exist."""
    from tests.support.sync_world import config_of

    config = config_of(org, f"sqlite:///{directory / 'app.db'}", directory)
    config["run"]["ledger"] = "sqlite:///state/ledger.db"
    path = directory / "lockstep.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_no_ledger_yet_is_a_line_not_an_error_and_creates_nothing(
    org: EmulatorInfo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = fresh_config(tmp_path, org)
    ledger = tmp_path / "state" / "ledger.db"

    text = cli(capsys, config, "status")
    as_json = cli(capsys, config, "status", "--json")

    assert (text.code, text.err) == (0, "")
    assert text.out == f"no ledger at {ledger}: nothing has run\n"
    assert as_json.code == 0
    data = as_json.json()
    assert (data["exists"], data["ledger"], data["queue"], data["runs"]) == (
        False,
        str(ledger),
        {},
        {},
    )
    assert data["needs_a_person"] == 0
    assert not (tmp_path / "state").exists()


def test_an_empty_ledger_database_counts_as_none(
    org: EmulatorInfo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = fresh_config(tmp_path, org)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "ledger.db").touch()

    result = cli(capsys, config, "status")

    assert result.code == 0 and "nothing has run" in result.out


def test_a_ledger_with_nothing_queued_exits_0(
    org: EmulatorInfo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = fresh_config(tmp_path, org)
    Ledger.open(f"sqlite:///{tmp_path / 'state' / 'ledger.db'}").close()

    result = cli(capsys, config, "status", "--json")

    assert result.code == 0, result.err
    status = result.json()
    assert status["exists"] is True
    assert status["runs"] == dict.fromkeys(("migrate", "relink", "sync", "plan"))
    assert status["totals"] == dict.fromkeys(QUEUE_STATES, 0)
    assert status["exceptions"] == {"open": 0, "recent": []}
