"""The lock rule (seed 001): ``lock: contract.status == 'Fulfilled'`` on usages. Once
Salesforce fulfils a contract, a change to one of its usages is refused: RECORD_LOCKED,
the queue item ``failed``, ``Failed`` written back into the origin, and the other
system keeps the old value. The org has no validation rule here: lockstep refuses."""

from __future__ import annotations

from typing import Any

from tests.support.sync_world import World


def booked(world: World) -> tuple[str, dict[str, Any]]:
    """Contract C-1 (Active) from Salesforce, usage 7 booked on it in the app, both
    synced and their echoes drained; the contract's Id and the usage row."""
    contract = world.sf.Contract__c.create({"Name": "C-1", "Status__c": "Active", "Units__c": 5})
    world.sync()
    copy = next(iter(world.rows("contracts").values()))
    world.insert("usages", [{"id": 7, "ad_name": "ad 7", "units": 1, "contract_id": copy["id"]}])
    world.sync()
    world.sync()
    usage = world.rows("usages")[7]
    assert usage["sync_status"] == "Success"
    return contract["id"], usage


def fulfil(world: World, contract_id: str) -> None:
    world.sf.Contract__c.update(contract_id, {"Status__c": "Fulfilled"})
    summary = world.sync()
    assert summary.by_entity["contract"].updated == 1
    assert next(iter(world.rows("contracts").values()))["status"] == "Fulfilled"


def test_a_usage_edited_before_fulfilment_is_carried(world: World) -> None:
    _, usage = booked(world)

    world.execute("UPDATE usages SET units = 2 WHERE id = 7")
    summary = world.sync()

    assert summary.by_entity["usage"].updated == 1
    assert world.sf.Usage__c.get(usage["salesforce_id"])["Units__c"] == 2


def test_an_edit_after_fulfilment_is_refused_and_salesforce_keeps_the_old_value(
    world: World,
) -> None:
    contract_id, usage = booked(world)
    fulfil(world, contract_id)

    world.execute("UPDATE usages SET units = 3 WHERE id = 7")
    summary = world.sync()

    assert summary.by_entity["usage"].failed == 1
    assert summary.by_entity["usage"].updated == 0
    locked = [(e["key"], e["system"], e["error_code"]) for e in world.exceptions(summary)]
    assert locked == [("7", "app", "RECORD_LOCKED")]
    assert [e.code for e in world.stored_exceptions(summary)] == ["RECORD_LOCKED"]
    assert world.sf.Usage__c.get(usage["salesforce_id"])["Units__c"] == 1
    row = world.rows("usages")[7]
    assert (row["units"], row["sync_status"]) == (3, "Failed")
    with world.ledger() as ledger:
        (item,) = ledger.queue_items(states=("failed",), entity="usage")
        assert item.native_id == "7" and item.origin == "app"
        assert item.last_error is not None and item.last_error.startswith("RECORD_LOCKED")
        assert ledger.queue_counts(entity="usage")["pending"] == 0

    # Writing "Failed" back is lockstep's own change: it refuses nothing more, and the
    # usage in Salesforce stays as it was.
    after = world.sync()
    assert world.sf.Usage__c.get(usage["salesforce_id"])["Units__c"] == 1
    assert after.by_entity["usage"].updated == 0


def test_an_edit_in_salesforce_after_fulfilment_is_refused_too(world: World) -> None:
    contract_id, usage = booked(world)
    fulfil(world, contract_id)

    world.sf.Usage__c.update(usage["salesforce_id"], {"Units__c": 9})
    summary = world.sync()

    locked = [(e["key"], e["system"], e["error_code"]) for e in world.exceptions(summary)]
    assert locked == [(usage["salesforce_id"], "crm", "RECORD_LOCKED")]
    assert world.rows("usages")[7]["units"] == 1


def test_fulfilment_does_not_fail_usages_nobody_edited(world: World) -> None:
    contract = world.sf.Contract__c.create({"Name": "C-1", "Status__c": "Active", "Units__c": 5})
    world.sync()
    copy = next(iter(world.rows("contracts").values()))
    world.insert("usages", [{"id": 7, "ad_name": "ad 7", "units": 1, "contract_id": copy["id"]}])
    world.sync()  # creates the Usage__c; its echoes come in the next pass

    world.sf.Contract__c.update(contract["id"], {"Status__c": "Fulfilled"})
    summary = world.sync()

    assert world.exceptions(summary) == []
    assert summary.by_entity["usage"].failed == 0
    assert world.rows("usages")[7]["sync_status"] == "Success"
