"""Ownership: the app owns customers, Salesforce owns their phone (``field_owners``).
A change in the owner flows out; a change elsewhere to a field it does not own is a
CONFLICT, reported, and the owner's value is written back over it (``owner_wins``), or
the later change wins (``last_writer_wins``)."""

from __future__ import annotations

from tests.support.looks import data_writes, soql
from tests.support.sync_world import World


def synced_customers(world: World) -> dict[int, str]:
    """Customers 1 and 2 in both systems, echoes drained; their Account Ids."""
    world.insert(
        "customers",
        [
            {"id": 1, "name": "Cust 1", "phone": "555-0001"},
            {"id": 2, "name": "Cust 2", "phone": None},
        ],
    )
    world.sync()
    world.sync()
    return {key: row["sf_id"] for key, row in world.rows("customers").items()}


def account(world: World, sf_id: str) -> dict[str, object]:
    return dict(world.sf.Account.get(sf_id))


def test_a_field_salesforce_owns_edited_there_reaches_the_app(world: World) -> None:
    ids = synced_customers(world)

    world.sf.Account.update(ids[1], {"Phone": "555-9999"})
    summary = world.sync()

    assert summary.by_entity["customer"].updated == 1
    assert world.exceptions(summary) == []
    row = world.rows("customers")[1]
    assert (row["name"], row["phone"], row["sync_status"]) == ("Cust 1", "555-9999", "Success")
    assert world.rows("customers")[2]["phone"] is None


def test_a_field_the_app_owns_edited_in_salesforce_is_a_conflict_and_the_app_wins(
    world: World,
) -> None:
    ids = synced_customers(world)

    world.sf.Account.update(ids[2], {"Name": "Renamed in Salesforce"})
    world.admin.reset_stats()
    summary = world.sync()

    conflicts = world.exceptions(summary)
    assert [(c["entity"], c["key"], c["system"], c["error_code"]) for c in conflicts] == [
        ("customer", ids[2], "crm", "CONFLICT")
    ]
    assert "Renamed in Salesforce" in conflicts[0]["message"]
    assert [e.code for e in world.stored_exceptions(summary)] == ["CONFLICT"]
    (stored,) = world.stored_exceptions(summary)  # informational: it needs nobody
    assert (stored.resolved_by, stored.resolution) == (
        summary.run_id,
        "informational: the owner's value was kept",
    )
    # The app's value stays in the app and is written back over Salesforce's.
    assert world.rows("customers")[2]["name"] == "Cust 2"
    assert account(world, ids[2])["Name"] == "Cust 2"
    assert sum(data_writes(world.admin.stats()).values()) == 1
    # Writing it back is lockstep's own change: it comes back as an echo, no new conflict.
    after = world.sync()
    assert world.exceptions(after) == []
    assert account(world, ids[2])["Name"] == "Cust 2"


def test_both_kinds_of_edit_in_one_salesforce_change(world: World) -> None:
    ids = synced_customers(world)

    world.sf.Account.update(ids[1], {"Name": "Renamed in Salesforce", "Phone": "555-7777"})
    summary = world.sync()

    assert [c["error_code"] for c in world.exceptions(summary)] == ["CONFLICT"]
    row = world.rows("customers")[1]
    assert (row["name"], row["phone"]) == ("Cust 1", "555-7777")  # the phone is Salesforce's
    assert account(world, ids[1])["Name"] == "Cust 1"


def test_with_last_writer_wins_the_salesforce_edit_wins(world: World) -> None:
    world.config["entities"]["customer"]["conflict"] = "last_writer_wins"
    ids = synced_customers(world)

    world.sf.Account.update(ids[2], {"Name": "Renamed in Salesforce"})
    summary = world.sync()

    assert summary.by_entity["customer"].updated == 1
    assert [c["error_code"] for c in world.exceptions(summary)] == []
    assert world.rows("customers")[2]["name"] == "Renamed in Salesforce"
    assert account(world, ids[2])["Name"] == "Renamed in Salesforce"
    world.sync()
    assert {r["Name"] for r in soql(world.sf, "SELECT Name FROM Account")} == {
        "Cust 1",
        "Renamed in Salesforce",
    }
    assert world.rows("customers")[2]["name"] == "Renamed in Salesforce"


def test_a_field_salesforce_owns_edited_in_the_app_is_a_conflict_and_salesforce_wins(
    world: World,
) -> None:
    ids = synced_customers(world)

    world.execute("UPDATE customers SET phone = '555-1234' WHERE id = 1")
    summary = world.sync()

    conflicts = world.exceptions(summary)
    assert [(c["key"], c["system"], c["error_code"]) for c in conflicts] == [
        ("1", "app", "CONFLICT")
    ]
    assert world.rows("customers")[1]["phone"] == "555-0001"  # written back over the edit
    assert account(world, ids[1])["Phone"] == "555-0001"
    assert world.exceptions(world.sync()) == []


def golden(world: World, key: int) -> dict[str, object]:
    with world.ledger() as ledger:
        found = ledger.golden("customer", world.rows("customers")[key]["gid"])
    assert found is not None
    return dict(found.values)


def test_one_app_owned_field_edited_on_both_sides_ends_with_the_apps_value(world: World) -> None:
    ids = synced_customers(world)

    world.sf.Account.update(ids[1], {"Name": "Renamed in Salesforce"})
    world.execute("UPDATE customers SET name = 'Renamed in the app' WHERE id = 1")
    summary = world.sync()

    assert [c["error_code"] for c in world.exceptions(summary)] == ["CONFLICT"]
    assert world.rows("customers")[1]["name"] == "Renamed in the app"
    assert account(world, ids[1])["Name"] == "Renamed in the app"
    assert golden(world, 1)["name"] == "Renamed in the app"
    assert world.exceptions(world.sync()) == []


def test_one_salesforce_owned_field_edited_on_both_sides_ends_with_salesforces_value(
    world: World,
) -> None:
    ids = synced_customers(world)

    world.sf.Account.update(ids[1], {"Phone": "555-7777"})  # the owner's edit
    world.execute("UPDATE customers SET phone = '555-1234' WHERE id = 1")
    summary = world.sync()

    assert [(c["system"], c["error_code"]) for c in world.exceptions(summary)] == [
        ("app", "CONFLICT")
    ]
    assert golden(world, 1)["phone"] == "555-7777"
    assert account(world, ids[1])["Phone"] == "555-7777"
    assert world.rows("customers")[1]["phone"] == "555-7777"
    assert world.exceptions(world.sync()) == []  # the write-back is an echo, not a conflict


def test_with_last_writer_wins_edits_on_both_sides_leave_both_systems_agreeing(
    world: World,
) -> None:
    world.config["entities"]["customer"]["conflict"] = "last_writer_wins"
    ids = synced_customers(world)

    world.sf.Account.update(ids[1], {"Name": "Renamed in Salesforce"})
    world.execute("UPDATE customers SET name = 'Renamed in the app' WHERE id = 1")
    world.sync()

    in_app = world.rows("customers")[1]["name"]
    assert account(world, ids[1])["Name"] == in_app
    assert golden(world, 1)["name"] == in_app


def test_an_app_edit_right_after_the_pass_that_wrote_salesforce_is_no_conflict(
    world: World,
) -> None:
    world.insert("customers", [{"id": 1, "name": "Cust 1", "phone": None}])
    world.sync()  # creates the Account; its echo is read by the next pass

    world.execute("UPDATE customers SET name = 'Renamed in the app' WHERE id = 1")
    world.admin.reset_stats()
    summary = world.sync()

    assert world.exceptions(summary) == []
    assert account(world, world.rows("customers")[1]["sf_id"])["Name"] == "Renamed in the app"
    assert sum(data_writes(world.admin.stats()).values()) == 1
    assert summary.by_entity["customer"].updated == 1
