"""References: a lookup is compared as the parent's global id, so a contact whose
Account in Salesforce is another customer than the app's is an ``update`` of the
reference, whatever the native ids; ``--apply`` points the lookup back at the app's
customer. Parents are repaired before their children."""

from __future__ import annotations

from reconcile_helpers import World, actions, csv_rows, data_writes, diff_of, soql


def contacts_in_org(world: World) -> dict[str, dict[str, object]]:
    rows = soql(world.sf, "SELECT Id, LastName, AccountId, Global_Id__c FROM Contact")
    return {str(r["Id"]): r for r in rows}


def acme_and_globex(world: World) -> None:
    world.insert(
        "customers",
        [{"id": 1, "name": "Acme", "phone": None}, {"id": 2, "name": "Globex", "phone": None}],
    )
    world.insert(
        "contacts",
        [
            {"id": 10, "last_name": "Lee", "email": "lee@acme.test", "customer_id": 1},
            {"id": 11, "last_name": "Ng", "email": None, "customer_id": 2},
        ],
    )
    world.settle()


def test_a_lookup_moved_in_salesforce_is_an_update_and_apply_moves_it_back(
    world: World,
) -> None:
    acme_and_globex(world)
    customers, contacts = world.rows("customers"), world.rows("contacts")
    lee = contacts[10]["sf_id"]
    world.sf.Contact.update(lee, {"AccountId": customers[2]["sf_id"]})  # Lee to Globex
    world.admin.reset_stats()

    found = world.reconcile()

    rows = diff_of(found, "contact")
    assert actions(rows) == {("10", "crm"): "update"}  # the differences only
    assert diff_of(found) == {}  # the customers agree
    moved = rows[("10", "crm")]
    assert moved["finding"] == "field_mismatch"
    # as global ids, not Salesforce or app ids: Salesforce's parent -> the app's
    assert moved["changes"] == f"account: {customers[2]['gid']} -> {customers[1]['gid']}"
    assert moved["reason"] == "differs from app"
    assert found.by_entity["contact"].updated == 1
    assert found.by_entity["customer"].unchanged == 4
    assert data_writes(world.admin.stats()) == {}
    assert contacts_in_org(world)[lee]["AccountId"] == customers[2]["sf_id"]

    repaired = world.reconcile(apply=True)

    assert repaired.notes == ("--apply: 0 created, 1 updated, 0 failed",)
    assert csv_rows(repaired, "exceptions.csv") == []
    org = contacts_in_org(world)
    assert org[lee]["AccountId"] == customers[1]["sf_id"]
    assert org[contacts[11]["sf_id"]]["AccountId"] == customers[2]["sf_id"]
    assert len(org) == 2
    assert world.rows("contacts") == contacts
    assert world.rows("customers") == customers
    assert set(actions(diff_of(world.reconcile(every=True), "contact")).values()) == {"unchanged"}


def test_a_lookup_moved_in_the_app_unseen_is_carried_to_salesforce(world: World) -> None:
    acme_and_globex(world)
    customers, contacts = world.rows("customers"), world.rows("contacts")
    world.drop_capture()
    world.execute("UPDATE contacts SET customer_id = 2 WHERE id = 10")

    found = world.reconcile()

    moved = diff_of(found, "contact")[("10", "crm")]
    assert moved["action"] == "update"
    assert moved["changes"] == f"account: {customers[1]['gid']} -> {customers[2]['gid']}"

    world.reconcile(apply=True)

    org = contacts_in_org(world)
    assert org[contacts[10]["sf_id"]]["AccountId"] == customers[2]["sf_id"]


def test_a_lookup_to_an_account_lockstep_never_linked_is_pointed_back(world: World) -> None:
    acme_and_globex(world)
    customers, contacts = world.rows("customers"), world.rows("contacts")
    # (customers are left out of this run: reconcile would copy the stray Account into
    # the app, see test_reconcile_skips)
    stray = world.sf.Account.create({"Name": "Stray"})["id"]
    lee = contacts[10]["sf_id"]
    world.sf.Contact.update(lee, {"AccountId": stray})

    found = world.reconcile(entities=("contact",))

    moved = diff_of(found, "contact")[("10", "crm")]
    assert moved["action"] == "update"
    # an unlinked parent has no global id: it reads as "?" and its native id
    assert moved["changes"] == f"account: ?{stray} -> {customers[1]['gid']}"

    world.reconcile(apply=True, entities=("contact",))

    assert contacts_in_org(world)[lee]["AccountId"] == customers[1]["sf_id"]
    assert world.sf.Account.get(stray)["Name"] == "Stray"  # left alone
    assert world.rows("customers") == customers


def test_a_parent_and_child_never_synced_are_created_parent_first(world: World) -> None:
    world.drop_capture()
    world.insert("customers", [{"id": 1, "name": "Acme", "phone": None}])
    world.insert("contacts", [{"id": 10, "last_name": "Lee", "email": None, "customer_id": 1}])

    found = world.reconcile()

    assert {k: r["reason"] for k, r in diff_of(found, "customer").items()} == {
        ("1", "crm"): "never synced from app"
    }
    assert {k: r["reason"] for k, r in diff_of(found, "contact").items()} == {
        ("10", "crm"): "never synced from app"
    }

    repaired = world.reconcile(apply=True)

    assert repaired.notes == ("--apply: 2 created, 0 updated, 0 failed",)
    customer, contact = world.rows("customers")[1], world.rows("contacts")[10]
    assert customer["sync_status"] == contact["sync_status"] == "Success"
    (org,) = contacts_in_org(world).values()
    assert (org["Id"], org["AccountId"], org["Global_Id__c"]) == (
        contact["sf_id"],
        customer["sf_id"],
        contact["gid"],
    )
    assert set(actions(diff_of(world.reconcile(every=True), "contact")).values()) == {"unchanged"}
