"""Seed 003's run modes end with sync: after ``migrate`` and ``relink``, ``lockstep sync``
takes over. Its first pass reads every migrated record back (Salesforce polling starts
from the beginning) and must write nothing; then an edit in the AMS reaches the org."""

from __future__ import annotations

import yaml
from migrate_helpers import Workspace, by_external_id

from tests.support.looks import data_writes


def with_capture(ws: Workspace) -> None:
    config = yaml.safe_load(ws.config.read_text())
    for entity in config["entities"].values():
        for system, binding in entity["bindings"].items():
            binding["capture"] = {"mode": "poll"} if system == "crm" else {"mode": "triggers"}
    ws.config.write_text(yaml.safe_dump(config, sort_keys=False))


def test_the_first_sync_after_a_migration_writes_nothing_then_edits_flow(ws: Workspace) -> None:
    with_capture(ws)
    assert ws.cli("migrate").code == 1  # company 13 is refused by the org's dues rule
    assert ws.cli("relink").code == 0
    accounts = by_external_id(ws.sf, "Account", ["SystemModstamp", "Name"])
    contacts = by_external_id(ws.sf, "Contact", ["SystemModstamp", "Email"])

    ws.admin.reset_stats()
    first = ws.cli("sync", "--once")
    assert first.code == 0, first.summary
    assert data_writes(ws.admin.stats()) == {}
    assert first.counts()["selected"] == len(accounts) + len(contacts)
    assert first.counts()["unchanged"] == len(accounts) + len(contacts)
    assert by_external_id(ws.sf, "Account", ["SystemModstamp", "Name"]) == accounts
    assert by_external_id(ws.sf, "Contact", ["SystemModstamp", "Email"]) == contacts

    ws.execute("UPDATE company SET company_name = 'Renamed Ltd' WHERE company_id = 1")
    ws.execute("UPDATE individual SET email = 'new@example.org' WHERE customer_id = 2")
    edited = ws.cli("sync", "--once")
    assert edited.code == 0, edited.summary
    assert edited.counts()["updated"] == 2
    after = by_external_id(ws.sf, "Account", ["Name"])
    assert after["1"]["Name"] == "Renamed Ltd"
    assert by_external_id(ws.sf, "Contact", ["Email"])["2"]["Email"] == "new@example.org"
    assert {k: v["Name"] for k, v in after.items() if k != "1"} == {
        k: v["Name"] for k, v in accounts.items() if k != "1"
    }
    assert ws.rows("company")["1"]["sync_status"] == "Success"

    ws.admin.reset_stats()
    quiet = ws.cli("sync", "--once")
    assert quiet.code == 0 and data_writes(ws.admin.stats()) == {}
