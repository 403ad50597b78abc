"""Writes: grouping, sObject Collections, Bulk API 2.0, results in input order."""

from __future__ import annotations

from decimal import Decimal

from lockstep_emulator.admin_client import AdminClient
from sf_helpers import WIDGET, MakeConnector

from lockstep.connectors.salesforce import SalesforceConnector
from lockstep.core.ops import Delete, Op, OpResult, Upsert

MISSING_ID = "a00000000000000AAA"


def names(sf: SalesforceConnector) -> dict[str, str | None]:
    return {
        row["Name"]: row["Ext__c"]
        for page in sf.snapshot(WIDGET, ["Name", "Ext__c"])
        for row in page
    }


def test_mixed_ops_come_back_in_input_order(sf: SalesforceConnector, admin: AdminClient) -> None:
    [old, doomed] = admin.seed({WIDGET: [{"Name": "old"}, {"Name": "doomed"}]})["ids"][WIDGET]
    admin.seed({WIDGET: [{"Name": "by-ext", "Ext__c": "E-1"}]})
    ops: list[Op] = [
        Upsert({"Name": "new"}),
        Delete(doomed),
        Upsert({"Name": "renamed"}, native_id=old),
        Upsert({"Name": "bad", "Amount__c": Decimal(-1)}),
        Upsert({"Name": "upserted", "Ext__c": "E-1"}, match_on="Ext__c"),
        Upsert({"Name": "fresh", "Ext__c": "E-2"}, match_on="Ext__c"),
        Upsert({"Name": "ghost"}, native_id=MISSING_ID),
        Delete(MISSING_ID),
    ]
    results = sf.apply(WIDGET, ops)
    assert [r.ok for r in results] == [True, True, True, False, True, True, False, False]
    assert results[0].created and not results[2].created
    assert results[1].native_id == doomed and results[2].native_id == old
    assert results[3].error is not None
    assert results[3].error.code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert results[3].error.fields == ("Amount__c",)
    assert (results[4].created, results[5].created) == (False, True)
    assert results[6].native_id == MISSING_ID and results[6].error is not None
    assert results[7].error is not None
    assert all(r.job_id is None for r in results)
    # insert, delete, update, upsert: one Collections call each
    assert sf.calls.by_family == {"auth": 1, "composite": 4}
    assert names(sf) == {"new": None, "renamed": None, "upserted": "E-1", "fresh": "E-2"}


def test_collections_chunks_by_batch_size(make: MakeConnector) -> None:
    sf = make(batch_size=50)
    results = sf.apply(WIDGET, [Upsert({"Name": f"n{i}"}) for i in range(120)])
    assert all(r.ok and r.created for r in results)
    assert sf.calls.by_family["composite"] == 3


def test_bulk_maps_results_to_input_order(make: MakeConnector) -> None:
    sf = make(bulk_threshold=10, bulk_poll_seconds=0.05)
    ops: list[Op] = [Upsert({"Name": f"b{i}", "Amount__c": Decimal(i)}) for i in range(30)]
    ops[13] = Upsert({"Name": "b13", "Amount__c": Decimal(-13)})  # fails its validation rule
    ops[20] = ops[21] = Upsert({"Name": "twin", "Amount__c": Decimal(1)})  # identical rows
    results = sf.apply(WIDGET, ops)
    assert [r.ok for r in results] == [i != 13 for i in range(30)]
    failed = results[13]
    assert failed.error is not None
    assert failed.error.code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert failed.error.message == "Amount must not be negative"
    assert failed.error.fields == ("Amount__c",)
    job_ids = {r.job_id for r in results}
    assert len(job_ids) == 1 and None not in job_ids
    assert all(r.created for r in results if r.ok)
    assert len({r.native_id for r in results if r.ok}) == 29
    stored = {row["Id"]: row["Name"] for page in sf.snapshot(WIDGET, ["Name"]) for row in page}
    for i, result in enumerate(results):
        if result.ok:
            assert stored[str(result.native_id)] == ("twin" if i in (20, 21) else f"b{i}")


def test_bulk_update_and_delete_by_id(make: MakeConnector, admin: AdminClient) -> None:
    ids = admin.seed({WIDGET: [{"Name": f"s{i}"} for i in range(12)]})["ids"][WIDGET]
    sf = make(bulk_threshold=10, bulk_poll_seconds=0.05)
    updates: list[Op] = [Upsert({"Name": f"u{i}"}, native_id=id_) for i, id_ in enumerate(ids)]
    updates.insert(5, Upsert({"Name": "ghost"}, native_id=MISSING_ID))
    results = sf.apply(WIDGET, updates)
    assert [r.ok for r in results] == [i != 5 for i in range(13)]
    assert results[5].native_id == MISSING_ID and results[5].job_id is not None
    assert [r.native_id for r in results if r.ok] == ids
    assert set(names(sf)) == {f"u{i}" for i in range(12)}

    deleted = sf.apply(WIDGET, [Delete(id_) for id_ in reversed(ids)])
    assert [r.native_id for r in deleted] == list(reversed(ids))
    assert all(r.ok and r.job_id for r in deleted)
    assert names(sf) == {}


def upsert_by_ext(sf: SalesforceConnector, admin: AdminClient) -> list[OpResult]:
    admin.seed({WIDGET: [{"Name": f"was{i}", "Ext__c": f"K{i}"} for i in range(0, 12, 2)]})
    ops: list[Op] = [
        Upsert({"Name": f"is{i}", "Ext__c": f"K{i}"}, match_on="Ext__c") for i in range(12)
    ]
    results = sf.apply(WIDGET, ops)
    assert [r.ok for r in results] == [True] * 12
    assert [r.created for r in results] == [i % 2 == 1 for i in range(12)]
    assert names(sf) == {f"is{i}": f"K{i}" for i in range(12)}
    return results


def test_upsert_by_external_id_through_collections(
    sf: SalesforceConnector, admin: AdminClient
) -> None:
    results = upsert_by_ext(sf, admin)
    assert all(r.job_id is None for r in results)
    assert sf.calls.by_family["composite"] == 1


def test_upsert_by_external_id_through_bulk(make: MakeConnector, admin: AdminClient) -> None:
    sf = make(bulk_threshold=12, bulk_poll_seconds=0.05)
    results = upsert_by_ext(sf, admin)
    assert len({r.job_id for r in results}) == 1 and results[0].job_id is not None
    assert "composite" not in sf.calls.by_family


def test_bulk_upsert_maps_failures_and_repeated_keys(
    make: MakeConnector, admin: AdminClient
) -> None:
    admin.seed({WIDGET: [{"Name": "was7", "Ext__c": "U7"}]})
    n = 20_000
    ops: list[Op] = [
        Upsert(
            {"Ext__c": f"U{i}", "Name": f"n{i}", "Amount__c": Decimal(i % 50)}, match_on="Ext__c"
        )
        for i in range(n)
    ]
    ops[n // 2] = Upsert({"Ext__c": "BAD", "Amount__c": Decimal(-1)}, match_on="Ext__c")
    # U10 twice in one batch: the second fails; U20 again in a later batch (the
    # emulator's batches are 256 KB): both are written, the second an update
    ops[11] = Upsert({"Ext__c": "U10", "Name": "twin"}, match_on="Ext__c")
    ops[n - 1] = Upsert({"Ext__c": "U20", "Name": "late"}, match_on="Ext__c")
    sf = make(bulk_threshold=2000, bulk_poll_seconds=0.05)
    results = sf.apply(WIDGET, ops)

    assert [i for i, r in enumerate(results) if not r.ok] == [11, n // 2]
    assert results[n // 2].error is not None
    assert results[n // 2].error.code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert results[11].error is not None and results[11].error.code == "DUPLICATE_VALUE"
    assert len({r.job_id for r in results}) == 1 and results[0].job_id is not None
    assert [i for i, r in enumerate(results) if r.ok and not r.created] == [7, n - 1]
    assert results[n - 1].native_id == results[20].native_id
    stored = {
        row["Id"]: (row["Ext__c"], row["Name"])
        for page in sf.snapshot(WIDGET, ["Name", "Ext__c"])
        for row in page
    }
    assert len(stored) == n - 3  # U11, U10000 and U19999 were never sent
    for op, result in zip(ops, results, strict=True):
        if result.ok:
            assert isinstance(op, Upsert)
            ext = op.values["Ext__c"]
            assert stored[str(result.native_id)] == (
                ext,
                "late" if ext == "U20" else op.values["Name"],
            )


def names_of(n: int) -> list[str]:
    return [f"{i:070}" for i in range(n)]


def test_a_bulk_job_past_its_timeout_is_aborted(make: MakeConnector) -> None:
    sf = make(bulk_threshold=2000, bulk_poll_seconds=0.05, bulk_timeout_seconds=0.2)
    # 2 MB of upload: 8 emulator batches, the abort lands between two
    results = sf.apply(WIDGET, [Upsert({"Name": name}) for name in names_of(30_000)])
    assert len({r.job_id for r in results}) == 1 and results[0].job_id is not None
    codes = {r.error.code for r in results if r.error is not None}
    assert codes == {"BULK_JOB_ABORTED"}
    assert all(r.error.transient for r in results if r.error is not None)  # not done: waits
    done = {str(r.native_id) for r in results if r.ok and r.created}
    assert len(done) == sum(r.ok for r in results)
    # The batch running when the abort came commits before the results are read: every
    # row in the org is reported written, and no row reported unwritten is there.
    stored = {row["Id"]: row["Name"] for page in sf.snapshot(WIDGET, ["Name"]) for row in page}
    assert set(stored) == done
    unwritten = {op_name for op_name, r in zip(names_of(30_000), results, strict=True) if not r.ok}
    assert unwritten.isdisjoint(stored.values())


def test_bulk_clears_a_field_with_none(make: MakeConnector, admin: AdminClient) -> None:
    ids = admin.seed({WIDGET: [{"Name": f"s{i}", "Ext__c": f"X{i}"} for i in range(3)]})["ids"][
        WIDGET
    ]
    sf = make(bulk_threshold=3, bulk_poll_seconds=0.05)
    ops: list[Op] = [Upsert({"Ext__c": None}, native_id=id_) for id_ in ids]
    assert all(r.ok for r in sf.apply(WIDGET, ops))
    assert names(sf) == {"s0": None, "s1": None, "s2": None}


def test_nothing_to_do_costs_nothing(sf: SalesforceConnector) -> None:
    assert sf.apply(WIDGET, []) == []
    assert sf.calls.by_family == {}
