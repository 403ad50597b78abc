"""Per-record order (issue 10): a record's changes are applied in the order its systems
made them, whatever their states, and a delete in the owner is final.

Each test is one of the reproductions of ``repro/sync`` run in-process: Salesforce
refuses writes (an emulator fault on sObject Collections) so that a change waits for
its retry, then a newer change or a delete of the same record comes, and the waiting
change must never be applied over it.

- ``delete-and-kill/repro_delete.sh``: a delete overtakes a waiting change;
- ``contended-stale/repro_stale.sh`` and ``stale-poison-redrive/repro_stale.sh``: a newer
  change overtakes a waiting one, from the app and from Salesforce;
- ``stale-poison-redrive/repro_poison.sh``: two waiting changes and a delete in
  Salesforce (which owns the record there): no re-created record, no wedge;
- ``stale-poison-redrive/repro_retry_failed.sh``: ``--retry-failed`` after the record
  was deleted in its owner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.sync.run import Options, sync_once
from tests.support.looks import soql
from tests.support.sync_world import WORKER, World

#: Salesforce refuses every write (the repros' ``outage.json``).
REFUSING_WRITES = {
    "kind": "http_error",
    "status": 503,
    "error_code": "SERVER_UNAVAILABLE",
    "match": {"path": "/composite/sobjects"},
}


def owned_by_crm(world: World) -> None:
    """Customers owned by Salesforce, as the stale-poison-redrive repros' customers are
    (the app, a copy, gets no write-back)."""
    customer = world.config["entities"]["customer"]
    customer["owner"] = "crm"
    customer.pop("field_owners")
    customer["bindings"]["app"].pop("write_back")


def accounts(world: World) -> list[dict[str, Any]]:
    return soql(world.sf, "SELECT Id, Name, Phone, Global_Customer_Id__c FROM Account")


def assert_queue_empty(world: World) -> None:
    with world.ledger() as ledger:
        counts = ledger.queue_counts()
    assert (counts["pending"], counts["in_flight"], counts["failed"], counts["dead"]) == (
        0,
        0,
        0,
        0,
    )


def assert_reconciled(world: World) -> None:
    """Reconcile finds the systems agreeing with the owner: nothing to write."""
    options = ReconcileOptions(worker=WORKER)
    checked = reconcile(world.write_config(), options, progress=Progress())
    assert checked.status == "done", checked.notes
    counts = checked.counts.as_dict()
    assert (counts["created"], counts["updated"], counts["deleted"], counts["failed"]) == (
        0,
        0,
        0,
        0,
    ), counts


def done(summary: Summary) -> Summary:
    assert summary.status == "done", summary.notes
    assert summary.counts.failed == 0, summary.as_dict()
    return summary


def app_names(world: World) -> Mapping[int, tuple[str, str | None]]:
    return {k: (r["name"], r["phone"]) for k, r in world.rows("customers").items()}


def test_a_delete_overtaking_a_waiting_change_is_final(world: World) -> None:
    """repro_delete.sh: the change waits, the ticket is deleted in the app (its owner);
    when the retry comes due nothing is re-created, and the global id stays dead."""
    world.insert("customers", [{"id": 1, "name": "printer on fire", "phone": None}])
    world.admin.set_faults([REFUSING_WRITES])
    waiting = world.sync()
    world.admin.clear_faults()
    assert waiting.deferred == 1
    gid = world.rows("customers")[1]["gid"]
    assert gid

    world.execute("DELETE FROM customers WHERE id = 1")
    done(world.sync())
    world.let_retries_come_due()
    done(world.sync())
    done(world.sync())

    assert accounts(world) == []
    assert world.rows("customers") == {}
    assert_queue_empty(world)
    with world.ledger() as ledger:
        link = ledger.links("customer", "app", ["1"])["1"]
        assert (link.global_id, link.deleted) == (gid, True)
        assert ledger.xrefs("customer", gid) == {}  # a tombstone: no live link
    assert_reconciled(world)


def test_a_newer_app_change_is_not_overwritten_by_the_waiting_older_one(world: World) -> None:
    """contended-stale/repro_stale.sh: v1 waits, v2 is carried; v1's retry must not put
    v1 into Salesforce for good. (As there, nothing is written back into the app.)"""
    app = world.config["entities"]["customer"]["bindings"]["app"]
    del app["write_back"], app["global_id_field"]
    world.insert("customers", [{"id": 1, "name": "v1", "phone": None}])
    world.admin.set_faults([REFUSING_WRITES])
    world.sync()
    world.admin.clear_faults()

    world.execute("UPDATE customers SET name = 'v2' WHERE id = 1")
    done(world.sync())
    assert [a["Name"] for a in accounts(world)] == ["v2"]
    world.let_retries_come_due()
    for _ in range(3):
        done(world.sync())
        assert [a["Name"] for a in accounts(world)] == ["v2"]

    assert app_names(world) == {1: ("v2", None)}
    assert_queue_empty(world)
    assert_reconciled(world)


def test_a_newer_salesforce_change_is_not_overwritten_by_the_waiting_older_one(
    world: World,
) -> None:
    """stale-poison-redrive/repro_stale.sh: Salesforce owns the record; v1 is carried to
    the app but its write-back waits; v2 is carried; the app must never go back to v1."""
    owned_by_crm(world)
    account = world.sf.Account.create({"Name": "Acme v1", "Phone": "100"})["id"]
    world.admin.set_faults([REFUSING_WRITES])
    waiting = world.sync()
    world.admin.clear_faults()
    assert waiting.deferred == 1
    assert app_names(world) == {1: ("Acme v1", "100")}

    world.sf.Account.update(account, {"Name": "Acme v2", "Phone": "200"})
    done(world.sync())
    assert app_names(world) == {1: ("Acme v2", "200")}
    done(world.sync())  # the echo of the write-back
    world.let_retries_come_due()
    for _ in range(3):
        done(world.sync())
        assert app_names(world) == {1: ("Acme v2", "200")}

    (only,) = accounts(world)
    assert (only["Name"], only["Phone"]) == ("Acme v2", "200")
    assert only["Global_Customer_Id__c"] == world.rows("customers")[1]["gid"]
    assert_queue_empty(world)
    assert_reconciled(world)


def test_changes_waiting_when_the_owner_deletes_the_record_neither_revive_nor_wedge_it(
    world: World,
) -> None:
    """stale-poison-redrive/repro_poison.sh: two changes of an Account wait for their
    write-back while the Account is deleted in Salesforce (its owner). Their retries
    re-created the app row, then every pass failed "already linked"."""
    owned_by_crm(world)
    account = world.sf.Account.create({"Name": "Acme v1", "Phone": "100"})["id"]
    world.admin.set_faults([REFUSING_WRITES])
    world.sync()
    world.sf.Account.update(account, {"Name": "Acme v2"})
    world.sync()
    world.admin.clear_faults()
    world.sf.Account.delete(account)

    done(world.sync())
    assert world.rows("customers") == {}
    world.let_retries_come_due()
    for _ in range(3):
        done(world.sync())
        assert world.rows("customers") == {}

    assert accounts(world) == []
    assert_queue_empty(world)
    assert_reconciled(world)


def test_retry_failed_does_not_revive_a_record_deleted_in_its_owner(world: World) -> None:
    """stale-poison-redrive/repro_retry_failed.sh: the app refuses an Account's change
    for good; the Account is then deleted in Salesforce (its owner); the operator
    resends what failed: the app must not get the deleted record."""
    owned_by_crm(world)
    world.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON customers WHEN NEW.name = 'Refused' "
        "BEGIN SELECT RAISE(ABORT, 'the app refuses it'); END"
    )
    account = world.sf.Account.create({"Name": "Refused", "Phone": "-5"})["id"]
    refused = world.sync()
    assert refused.counts.failed == 1
    world.sf.Account.delete(account)
    done(world.sync())
    world.execute("DROP TRIGGER refuse")

    options = Options(worker=WORKER, retry_failed=True)
    resent = sync_once(world.write_config(), options, progress=Progress())

    assert resent.status == "done" and resent.counts.failed == 0, resent.as_dict()
    assert world.rows("customers") == {}
    done(world.sync())
    assert world.rows("customers") == {}
    assert accounts(world) == []
    assert_queue_empty(world)
    assert_reconciled(world)


def test_a_record_that_cannot_be_linked_is_an_exception_and_the_rest_flow_on(
    world: World,
) -> None:
    """An app row carries a global id whose Account the ledger has linked to another
    global id: its create by external id lands on that Account, whose link the ledger
    refuses. That record ends XREF_CONFLICT; the pass goes on, and so do later ones."""
    taken = world.sf.Account.create({"Name": "Elsewhere", "Global_Customer_Id__c": "G-TAKEN"})
    with world.ledger() as ledger:
        ledger.link("customer", "G-OTHER", "crm", taken["id"])
    world.insert(
        "customers",
        [
            {"id": 1, "name": "Clashing", "phone": None, "gid": "G-TAKEN"},
            {"id": 2, "name": "Fine", "phone": None, "gid": None},
        ],
    )

    first = world.sync()

    assert first.status == "done", first.notes
    assert first.counts.failed == 1
    (exception,) = world.exceptions(first)
    assert (exception["key"], exception["error_code"]) == ("1", "XREF_CONFLICT")
    rows = world.rows("customers")
    assert rows[2]["sync_status"] == "Success" and rows[2]["sf_id"]
    later = world.sync()
    assert later.status == "done", later.notes
    with world.ledger() as ledger:
        assert ledger.queue_counts()["in_flight"] == 0


def test_the_owner_re_creating_a_deleted_record_makes_a_new_one(world: World) -> None:
    """A key the app deletes and then inserts again is a new record: a new global id
    and a new Account; the old global id stays dead."""
    world.insert("customers", [{"id": 1, "name": "First", "phone": None, "gid": None}])
    done(world.sync())
    old = world.rows("customers")[1]["gid"]
    world.execute("DELETE FROM customers WHERE id = 1")
    done(world.sync())
    assert accounts(world) == []

    world.insert("customers", [{"id": 1, "name": "Second", "phone": None, "gid": None}])
    done(world.sync())
    done(world.sync())

    row = world.rows("customers")[1]
    assert row["gid"] and row["gid"] != old and row["sync_status"] == "Success"
    (account,) = accounts(world)
    assert (account["Name"], account["Global_Customer_Id__c"]) == ("Second", row["gid"])
    with world.ledger() as ledger:
        assert ledger.dead_global_ids("customer", [old, row["gid"]]) == {old}
    assert_queue_empty(world)
    assert_reconciled(world)
