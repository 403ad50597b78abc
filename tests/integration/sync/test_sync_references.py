"""References: entities drain parents first, so a child whose parent is new in the same
pass finds it; a lookup travels as the parent's id in each system; a child whose parent
is not synced yet waits (MISSING_PARENT is transient) and is delivered later."""

from __future__ import annotations

from tests.support.looks import data_writes, soql
from tests.support.sync_world import World


def assert_quiet(world: World) -> None:
    """The echoes of a pass change nothing, and the pass after them reads nothing."""
    world.admin.reset_stats()
    before = {t: world.rows(t) for t in ("customers", "contacts", "contracts", "usages")}
    echo = world.sync()
    quiet = world.sync()
    assert echo.counts.processed == 0 and echo.counts.failed == 0, echo.as_dict()
    assert quiet.counts.selected == 0, quiet.as_dict()
    assert data_writes(world.admin.stats()) == {}
    assert {t: world.rows(t) for t in before} == before


def test_a_contact_and_its_new_customer_in_one_pass_get_the_lookup(any_world: World) -> None:
    world = any_world
    world.insert("customers", [{"id": 1, "name": "Acme", "phone": None}])
    world.insert(
        "contacts",
        [
            {"id": 10, "last_name": "Lee", "email": "lee@acme.test", "customer_id": 1},
            {"id": 11, "last_name": "Ng", "email": None, "customer_id": None},
        ],
    )

    summary = world.sync()

    assert summary.counts.failed == 0 and summary.counts.skipped == 0
    assert summary.by_entity["customer"].created == 1
    assert summary.by_entity["contact"].created == 2
    account_id = world.rows("customers")[1]["sf_id"]
    contacts = world.rows("contacts")
    found = {
        r["Id"]: r
        for r in soql(world.sf, "SELECT Id, LastName, AccountId, Global_Id__c FROM Contact")
    }
    assert found[contacts[10]["sf_id"]]["AccountId"] == account_id
    assert found[contacts[10]["sf_id"]]["Global_Id__c"] == contacts[10]["gid"]
    assert found[contacts[11]["sf_id"]]["AccountId"] is None
    assert {c["sync_status"] for c in contacts.values()} == {"Success"}
    assert_quiet(world)


def test_moving_a_contact_to_another_customer_moves_the_lookup(world: World) -> None:
    world.insert(
        "customers",
        [{"id": 1, "name": "Acme", "phone": None}, {"id": 2, "name": "Globex", "phone": None}],
    )
    world.insert("contacts", [{"id": 10, "last_name": "Lee", "email": None, "customer_id": 1}])
    world.sync()
    world.sync()

    world.execute("UPDATE contacts SET customer_id = 2 WHERE id = 10")
    summary = world.sync()

    assert summary.by_entity["contact"].updated == 1
    contact = world.sf.Contact.get(world.rows("contacts")[10]["sf_id"])
    assert contact["AccountId"] == world.rows("customers")[2]["sf_id"]


def test_a_usage_booked_on_a_contract_from_salesforce_gets_its_lookup(world: World) -> None:
    contract = world.sf.Contract__c.create({"Name": "C-1", "Status__c": "Active", "Units__c": 5})
    world.sync()
    copy = next(iter(world.rows("contracts").values()))
    assert (copy["salesforce_id"], copy["name"], copy["status"], copy["units"]) == (
        contract["id"],
        "C-1",
        "Active",
        5,
    )

    world.insert("usages", [{"id": 7, "ad_name": "ad 7", "units": 2, "contract_id": copy["id"]}])
    summary = world.sync()

    assert summary.by_entity["usage"].created == 1
    usage = world.rows("usages")[7]
    assert usage["sync_status"] == "Success"
    record = world.sf.Usage__c.get(usage["salesforce_id"])
    assert (record["Contract__c"], record["Units__c"], record["Lockstep_Id__c"]) == (
        contract["id"],
        2,
        usage["global_id"],
    )
    assert_quiet(world)


def test_a_child_whose_parent_is_not_synced_yet_waits_and_then_arrives(world: World) -> None:
    # The app saves a contact of customer 5 before customer 5 itself.
    world.insert("contacts", [{"id": 10, "last_name": "Lee", "email": None, "customer_id": 5}])

    waiting = world.sync()

    assert waiting.by_entity["contact"].skipped == 1  # waits for a retry: not failed
    assert waiting.counts.failed == 0 and waiting.deferred == 1
    assert world.rows("contacts")[10]["sync_status"] == "In Progress"
    with world.ledger() as ledger:
        (item,) = ledger.queue_items(states=("pending",), entity="contact")
        assert item.available_at > ledger.now()
        assert item.last_error is not None and item.last_error.startswith("MISSING_PARENT")

    world.insert("customers", [{"id": 5, "name": "Late Inc", "phone": None}])
    parent = world.sync()
    assert parent.by_entity["customer"].created == 1

    # The contact waits for its retry (nothing else of its record changed: the "In
    # Progress" written back is no change to capture); once due, it arrives.
    assert world.let_retries_come_due() == 1
    arrived = world.sync()
    assert arrived.by_entity["contact"].created == 1
    contact = world.rows("contacts")[10]
    assert contact["sync_status"] == "Success"
    assert (
        world.sf.Contact.get(contact["sf_id"])["AccountId"] == world.rows("customers")[5]["sf_id"]
    )
    assert len(soql(world.sf, "SELECT Id FROM Contact")) == 1
    assert world.let_retries_come_due() == 0
    again = world.sync()
    assert again.counts.processed == 0 and again.counts.failed == 0
    assert len(soql(world.sf, "SELECT Id FROM Contact")) == 1
    with world.ledger() as ledger:
        assert ledger.queue_counts()["pending"] == 0
