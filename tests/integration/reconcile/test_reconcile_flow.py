"""The main flow, on SQLite and on MariaDB: after sync, reconcile finds every record in
agreement and writes nothing; drift that sync did not carry (edits made behind its
back, an Account deleted in Salesforce, an app row saved while capture was absent) is
reported in ``diff.csv`` without touching either side; ``--apply`` repairs it through
sync's path, after which a reconcile finds nothing left to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconcile_helpers import (
    World,
    accounts,
    actions,
    count,
    csv_rows,
    data_writes,
    diff,
    diff_of,
)

from lockstep.reports.summary import Summary


def customers(world: World, *ids: int) -> None:
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": f"555-{i:04}"} for i in ids])


def counts_of(summary: Summary) -> dict[str, int]:
    """The summary's counts that are not zero."""
    return {k: v for k, v in summary.counts.as_dict().items() if v}


def test_after_sync_every_record_is_unchanged_and_nothing_is_written(any_world: World) -> None:
    world = any_world
    customers(world, 1, 2, 3)
    world.settle()
    rows = world.rows("customers")
    before = accounts(world.sf)
    world.admin.reset_stats()

    summary = world.reconcile(every=True)

    assert summary.status == "done" and summary.mode == "reconcile"
    assert counts_of(summary) == {"selected": 6, "unchanged": 6}  # 3 rows + 3 Accounts
    assert set(summary.found.values()) == {0}
    assert summary.by_entity["customer"].unchanged == 6
    assert summary.by_entity["contact"].selected == 0
    found = diff_of(summary)
    assert actions(found) == {(str(i), s): "unchanged" for i in rows for s in ("app", "crm")}
    for key, row in rows.items():
        app, crm = found[(str(key), "app")], found[(str(key), "crm")]
        assert (app["source_system"], app["target_key"], app["global_id"]) == (
            "app",
            str(key),
            row["gid"],
        )
        assert (crm["source_system"], crm["target_key"], crm["global_id"]) == (
            "app",
            row["sf_id"],
            row["gid"],
        )
        assert crm["changes"] == "" and crm["reason"] == ""
    assert len(diff(summary)) == 6
    assert {row["finding"] for row in diff(summary)} == {""}
    assert diff(world.reconcile()) == []  # by default, only the differences
    assert data_writes(world.admin.stats()) == {}
    assert accounts(world.sf) == before
    assert world.rows("customers") == rows

    # --apply with nothing to repair writes nothing either
    repaired = world.reconcile(apply=True)

    assert counts_of(repaired) == {"selected": 6, "unchanged": 6}
    assert repaired.notes == ("--apply: 0 created, 0 updated, 0 failed",)
    assert data_writes(world.admin.stats()) == {}
    assert accounts(world.sf) == before
    assert world.rows("customers") == rows


@dataclass
class Drift:
    """What ``drift`` did, and how things stood right after."""

    rows: dict[int, dict[str, Any]]  # the app's rows before the drift, by id
    accounts: dict[str, dict[str, Any]]  # every Account after it, by Id
    queue: dict[str, int]


def drift(world: World) -> Drift:
    """Five customers in step, then four kinds of drift sync does not see:

    1. its Account renamed in Salesforce (the app owns the name; no sync pass runs);
    2. its phone (Salesforce's) changed in the app while capture is absent;
    3. its Account deleted in Salesforce;
    9. a row saved in the app while capture is absent: never synced, no Salesforce id.
    """
    customers(world, 1, 2, 3, 4, 5)
    world.settle()
    rows = world.rows("customers")
    world.sf.Account.update(rows[1]["sf_id"], {"Name": "Renamed in Salesforce"})
    world.sf.Account.delete(rows[3]["sf_id"])
    world.drop_capture()
    world.execute("UPDATE customers SET phone = '555-APP' WHERE id = 2")
    world.insert("customers", [{"id": 9, "name": "Never synced", "phone": "555-0009"}])
    with world.ledger() as ledger:
        queue = ledger.queue_counts()
    return Drift(rows, accounts(world.sf), queue)


def test_drift_is_reported_and_nothing_is_written_without_apply(any_world: World) -> None:
    world = any_world
    before = drift(world)
    app_rows = world.rows("customers")
    world.admin.reset_stats()

    summary = world.reconcile(every=True)

    assert summary.status == "done"
    # 6 app rows + 4 Accounts; a row per record and system, except the never-synced
    # row, which has the one row that says it is missing in crm
    assert counts_of(summary) == {"selected": 10, "created": 2, "updated": 2, "unchanged": 7}
    assert summary.notes == ()
    found = diff_of(summary)
    assert actions(found) == {
        ("1", "app"): "unchanged",
        ("1", "crm"): "update",
        ("2", "app"): "update",
        ("2", "crm"): "unchanged",
        ("3", "app"): "unchanged",
        ("3", "crm"): "create",
        ("4", "app"): "unchanged",
        ("4", "crm"): "unchanged",
        ("5", "app"): "unchanged",
        ("5", "crm"): "unchanged",
        ("9", "crm"): "create",
    }
    renamed = found[("1", "crm")]
    assert renamed["changes"] == "name: Renamed in Salesforce -> Cust 1"
    assert renamed["reason"] == "differs from app"
    assert renamed["target_key"] == before.rows[1]["sf_id"]
    phone = found[("2", "app")]
    assert phone["changes"] == "phone: 555-APP -> 555-0002"  # the app's -> Salesforce's
    assert phone["reason"] == "differs from crm"
    deleted = found[("3", "crm")]
    assert deleted["reason"] == "missing in crm"
    assert (deleted["global_id"], deleted["target_key"]) == (before.rows[3]["gid"], "")
    never = found[("9", "crm")]
    assert (never["source_system"], never["reason"]) == ("app", "never synced from app")
    assert (never["global_id"], never["target_key"]) == ("", "")
    assert {k: r["finding"] for k, r in found.items() if r["finding"]} == {
        ("1", "crm"): "field_mismatch",
        ("2", "app"): "field_mismatch",
        ("3", "crm"): "link_broken",  # linked there, and gone
        ("9", "crm"): "missing",  # never there
    }
    assert {k: n for k, n in summary.found.items() if n} == {
        "field_mismatch": 2,
        "link_broken": 1,
        "missing": 1,
    }

    # nothing written anywhere: not the org, not the app, not the ledger's links or queue
    assert data_writes(world.admin.stats()) == {}
    assert accounts(world.sf) == before.accounts
    assert world.rows("customers") == app_rows
    with world.ledger() as ledger:
        assert ledger.queue_counts() == before.queue
        assert ledger.xrefs("customer", before.rows[3]["gid"]) == {
            "app": "3",
            "crm": before.rows[3]["sf_id"],
        }
    assert csv_rows(summary, "exceptions.csv") == []


def test_apply_repairs_the_drift_and_a_second_reconcile_finds_nothing(any_world: World) -> None:
    world = any_world
    before = drift(world)

    # one of the five linked customers is detached: past the guard's 5%, on purpose here
    summary = world.reconcile(apply=True, allow_mass_delete=True)

    assert summary.status == "done"
    assert counts_of(summary) == {"selected": 10, "created": 2, "updated": 2, "unchanged": 7}
    assert summary.notes == ("--apply: 2 created, 2 updated, 0 failed",)
    assert csv_rows(summary, "exceptions.csv") == []
    rows = world.rows("customers")
    assert count(world.sf, "Account") == len(rows) == 6
    found = accounts(world.sf)
    by_gid = {a["Global_Customer_Id__c"]: a for a in found.values()}
    for key, row in rows.items():
        account = by_gid[row["gid"]]
        assert account["Id"] == row["sf_id"], key
        assert (account["Name"], account["Phone"]) == (row["name"], row["phone"]), key
        assert row["sync_status"] == "Success", key
    assert (rows[1]["name"], found[rows[1]["sf_id"]]["Name"]) == ("Cust 1", "Cust 1")
    assert rows[2]["phone"] == found[rows[2]["sf_id"]]["Phone"] == "555-0002"  # Salesforce's
    # the Account deleted in Salesforce is created again, with the same global id, and
    # its new Id is written back
    assert rows[3]["gid"] == before.rows[3]["gid"]
    assert rows[3]["sf_id"] not in (None, before.rows[3]["sf_id"])
    # the row never synced gets an Account, its Salesforce id, global id and status
    assert rows[9]["sf_id"] is not None and rows[9]["gid"] is not None
    assert (found[rows[9]["sf_id"]]["Name"], rows[9]["sync_status"]) == ("Never synced", "Success")
    for untouched in (4, 5):
        assert rows[untouched] == before.rows[untouched]
        assert found[rows[untouched]["sf_id"]] == before.accounts[rows[untouched]["sf_id"]]
    with world.ledger() as ledger:
        assert ledger.xrefs("customer", rows[3]["gid"]) == {"app": "3", "crm": rows[3]["sf_id"]}
        assert ledger.xrefs("customer", rows[9]["gid"]) == {"app": "9", "crm": rows[9]["sf_id"]}

    world.admin.reset_stats()
    again = world.reconcile(apply=True, every=True)

    assert counts_of(again) == {"selected": 12, "unchanged": 12}
    assert set(actions(diff_of(again)).values()) == {"unchanged"}
    assert again.notes == ("--apply: 0 created, 0 updated, 0 failed",)
    assert data_writes(world.admin.stats()) == {}
    assert world.rows("customers") == rows

    # sync, catching up on what happened behind its back (the rename, the delete in
    # Salesforce) and on reconcile's writes, finds nothing to carry
    caught_up = world.sync()
    assert caught_up.counts.failed == 0
    assert caught_up.counts.created == caught_up.counts.updated == 0
    assert caught_up.counts.deleted == 0
    world.settle()
    assert data_writes(world.admin.stats()) == {}
    assert world.rows("customers") == rows
    with world.ledger() as ledger:
        assert ledger.xrefs("customer", rows[3]["gid"]) == {"app": "3", "crm": rows[3]["sf_id"]}
    assert set(actions(diff_of(world.reconcile(every=True))).values()) == {"unchanged"}
