"""The main flow, on SQLite and on MariaDB: rows the app saves after the first pass reach
Salesforce once, with their ids, global id and status written back; a pass with nothing
new writes nothing; updates follow; deletes propagate from the owner only."""

from __future__ import annotations

from tests.support.looks import count, data_writes, soql
from tests.support.sync_world import World


def customers(world: World, *ids: int) -> None:
    world.insert("customers", [{"id": i, "name": f"Cust {i}", "phone": f"555-{i:04}"} for i in ids])


def accounts(world: World) -> dict[str, dict[str, object]]:
    """Every Account by its global customer id."""
    rows = soql(
        world.sf, "SELECT Id, Name, Phone, Global_Customer_Id__c, SystemModstamp FROM Account"
    )
    return {str(r["Global_Customer_Id__c"]): r for r in rows}


def test_rows_saved_in_the_app_are_created_in_salesforce_once_and_written_back(
    any_world: World,
) -> None:
    world = any_world
    customers(world, *range(1, 6))

    first = world.sync()

    assert first.status == "done", first.notes
    assert first.by_entity["customer"].created == 5
    assert first.counts.failed == 0
    assert count(world.sf, "Account") == 5
    found = accounts(world)
    rows = world.rows("customers")
    for key, row in rows.items():
        assert row["sync_status"] == "Success", row
        account = found[row["gid"]]  # the global id, in both
        assert account["Id"] == row["sf_id"]
        assert (account["Name"], account["Phone"]) == (f"Cust {key}", f"555-{key:04}")
    with world.ledger() as ledger:
        assert ledger.queue_counts() == {
            "pending": 0,
            "in_flight": 0,
            "done": 5,
            "failed": 0,
            "dead": 0,
        }
        for row in rows.values():
            assert ledger.xrefs("customer", row["gid"]) == {
                "app": str(row["id"]),
                "crm": row["sf_id"],
            }

    # The next passes read lockstep's own writes back and find nothing to carry: the new
    # Accounts in Salesforce, and on MariaDB the write-back in the app (capture there
    # records every update; on PostgreSQL and SQLite only one of a mapped column).
    stamps = {gid: a["SystemModstamp"] for gid, a in found.items()}
    world.admin.reset_stats()
    echo = world.sync()
    again = world.sync()

    assert data_writes(world.admin.stats()) == {}
    assert {gid: a["SystemModstamp"] for gid, a in accounts(world).items()} == stamps
    read_back = 10 if world.sql_url.startswith("mysql") else 5
    assert echo.counts.selected == echo.counts.unchanged == read_back
    assert echo.counts.processed == 0 and again.counts.selected == 0
    assert world.rows("customers") == rows


def test_an_update_in_the_app_reaches_salesforce(any_world: World) -> None:
    world = any_world
    customers(world, 1, 2)
    world.sync()
    world.sync()  # the echoes
    world.admin.reset_stats()

    world.execute("UPDATE customers SET name = 'Renamed in the app' WHERE id = 2")
    summary = world.sync()

    assert summary.by_entity["customer"].updated == 1
    assert summary.counts.failed == 0
    names = {a["Name"] for a in accounts(world).values()}
    assert names == {"Cust 1", "Renamed in the app"}
    writes = data_writes(world.admin.stats())
    assert sum(writes.values()) == 1, writes  # one update call, the other Account untouched
    assert world.rows("customers")[2]["sync_status"] == "Success"


def test_a_delete_in_the_owner_deletes_in_salesforce(any_world: World) -> None:
    world = any_world
    customers(world, 1, 2, 3)
    world.sync()
    world.sync()
    gone = world.rows("customers")[3]

    world.execute("DELETE FROM customers WHERE id = 3")
    summary = world.sync()

    assert summary.by_entity["customer"].deleted == 1
    assert count(world.sf, "Account") == 2
    assert gone["gid"] not in accounts(world)
    with world.ledger() as ledger:
        assert ledger.xrefs("customer", gone["gid"]) == {}
    # Salesforce's delete comes back through polling (queryAll, IsDeleted): nothing to do.
    after = world.sync()
    assert after.counts.failed == 0 and after.counts.deleted == 0
    assert sorted(world.rows("customers")) == [1, 2]


def test_a_delete_outside_the_owner_does_not_delete_in_the_owner(world: World) -> None:
    customers(world, 1, 2)
    world.sync()
    world.sync()
    row = world.rows("customers")[1]

    world.sf.Account.delete(row["sf_id"])
    summary = world.sync()

    assert summary.counts.deleted == 0
    assert summary.by_entity["customer"].skipped == 1
    assert world.rows("customers")[1] == row  # the app, which owns customers, keeps it
    with world.ledger() as ledger:
        assert ledger.xrefs("customer", row["gid"]) == {"app": "1"}  # only unlinked


def test_a_delete_in_salesforce_that_owns_contracts_deletes_the_apps_copy(world: World) -> None:
    kept = world.sf.Contract__c.create({"Name": "C-1", "Status__c": "Active", "Units__c": 5})
    dropped = world.sf.Contract__c.create({"Name": "C-2", "Status__c": "Draft", "Units__c": 1})
    world.sync()
    world.sync()
    assert {r["salesforce_id"] for r in world.rows("contracts").values()} == {
        kept["id"],
        dropped["id"],
    }

    world.sf.Contract__c.delete(dropped["id"])
    summary = world.sync()

    assert summary.by_entity["contract"].deleted == 1
    assert [r["salesforce_id"] for r in world.rows("contracts").values()] == [kept["id"]]

    # and the app deleting its copy (it does not own contracts) leaves Salesforce alone
    world.execute("DELETE FROM contracts")
    summary = world.sync()
    assert summary.counts.deleted == 0
    assert [r["Id"] for r in soql(world.sf, "SELECT Id FROM Contract__c")] == [kept["id"]]


def test_a_record_salesforce_refuses_fails_and_goes_through_once_corrected(world: World) -> None:
    long_name = "N" * 300  # an Account Name is 255 characters at most
    world.insert(
        "customers",
        [{"id": 1, "name": long_name, "phone": None}, {"id": 2, "name": "Cust 2", "phone": None}],
    )

    refused = world.sync()

    assert refused.by_entity["customer"].created == 1
    assert refused.by_entity["customer"].failed == 1
    errors = [(e["key"], e["system"], e["error_code"]) for e in world.exceptions(refused)]
    assert errors == [("1", "crm", "STRING_TOO_LONG")]
    assert [e.code for e in world.stored_exceptions(refused)] == ["STRING_TOO_LONG"]
    rows = world.rows("customers")
    assert (rows[1]["sync_status"], rows[1]["sf_id"]) == ("Failed", None)
    assert rows[1]["gid"] is not None
    assert rows[2]["sync_status"] == "Success"  # one bad record holds up no other
    with world.ledger() as ledger:
        (failed,) = ledger.queue_items(states=("failed",))
        assert failed.native_id == "1"
        assert failed.last_error is not None and failed.last_error.startswith("STRING_TOO_LONG")
        assert ledger.queue_counts()["pending"] == 0

    world.execute("UPDATE customers SET name = 'Cust 1' WHERE id = 1")
    fixed = world.sync()

    assert fixed.by_entity["customer"].created == 1
    assert world.exceptions(fixed) == []
    row = world.rows("customers")[1]
    assert row["sync_status"] == "Success"
    assert accounts(world)[row["gid"]]["Id"] == row["sf_id"]
    assert count(world.sf, "Account") == 2


def test_a_refused_value_of_a_field_salesforce_owns_can_be_corrected_in_the_app(
    world: World,
) -> None:
    world.insert("customers", [{"id": 1, "name": "Cust 1", "phone": "5" * 60}])
    refused = world.sync()
    assert [e["error_code"] for e in world.exceptions(refused)] == ["STRING_TOO_LONG"]

    world.execute("UPDATE customers SET phone = '555-0001' WHERE id = 1")
    fixed = world.sync()

    assert world.rows("customers")[1]["sync_status"] == "Success"
    assert fixed.by_entity["customer"].created == 1
    assert [a["Phone"] for a in accounts(world).values()] == ["555-0001"]


def test_a_locked_row_in_salesforce_makes_the_change_wait_not_fail(world: World) -> None:
    world.admin.set_faults([{"kind": "unable_to_lock_row", "match": {"path": "composite/"}}])
    customers(world, 1)

    summary = world.sync()

    assert summary.counts.failed == 0
    assert summary.deferred == 1
    assert world.rows("customers")[1]["sync_status"] == "In Progress"
    with world.ledger() as ledger:
        assert ledger.queue_counts()["failed"] == 0


def test_the_echo_of_a_failed_write_back_does_not_send_the_record_again(world: World) -> None:
    world.insert("customers", [{"id": 1, "name": "N" * 300, "phone": None}])
    world.sync()
    assert world.rows("customers")[1]["sync_status"] == "Failed"

    world.admin.reset_stats()
    echo = world.sync()

    assert data_writes(world.admin.stats()) == {}
    assert world.exceptions(echo) == []
    with world.ledger() as ledger:
        assert ledger.queue_counts()["failed"] == 1


def test_records_outside_a_bindings_filter_are_not_carried(world: World) -> None:
    world.config["entities"]["customer"]["bindings"]["app"]["filter"] = "name NOT LIKE 'Test%'"
    world.sync()  # the filter in place before the rows are saved
    world.insert(
        "customers",
        [
            {"id": 1, "name": "Real customer", "phone": "1"},
            {"id": 2, "name": "Test row", "phone": None},
        ],
    )

    summary = world.sync()

    assert summary.by_entity["customer"].created == 1
    assert [a["Name"] for a in soql(world.sf, "SELECT Name FROM Account")] == ["Real customer"]
    world.sync()  # the echoes of that pass's writes
    world.execute("UPDATE customers SET phone = '2' WHERE id = 2")
    assert world.sync().by_entity["customer"].selected == 0
    assert count(world.sf, "Account") == 1
