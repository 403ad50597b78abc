"""Every class of difference, made for real in the app's database (SQLite, MariaDB and
PostgreSQL) and the org behind sync's back, found by one reconcile, each on its row of
``diff.csv`` and counted in ``summary.json``; then ``--apply``: refused by the
mass-delete guard (nothing queued, unlinked or written), let through by
``allow_mass_delete``, after which what is left is exactly what a person decides (an
extra Account, a pair the match rules would link, a locked usage)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reconcile_helpers import World, accounts, data_writes, diff

from lockstep.core.plan import FINDINGS
from lockstep.reconcile import spill
from lockstep.reconcile.guard import MassDeleteRefused
from lockstep.reports.summary import Summary
from tests.support.databases import database_url

app_url = database_url("app_url", "sqlite", "mariadb", "postgres")


@dataclass(frozen=True)
class Drifted:
    rows: dict[int, dict[str, Any]]  # the app's customers in step, before the drift, by id
    usage: dict[str, Any]  # the locked usage's row
    only: str  # the Account only in Salesforce
    globex: str  # the Account the match rules find for the app's Globex


def every_kind_of_drift(world: World) -> Drifted:
    """Five customers and a usage on a contract in step, the contract then fulfilled in
    Salesforce (which locks the usage); then, unseen by sync:

    1. Account renamed in Salesforce (the app owns the name): field_mismatch;
    2. Account deleted in Salesforce: link_broken;
    3. untouched;
    4. its Salesforce id lost in the app: writeback_missing;
    5. its status says Failed in the app: status_failed;
    8. saved in the app, never synced: missing;
    9. "Globex" saved in the app, and "GLOBEX" made by hand in Salesforce: the match
       rule (name, any case) would link them: unlinked_match, both;
    an Account made in Salesforce only: extra; the locked usage's units changed in
    Salesforce: locked_different.
    """
    world.config["entities"]["customer"]["match"] = [{"fields": ["name"], "normalize": ["case"]}]
    world.insert(
        "customers", [{"id": i, "name": f"Cust {i}", "phone": f"555-{i}"} for i in range(1, 6)]
    )
    contract = world.sf.Contract__c.create({"Name": "C-1", "Status__c": "Active", "Units__c": 5})
    world.settle()
    (copy,) = world.rows("contracts").values()
    world.insert("usages", [{"id": 7, "ad_name": "ad 7", "units": 1, "contract_id": copy["id"]}])
    world.settle()
    world.sf.Contract__c.update(contract["id"], {"Status__c": "Fulfilled"})
    world.settle()
    rows = world.rows("customers")
    usage = world.rows("usages")[7]
    assert {r["sync_status"] for r in rows.values()} == {usage["sync_status"]} == {"Success"}

    world.sf.Account.update(rows[1]["sf_id"], {"Name": "Renamed in Salesforce"})
    world.sf.Account.delete(rows[2]["sf_id"])
    only = world.sf.Account.create({"Name": "Only in Salesforce"})["id"]
    globex = world.sf.Account.create({"Name": "GLOBEX"})["id"]
    world.sf.Usage__c.update(usage["salesforce_id"], {"Units__c": 9})
    world.drop_capture()
    world.execute("UPDATE customers SET sf_id = NULL WHERE id = 4")
    world.execute("UPDATE customers SET sync_status = 'Failed' WHERE id = 5")
    world.insert(
        "customers",
        [
            {"id": 8, "name": "Never synced", "phone": None},
            {"id": 9, "name": "Globex", "phone": None},
        ],
    )
    return Drifted(rows, usage, only, globex)


def findings(summary: Summary) -> dict[tuple[str, str, str], str]:
    """``diff.csv``'s classes by (entity, the source's key, target system)."""
    rows = diff(summary)
    found = {(r["entity"], r["source_key"], r["target_system"]): r["finding"] for r in rows}
    assert len(found) == len(rows)
    return found


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def expected(drifted: Drifted) -> dict[tuple[str, str, str], str]:
    return {
        ("customer", "1", "crm"): "field_mismatch",
        ("customer", "2", "crm"): "link_broken",
        ("customer", "4", "app"): "writeback_missing",
        ("customer", "5", "app"): "status_failed",
        ("customer", "8", "crm"): "missing",
        ("customer", "9", "crm"): "unlinked_match",
        ("customer", drifted.globex, "crm"): "unlinked_match",
        ("customer", drifted.only, "crm"): "extra",
        ("usage", "7", "crm"): "locked_different",
    }


def test_each_difference_is_found_with_its_class(any_world: World) -> None:
    world = any_world
    drifted = every_kind_of_drift(world)

    summary = world.reconcile()

    assert summary.status == "done"
    assert findings(summary) == expected(drifted)
    by_key = {(r["source_key"], r["target_system"]): r for r in diff(summary)}
    assert by_key[("9", "crm")]["reason"] == (
        f"never synced from app; not linked, but crm {drifted.globex} matches it by name "
        "(case): --apply leaves both"
    )
    assert by_key[("7", "crm")]["reason"] == (
        "differs from app; locked (contract.status == 'Fulfilled'): --apply leaves it"
    )
    assert by_key[("7", "crm")]["changes"] == "units: 9 -> 1"
    data = json.loads((Path(summary.reports) / "summary.json").read_bytes())
    assert nonzero(data["findings"]) == {
        "missing": 1,
        "extra": 1,
        "field_mismatch": 1,
        "link_broken": 1,
        "unlinked_match": 2,
        "writeback_missing": 1,
        "status_failed": 1,
        "locked_different": 1,
    }
    assert data["by_entity"]["usage"]["findings"] == {
        **dict.fromkeys(FINDINGS, 0),
        "locked_different": 1,
    }
    assert nonzero(data["by_entity"]["contract"]["findings"]) == {}
    # the counts are as they were: every pair, by action
    assert nonzero(data["counts"]) == {
        "selected": 17,  # 7 app rows, 6 Accounts, a contract and a usage on each side
        "created": 3,  # 2, 8 and 9 in crm
        "updated": 4,  # 1 in crm, 4 and 5 in the app, the usage in crm
        "unchanged": 9,
        "skipped": 2,  # the two Accounts only in Salesforce
    }


def test_apply_is_refused_past_the_share_then_repairs_all_a_person_need_not_decide(
    any_world: World,
) -> None:
    world = any_world
    drifted = every_kind_of_drift(world)
    gone = drifted.rows[2]
    with world.ledger() as ledger:
        queue = ledger.queue_counts()
    before = accounts(world.sf)
    world.admin.reset_stats()

    with pytest.raises(MassDeleteRefused) as refused:  # 1 of the 5 linked customers
        world.reconcile(apply=True)

    assert refused.value.exit_code == 3
    message = str(refused.value)
    assert message.startswith("--apply refused: it would detach customer: 1 of 5 linked")
    assert "run.reconcile.max_delete_share (5%)" in message
    assert "--allow-mass-delete" in message
    summary = refused.value.summary
    assert summary is not None and summary.status == "failed"
    assert summary.notes[-1] == message
    assert summary.found["link_broken"] == 1  # the report is whole
    assert (Path(summary.reports) / "summary.json").is_file()
    assert data_writes(world.admin.stats()) == {}
    assert accounts(world.sf) == before
    with world.ledger() as ledger:
        assert ledger.queue_counts() == queue  # nothing queued
        assert ledger.xrefs("customer", gone["gid"]) == {"app": "2", "crm": gone["sf_id"]}

    world.config["run"]["reconcile"] = {"max_delete_share": 0.2}  # 1 of 5 is not more
    repaired = world.reconcile(apply=True)

    assert repaired.status == "done" and repaired.counts.failed == 0
    assert repaired.notes[-1] == "--apply: 2 created, 3 updated, 0 failed"
    rows = world.rows("customers")
    found = accounts(world.sf)
    assert found[rows[1]["sf_id"]]["Name"] == "Cust 1"
    assert rows[2]["sf_id"] not in (None, gone["sf_id"])  # made again, its new Id back
    assert rows[4]["sf_id"] == drifted.rows[4]["sf_id"]  # written back again
    assert rows[5]["sync_status"] == "Success"
    assert rows[8]["sf_id"] is not None
    assert rows[9]["sf_id"] is None  # not created: GLOBEX would be its double
    assert world.sf.Usage__c.get(drifted.usage["salesforce_id"])["Units__c"] == 9  # locked

    again = world.reconcile(apply=True, allow_mass_delete=True)

    assert set(findings(again).values()) == {"extra", "unlinked_match", "locked_different"}
    assert nonzero(again.found) == {"extra": 1, "unlinked_match": 2, "locked_different": 1}
    assert again.notes == (
        "2 records only in a system that does not own them (diff.csv: extra): left for a "
        "person to delete there or restore in the owner",
        "2 rows of records the match rules find in another system, not linked (diff.csv: "
        "unlinked_match): left for a person to link",
        "1 row of locked records that differ (diff.csv: locked_different): --apply leaves them",
        "--apply: 0 created, 0 updated, 0 failed",
    )


def test_the_same_findings_when_the_records_are_spilled_to_disk(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reconcile reads each system into a ``Spill`` and compares it a partition of
    global ids at a time: with two records held in memory and three partitions, the
    records go to disk and every difference is still found, with the same counts."""
    flushed: list[int] = []
    flush = spill.Spill._flush

    def counted(self: spill.Spill) -> None:
        flushed.append(self._count)
        flush(self)

    monkeypatch.setattr(spill, "HELD", 2)
    monkeypatch.setattr(spill, "PARTS", 3)
    monkeypatch.setattr(spill.Spill, "_flush", counted)
    drifted = every_kind_of_drift(world)

    summary = world.reconcile()

    assert flushed and sum(flushed) >= 10
    assert findings(summary) == expected(drifted)
    data = json.loads((Path(summary.reports) / "summary.json").read_bytes())
    assert nonzero(data["counts"]) == {
        "selected": 17,
        "created": 3,
        "updated": 4,
        "unchanged": 9,
        "skipped": 2,
    }
