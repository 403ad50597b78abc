"""``lockstep explain ENTITY KEY``: one record's lineage as the ledger has it, after
real sync passes (``control_helpers.build``), found by its owner's id, another
system's id or its global id; exit 2 for an entity or system the config does not
have, exit 1 for a record the ledger does not know."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from control_helpers import BAD_EMAIL, cli
from lockstep_emulator.client import EmulatorInfo

from lockstep.ledger import ExceptionEntry
from lockstep.reports.summary import iso_utc
from tests.support.sync_world import World, config_of


def explain(world: World, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    result = cli(capsys, world.config_path, "explain", *args, "--json")
    assert result.code == 0, result.err
    return result.json()


def test_a_synced_record_in_every_system(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    found = explain(world, capsys, "customer", "1")

    row = world.rows("customers")[1]
    with world.ledger() as ledger:
        gid = ledger.global_id("customer", "app", "1")
        assert found["global_id"] == gid == row["gid"]
        assert found["found_as"] == "app id"
        assert {s: v["native_id"] for s, v in found["systems"].items()} == {
            "app": "1",
            "crm": row["sf_id"],
        }
        assert found["systems"]["app"]["owner"] is True
        assert found["systems"]["crm"]["owner"] is False
        golden = ledger.golden("customer", gid)
        assert golden is not None
        assert found["golden"] == {
            "values": {"name": "Acme", "phone": "555-0001"},
            "version": golden.version,
            "updated_at": iso_utc(golden.updated_at),
        }
        for system, side in found["systems"].items():
            state = ledger.synced("customer", gid, system)
            assert state is not None
            assert side["synced"] == {
                "fingerprint": state.fingerprint,
                "version": state.version,
                "synced_at": iso_utc(state.synced_at),
            }
            assert side["agrees"] is True
            assert side["expected_fingerprint"] == state.fingerprint
        ids = [i.id for i in ledger.queue_items(entity="customer") if i.global_id == gid]
    assert found["changes_total"] == len(found["changes"]) >= 2
    assert {c["state"] for c in found["changes"]} == {"done"}
    assert set(ids) <= {c["id"] for c in found["changes"]}
    assert {c["origin"] for c in found["changes"]} == {"app", "crm"}
    assert found["exceptions"] == []


def test_found_alike_by_salesforce_id_and_by_global_id(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    by_owner = explain(world, capsys, "customer", "1")
    sf_id = by_owner["systems"]["crm"]["native_id"]

    by_crm = explain(world, capsys, "customer", sf_id, "--system", "crm")
    by_gid = explain(world, capsys, "customer", by_owner["global_id"])

    assert by_crm["found_as"] == "crm id" and by_gid["found_as"] == "global id"
    for other in (by_crm, by_gid):
        assert {k: v for k, v in other.items() if k not in ("key", "found_as")} == {
            k: v for k, v in by_owner.items() if k not in ("key", "found_as")
        }


def test_a_refused_record_shows_its_failed_change_and_exception(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    found = explain(world, capsys, "contact", "2")

    assert found["systems"]["app"]["native_id"] == "2"
    assert found["systems"]["crm"]["native_id"] is None  # never created there
    assert found["systems"]["crm"]["synced"] is None
    assert found["golden"]["values"]["email"] == BAD_EMAIL
    (failed,) = [c for c in found["changes"] if c["state"] == "failed"]
    assert (failed["origin"], failed["native_id"], failed["attempts"]) == ("app", "2", 1)
    assert failed["last_error"].startswith("INVALID_EMAIL_ADDRESS: ")
    (exception,) = found["exceptions"]
    assert (exception["system"], exception["key"], exception["code"]) == (
        "crm",
        "2",
        "INVALID_EMAIL_ADDRESS",
    )
    assert exception["resolved_at"] is None
    with world.ledger() as ledger:
        (stored,) = ledger.exceptions(entity="contact")
    assert (exception["id"], exception["run_id"]) == (stored.id, stored.run_id)


def test_a_waiting_record_shows_its_pending_change(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    found = explain(world, capsys, "customer", "2")

    assert found["systems"]["crm"]["native_id"] is None
    (change,) = found["changes"]
    assert (change["state"], change["attempts"]) == ("pending", 1)
    assert change["last_error"].startswith("UNREACHABLE: ")
    assert change["available_at"] > change["enqueued_at"]
    assert found["exceptions"] == []  # waiting is not an exception


def test_text_names_the_record_its_systems_and_what_went_wrong(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    result = cli(capsys, world.config_path, "explain", "contact", "2")

    assert result.code == 0, result.err
    with world.ledger() as ledger:
        gid = ledger.global_id("contact", "app", "2")
    assert result.out.splitlines()[0] == f"contact {gid}, found by app id 2"
    assert "  app (owner)  2" in result.out
    assert "golden record, version 1" in result.out
    assert '  email      "not an email"' in result.out
    assert "failed" in result.out and "INVALID_EMAIL_ADDRESS: Email" in result.out
    assert "exceptions: 1" in result.out


def test_a_record_never_linked_is_shown_by_its_exceptions(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    # As migrate records a record whose first write was refused: no global id, no link.
    with world.ledger() as ledger:
        ledger.record_exceptions(
            None, [ExceptionEntry("customer", "crm", "77", "REQUIRED_FIELD_MISSING", "Name")]
        )

    found = explain(world, capsys, "customer", "77")

    assert found["global_id"] is None and found["golden"] is None
    assert found["found_as"] == "app id, not linked"
    assert [e["code"] for e in found["exceptions"]] == ["REQUIRED_FIELD_MISSING"]


def test_an_unknown_entity_or_system_is_bad_usage(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    entity = cli(capsys, world.config_path, "explain", "invoice", "1")
    system = cli(capsys, world.config_path, "explain", "customer", "1", "--system", "erp")

    assert (entity.code, entity.out) == (2, "")
    assert "unknown entity: invoice" in entity.err
    assert (system.code, system.out) == (2, "")
    assert "customer is not bound in system erp" in system.err


def test_an_unknown_key_is_no_record(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, world.config_path, "explain", "customer", "404", "--json")

    assert (result.code, result.out) == (1, "")
    assert "no record of customer with app id '404'" in result.err
    assert "Traceback" not in result.err


def test_no_ledger_is_no_record(
    org: EmulatorInfo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "lockstep.yaml"
    settings = config_of(org, f"sqlite:///{tmp_path / 'app.db'}", tmp_path)
    config.write_text(yaml.safe_dump(settings, sort_keys=False))

    result = cli(capsys, config, "explain", "customer", "1")

    assert (result.code, result.out) == (1, "")
    assert f"no ledger at {tmp_path / 'ledger.db'}: nothing has run" in result.err
    assert not (tmp_path / "ledger.db").exists()
