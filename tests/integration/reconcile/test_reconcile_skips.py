"""What reconcile reports and never repairs: a record only in a system that does not
own it (``extra``, counted in the summary's ``extra``: reconcile exits 1). A record
deleted in its owner (the app) that Salesforce still holds is not deleted in Salesforce
nor restored in the app, and an Account lockstep never linked (created directly in the
org) is left alone."""

from __future__ import annotations

from reconcile_helpers import World, accounts, csv_rows, data_writes, diff


def test_a_record_gone_from_the_app_that_owns_it_is_skipped_not_deleted_nor_restored(
    world: World,
) -> None:
    world.insert(
        "customers",
        [
            {"id": 1, "name": "Cust 1", "phone": "555-0001"},
            {"id": 2, "name": "Gone from the app", "phone": "555-0002"},
        ],
    )
    world.settle()
    gone = world.rows("customers")[2]
    world.drop_capture()  # the delete is not seen: sync would have deleted the Account
    world.execute("DELETE FROM customers WHERE id = 2")
    left = world.rows("customers")
    before = accounts(world.sf)
    world.admin.reset_stats()

    for apply in (False, True):
        summary = world.reconcile(apply=apply)

        assert summary.status == "done"
        assert summary.counts.skipped == 2, summary.as_dict()  # one row each side
        assert summary.counts.created == summary.counts.updated == 0
        assert summary.counts.unchanged == 2
        rows = [r for r in diff(summary) if r["global_id"] == gone["gid"]]
        assert {(r["target_system"], r["action"], r["reason"]) for r in rows} == {
            ("app", "skip", "gone from app, which owns it: not restored"),
            (
                "crm",
                "extra",
                "gone from app, which owns it: --apply leaves it here (delete it, or "
                "restore it in app)",
            ),
        }
        assert summary.extra == 1
        (crm,) = [r for r in rows if r["target_system"] == "crm"]
        assert crm["target_key"] == gone["sf_id"]
        assert data_writes(world.admin.stats()) == {}
        assert accounts(world.sf) == before  # the Account is still there, untouched
        assert world.rows("customers") == left  # and the row is not restored
    assert summary.notes == (
        "1 record only in a system that does not own it (diff.csv: extra): left for a "
        "person to delete there or restore in the owner",
        "--apply: 0 created, 0 updated, 0 failed",
    )


def test_an_account_lockstep_never_linked_is_skipped_and_left_alone(world: World) -> None:
    world.insert("customers", [{"id": 1, "name": "Cust 1", "phone": "555-0001"}])
    world.settle()
    direct = world.sf.Account.create({"Name": "Made in the org", "Phone": "555-0100"})["id"]
    rows = world.rows("customers")
    before = accounts(world.sf)
    world.admin.reset_stats()

    for apply in (False, True):
        summary = world.reconcile(apply=apply)

        assert summary.status == "done"
        (row,) = [r for r in diff(summary) if direct in (r["source_key"], r["target_key"])]
        assert (row["source_system"], row["target_system"], row["action"]) == (
            "crm",
            "crm",
            "extra",
        )
        assert row["reason"].startswith("not linked"), row
        assert summary.extra == 1
        assert row["global_id"] == ""
        assert summary.counts.skipped == 1 and summary.counts.created == 0
        assert summary.counts.unchanged == 2
        assert csv_rows(summary, "exceptions.csv") == []
        assert data_writes(world.admin.stats()) == {}
        assert accounts(world.sf) == before
        assert world.rows("customers") == rows  # not copied into the app
        with world.ledger() as ledger:
            assert ledger.global_ids("customer", "crm", [direct]) == {}


def test_a_contact_lockstep_never_linked_is_skipped_and_left_alone(world: World) -> None:
    """The same for an entity whose every field the app owns (no field_owners)."""
    world.insert("customers", [{"id": 1, "name": "Cust 1", "phone": None}])
    world.settle()
    account = world.rows("customers")[1]["sf_id"]
    direct = world.sf.Contact.create({"LastName": "Direct", "AccountId": account})["id"]
    world.admin.reset_stats()

    for apply in (False, True):
        summary = world.reconcile(apply=apply)

        assert summary.by_entity["contact"].skipped == 1, summary.as_dict()
        assert summary.by_entity["contact"].created == 0
        rows = [r for r in diff(summary) if r["entity"] == "contact"]
        assert [(r["source_system"], r["source_key"], r["target_system"]) for r in rows] == [
            ("crm", direct, "crm")
        ]
        assert rows[0]["action"] == "extra"
        assert rows[0]["reason"].startswith("not linked")
        assert summary.extra == 1
        assert data_writes(world.admin.stats()) == {}
        assert world.rows("contacts") == {}
