"""Seed 000's reconciliation: the app's rows whose Salesforce id is null or whose sync
status says ``Failed`` are driven again by ``reconcile --apply``, through sync's path,
and end with their Salesforce id and ``Success`` written back."""

from __future__ import annotations

from reconcile_helpers import World, accounts, count, csv_rows, diff_of

LONG = "N" * 300  # an Account Name is 255 characters at most: Salesforce refuses it

WRITE_BACK_BUG = (
    "reconcile compares canonical values only (compare.Held.house is never read): a "
    "linked row whose values agree but whose write-back (sf_id, sync_status) was lost "
    "is 'unchanged', and --apply leaves sf_id null and the status Failed"
)


def test_a_row_that_failed_and_was_corrected_unseen_is_created_and_written_back(
    world: World,
) -> None:
    world.insert("customers", [{"id": 1, "name": LONG, "phone": None}])
    refused = world.sync()
    assert refused.counts.failed == 1
    failed = world.rows("customers")[1]
    assert (failed["sync_status"], failed["sf_id"]) == ("Failed", None)
    world.drop_capture()
    world.execute("UPDATE customers SET name = 'Corrected' WHERE id = 1")

    found = world.reconcile()

    row = diff_of(found)[("1", "crm")]
    assert (row["action"], row["reason"], row["global_id"]) == (
        "create",
        "missing in crm",
        failed["gid"],
    )
    assert count(world.sf, "Account") == 0

    repaired = world.reconcile(apply=True)

    assert repaired.counts.created == 1 and repaired.counts.failed == 0
    assert repaired.notes == ("--apply: 1 created, 0 updated, 0 failed",)
    row_after = world.rows("customers")[1]
    assert row_after["sync_status"] == "Success"
    assert row_after["gid"] == failed["gid"]
    (account,) = accounts(world.sf).values()
    assert (account["Id"], account["Name"]) == (row_after["sf_id"], "Corrected")
    assert account["Global_Customer_Id__c"] == failed["gid"]


def test_a_row_salesforce_still_refuses_fails_again_and_is_counted(world: World) -> None:
    world.insert("customers", [{"id": 1, "name": LONG, "phone": None}])
    world.sync()

    repaired = world.reconcile(apply=True)

    assert repaired.status == "done"
    assert repaired.counts.created == 1  # what was found
    assert repaired.counts.failed == 1  # what the drain could not do
    assert repaired.by_entity["customer"].failed == 1
    assert repaired.notes == ("--apply: 0 created, 0 updated, 1 failed",)
    errors = [
        (e["key"], e["system"], e["error_code"]) for e in csv_rows(repaired, "exceptions.csv")
    ]
    assert errors == [("1", "crm", "STRING_TOO_LONG")]
    row = world.rows("customers")[1]
    assert (row["sync_status"], row["sf_id"]) == ("Failed", None)
    assert count(world.sf, "Account") == 0


def test_a_linked_row_whose_write_back_was_lost_gets_its_salesforce_id_again(
    world: World,
) -> None:
    world.insert("customers", [{"id": 1, "name": "Cust 1", "phone": "555-0001"}])
    world.settle()
    synced = world.rows("customers")[1]
    # the Account was created, but writing its Id and status back into the app failed
    world.drop_capture()
    world.execute("UPDATE customers SET sf_id = NULL, sync_status = 'Failed' WHERE id = 1")

    found = world.reconcile()

    assert diff_of(found)[("1", "app")]["action"] != "unchanged"

    world.reconcile(apply=True)

    row = world.rows("customers")[1]
    assert (row["sf_id"], row["sync_status"]) == (synced["sf_id"], "Success")
    assert count(world.sf, "Account") == 1
