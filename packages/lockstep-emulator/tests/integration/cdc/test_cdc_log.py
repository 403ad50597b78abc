"""The change log under a real org: one event per committed write, in its transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cdc_helpers import SCHEMA
from lockstep_emulator.cdc import read_events, table
from lockstep_emulator.cdc.recorder import Recorder
from lockstep_emulator.org import Org, OrgSettings
from lockstep_emulator.store.records import Change


class Boom(Exception):
    pass


@pytest.fixture
def org() -> Iterator[Org]:
    org = Org(OrgSettings(schema_file=SCHEMA), None)
    yield org
    org.close()


@pytest.fixture
def recorder(org: Org) -> Iterator[Recorder]:
    recorder = Recorder(org, overflow_after=5)
    recorder.install()
    yield recorder
    recorder.uninstall()


def create(org: Org, name: str = "Acme", obj: str = "Account") -> str:
    body = {"LastName": name} if obj == "Contact" else {"Name": name}
    with org.db.transaction():
        return org.store.create(org.store.object(obj), body, org.user_id)


def kinds(org: Org, after: int = 0) -> list[tuple[str, str]]:
    return [(e.change_type, e.record_ids[0]) for e in read_events(org, after)]


@pytest.mark.usefixtures("recorder")
def test_every_kind_of_write_is_logged(org: Org) -> None:
    account = org.store.object("Account")
    rid = create(org)
    with org.db.transaction():
        org.store.update(account, rid, {"Name": "Acme 2"}, org.user_id)
    with org.db.transaction():
        org.store.delete(account, rid, org.user_id)
    with org.db.transaction():
        org.store.undelete(rid, org.user_id)
    assert kinds(org) == [("CREATE", rid), ("UPDATE", rid), ("DELETE", rid), ("UNDELETE", rid)]
    update = read_events(org)[1]
    assert update.body == {"Name": "Acme 2", "LastModifiedDate": update.body["LastModifiedDate"]}


def test_a_transaction_shares_its_key_and_orders_its_events(org: Org, recorder: Recorder) -> None:
    account = org.store.object("Account")
    with org.db.transaction():
        ids = [org.store.create(account, {"Name": f"A{i}"}, org.user_id) for i in range(3)]
    create(org, "alone")
    events = read_events(org)
    first, alone = events[:3], events[3]
    assert [e.record_ids[0] for e in first] == ids
    assert {e.header["transactionKey"] for e in first} == {first[0].header["transactionKey"]}
    assert [e.header["sequenceNumber"] for e in first] == [1, 2, 3]
    assert {e.header["commitNumber"] for e in first} == {first[0].header["commitNumber"]}
    assert alone.header["transactionKey"] != first[0].header["transactionKey"]
    assert alone.header["commitNumber"] > first[0].header["commitNumber"]
    assert alone.header["sequenceNumber"] == 1
    replay_ids = [e.replay_id for e in events]
    assert replay_ids == sorted(replay_ids) and replay_ids[3] - replay_ids[2] > 1


def test_a_rolled_back_write_leaves_no_event(org: Org, recorder: Recorder) -> None:
    account = org.store.object("Account")
    with pytest.raises(Boom), org.db.transaction():
        org.store.create(account, {"Name": "gone"}, org.user_id)
        raise Boom
    with org.db.transaction():
        kept = org.store.create(account, {"Name": "kept"}, org.user_id)
        with pytest.raises(Boom), org.db.transaction():
            org.store.create(account, {"Name": "savepoint"}, org.user_id)
            raise Boom
    assert kinds(org) == [("CREATE", kept)]


def test_a_cascade_delete_logs_parent_and_children_together(org: Org, recorder: Recorder) -> None:
    contract = create(org, "C", "Contract__c")
    with org.db.transaction():
        usage = org.store.create(
            org.store.object("Usage__c"), {"Contract__c": contract, "Units__c": 2}, org.user_id
        )
    after = read_events(org)[-1].replay_id
    with org.db.transaction():
        org.store.delete(org.store.object("Contract__c"), contract, org.user_id)
    deleted = read_events(org, after)
    assert [(e.entity, e.change_type) for e in deleted] == [
        ("Contract__c", "DELETE"),
        ("Usage__c", "DELETE"),
    ]
    assert deleted[1].record_ids == (usage,)
    assert len({e.header["transactionKey"] for e in deleted}) == 1


def test_past_the_overflow_threshold_one_gap_overflow_per_entity(
    org: Org, recorder: Recorder
) -> None:
    account, contact = org.store.object("Account"), org.store.object("Contact")
    with org.db.transaction():
        for i in range(7):
            org.store.create(account, {"Name": f"A{i}"}, org.user_id)
        org.store.create(contact, {"LastName": "C"}, org.user_id)
    events = read_events(org)
    assert [e.change_type for e in events] == ["CREATE"] * 5 + ["GAP_OVERFLOW"] * 2
    assert [e.entity for e in events[5:]] == ["Account", "Contact"]
    assert events[5].record_ids == () and events[5].body == {}


def test_gaps_can_be_injected_or_take_the_place_of_the_next_changes(
    org: Org, recorder: Recorder
) -> None:
    replay_id = recorder.inject_gap("Account", "GAP_UPDATE", ["001000000000001AAA"])
    recorder.gap_next(1)
    rid = create(org)
    create(org, "normal again")
    events = read_events(org)
    assert events[0].replay_id == replay_id
    assert (events[0].change_type, events[0].record_ids) == ("GAP_UPDATE", ("001000000000001AAA",))
    assert (events[1].change_type, events[1].record_ids, events[1].body) == (
        "GAP_CREATE",
        (rid,),
        {},
    )
    assert events[2].change_type == "CREATE"
    overflow = recorder.inject_gap("Contact", "GAP_OVERFLOW", ["ignored"])
    assert read_events(org, overflow - 1)[0].record_ids == ()
    with pytest.raises(ValueError, match="not a gap"):
        recorder.inject_gap("Account", "UPDATE", [rid])


def test_commits_that_logged_wake_subscribers_and_others_do_not(
    org: Org, recorder: Recorder
) -> None:
    woken: list[int] = []
    recorder.on_commit = lambda: woken.append(1)
    create(org)
    with org.db.transaction():
        org.db.set_meta("unrelated", "1")
    with pytest.raises(Boom), org.db.transaction():
        create(org, "inner")
        raise Boom
    assert woken == [1]


def test_retention_removes_a_prefix_and_moves_the_floor(org: Org, recorder: Recorder) -> None:
    old = create(org, "old")
    org.clock.advance(timedelta(hours=73))
    new = create(org, "new")
    assert table.purge(org.db, org.clock.now()) == 1
    reader = table.LogReader(org.db)
    try:
        bounds = reader.bounds()
        (event,) = reader.after(0, None, 10)
        assert event.record_ids == (new,) and old != new
        assert bounds.floor > 0 and bounds.latest == event.replay_id
        assert not bounds.valid(bounds.floor) and bounds.valid(event.replay_id)
        assert not bounds.valid(event.replay_id + 1)
        assert table.expire_through(org.db) == 1
        assert reader.bounds().floor == event.replay_id == reader.bounds().latest
    finally:
        reader.close()


def test_reading_by_entity_and_with_a_limit(org: Org, recorder: Recorder) -> None:
    create(org, "a")
    contact = create(org, "L", "Contact")
    create(org, "b")
    assert [e.record_ids[0] for e in read_events(org, entity="Contact")] == [contact]
    assert len(read_events(org, limit=2)) == 2


def test_purge_keeps_what_is_young_and_removes_all_that_is_old(
    org: Org, recorder: Recorder
) -> None:
    create(org, "young")
    assert table.purge(org.db, org.clock.now()) == 0
    org.clock.advance(timedelta(hours=72, seconds=1))
    create(org, "younger")
    org.clock.advance(timedelta(hours=72, seconds=1))
    assert table.purge(org.db, org.clock.now()) == 2
    assert read_events(org) == []


def test_what_a_rolled_back_transaction_buffered_never_reaches_the_next(
    org: Org, recorder: Recorder
) -> None:
    account = org.store.object("Account")
    with pytest.raises(Boom), org.db.transaction():
        org.store.create(account, {"Name": "rolled back"}, org.user_id)
        raise Boom
    with org.db.transaction(), org.db.transaction():  # a savepoint flushes first thing
        kept = org.store.create(account, {"Name": "kept"}, org.user_id)
    assert kinds(org) == [("CREATE", kept)]


def test_long_transactions_span_blocks_and_read_back_in_order(
    org: Org, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(table, "BLOCK", 3)
    account = org.store.object("Account")
    with org.db.transaction():
        ids = [org.store.create(account, {"Name": f"A{i}"}, org.user_id) for i in range(5)]
    events = read_events(org)
    assert [e.record_ids[0] for e in events] == ids
    assert [e.header["sequenceNumber"] for e in events] == [1, 2, 3, 4, 5]
    middle = events[1].replay_id
    assert [e.record_ids[0] for e in read_events(org, middle, limit=2)] == ids[2:4]
    assert table.expire_through(org.db, middle) == 3  # the whole block it is in
    assert [e.record_ids[0] for e in read_events(org)] == ids[3:]


def test_an_event_keeps_the_values_of_its_moment(org: Org, recorder: Recorder) -> None:
    values = {"Name": "as written"}
    with org.db.transaction():
        recorder.record(
            Change(
                "Account",
                "001000000000001AAA",
                "UPDATE",
                values,
                ("Name",),
                org.user_id,
                org.clock.stamp(),
            )
        )
        values["Name"] = "changed later"
    assert read_events(org)[0].body == {"Name": "as written"}


def test_the_log_and_its_replay_ids_survive_a_restart(tmp_path: Path) -> None:
    def session(name: str) -> tuple[int, str]:
        org = Org(OrgSettings(schema_file=SCHEMA), tmp_path)
        recorder = Recorder(org)
        recorder.install()
        try:
            rid = create(org, name)
            return read_events(org)[-1].replay_id, rid
        finally:
            recorder.uninstall()
            org.close()

    first_id, first = session("before")
    second_id, second = session("after")
    assert second_id > first_id
    org = Org(OrgSettings(schema_file=SCHEMA), tmp_path)
    try:
        assert [e.record_ids[0] for e in read_events(org)] == [first, second]
        assert [e.record_ids[0] for e in read_events(org, first_id)] == [second]
    finally:
        org.close()
