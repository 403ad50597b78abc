"""The record store against a real SQLite file: validation codes, system fields,
the recycle bin, and SystemModstamp under concurrent writers."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lockstep_emulator.errors import RecordError, SalesforceError
from lockstep_emulator.org import Org, OrgSettings
from lockstep_emulator.schema.model import ObjectDef
from lockstep_emulator.store.layout import format_datetime, parse_datetime


def obj(org: Org, name: str) -> ObjectDef:
    found = org.schema.get(name)
    assert found is not None
    return found


def create(org: Org, name: str, **values: object) -> str:
    with org.db.transaction():
        return org.store.create(obj(org, name), values, org.user_id)


def test_create_fills_system_fields(org: Org) -> None:
    rid = create(org, "Contact", FirstName="Ada", LastName="Lovelace")
    rec = org.store.get(obj(org, "Contact"), rid)
    assert rid.startswith("003") and len(rid) == 18
    assert rec["Name"] == "Ada Lovelace"
    assert rec["OwnerId"] == org.user_id == rec["CreatedById"]
    assert rec["IsDeleted"] is False
    assert rec["CreatedDate"] == rec["SystemModstamp"]
    assert rec["CreatedDate"].endswith("+0000") and len(rec["CreatedDate"]) == 28


@pytest.mark.parametrize(
    ("name", "values", "code"),
    [
        ("Contact", {"FirstName": "x"}, "REQUIRED_FIELD_MISSING"),
        ("Account", {"Name": "x" * 256}, "STRING_TOO_LONG"),
        ("Account", {"Name": "a", "Nope__c": 1}, "INVALID_FIELD"),
        ("Account", {"Name": "a", "NumberOfEmployees": "many"}, "JSON_PARSER_ERROR"),
        ("Account", {"Name": "a", "NumberOfEmployees": 1.5}, "JSON_PARSER_ERROR"),
        ("Contact", {"LastName": "a", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS"),
        ("Contact", {"LastName": "a", "Birthdate": "1999-02-30"}, "JSON_PARSER_ERROR"),
        ("Contact", {"LastName": "a", "DoNotCall": "yes"}, "JSON_PARSER_ERROR"),
        ("Case", {"Status": "Exploded"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
        ("Contact", {"LastName": "a", "AccountId": "bogus"}, "MALFORMED_ID"),
        (
            "Contact",
            {"LastName": "a", "AccountId": "003000000000000AAA"},
            "FIELD_INTEGRITY_EXCEPTION",
        ),
        (
            "Contact",
            {"LastName": "a", "AccountId": "001000000000009AAA"},
            "INVALID_CROSS_REFERENCE_KEY",
        ),
        (
            "Account",
            {"Name": "a", "CreatedDate": "2020-01-01T00:00:00Z"},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
        ),
        ("Account", {"Name": "a", "AnnualRevenue": 1e30}, "NUMBER_OUTSIDE_VALID_RANGE"),
    ],
)
def test_validation_errors_carry_documented_codes(
    org: Org, name: str, values: dict[str, object], code: str
) -> None:
    with pytest.raises(RecordError) as caught:
        create(org, name, **values)
    assert caught.value.error_code == code
    assert caught.value.status == 400
    assert org.store.count(obj(org, name)) == 0


def test_update_changes_modstamp_and_keeps_created(org: Org) -> None:
    rid = create(org, "Account", Name="Acme")
    before = org.store.get(obj(org, "Account"), rid)
    with org.db.transaction():
        org.store.update(obj(org, "Account"), rid, {"Phone": "555"}, org.user_id)
    after = org.store.get(obj(org, "Account"), rid)
    assert after["Phone"] == "555"
    assert after["CreatedDate"] == before["CreatedDate"]
    assert after["SystemModstamp"] > before["SystemModstamp"]


def test_fifteen_character_ids_are_accepted(org: Org) -> None:
    rid = create(org, "Account", Name="Acme")
    assert org.store.get(obj(org, "Account"), rid[:15])["Id"] == rid
    cid = create(org, "Contact", LastName="x", AccountId=rid[:15])
    assert org.store.get(obj(org, "Contact"), cid)["AccountId"] == rid


def test_delete_is_soft_and_purged_after_fifteen_days(org: Org) -> None:
    account = obj(org, "Account")
    rid = create(org, "Account", Name="Acme")
    with org.db.transaction():
        org.store.delete(account, rid, org.user_id)
    with pytest.raises(SalesforceError) as gone:
        org.store.get(account, rid)
    assert gone.value.status == 404
    assert org.store.get(account, rid, include_deleted=True)["IsDeleted"] is True
    with pytest.raises(SalesforceError) as write, org.db.transaction():
        org.store.update(account, rid, {"Name": "z"}, org.user_id)
    assert write.value.error_code == "ENTITY_IS_DELETED"
    org.clock.advance(timedelta(days=14))
    with org.db.transaction():
        assert org.store.purge_recycle_bin() == 0
    org.clock.advance(timedelta(days=2))
    with org.db.transaction():
        assert org.store.purge_recycle_bin() == 1
    assert org.store.exists(rid) is None


def test_update_and_delete_windows_list_past_minutes(org: Org) -> None:
    account = obj(org, "Account")
    before = org.clock.now() - timedelta(minutes=5)
    kept = create(org, "Account", Name="kept")
    gone = create(org, "Account", Name="gone")
    with org.db.transaction():
        org.store.delete(account, gone, org.user_id)
    org.clock.advance(timedelta(minutes=2))
    start, end = format_datetime(before), format_datetime(org.clock.now())
    assert org.store.updated_ids(account, start, end) == [kept]
    assert [rid for rid, _ in org.store.deleted_records(account, start, end)] == [gone]
    assert org.store.updated_ids(account, end, format_datetime(org.clock.now())) == []


def test_custom_object_name_defaults_to_the_id(tmp_path: Path) -> None:
    schema = tmp_path / "schema.yaml"
    schema.write_text("objects:\n  Widget__c:\n    fields:\n      Size__c: {type: int}\n")
    custom = Org(OrgSettings(schema_file=schema), None)
    try:
        rid = create(custom, "Widget__c", Size__c=3)
        assert custom.store.get(obj(custom, "Widget__c"), rid)["Name"] == rid
    finally:
        custom.close()


def test_undelete_restores(org: Org) -> None:
    account = obj(org, "Account")
    rid = create(org, "Account", Name="Acme")
    with org.db.transaction():
        org.store.delete(account, rid, org.user_id)
        org.store.undelete(rid, org.user_id)
    assert org.store.get(account, rid)["Name"] == "Acme"


def test_failed_nested_write_rolls_back_only_itself(org: Org) -> None:
    account = obj(org, "Account")
    with org.db.transaction():
        org.store.create(account, {"Name": "kept"}, org.user_id)
        with pytest.raises(RecordError), org.db.transaction():
            org.store.create(account, {"Name": "undone"}, org.user_id)
            org.store.create(account, {}, org.user_id)
    assert org.store.count(account) == 1


def test_data_survives_reopen(tmp_path: Path) -> None:
    first = Org(OrgSettings(), tmp_path)
    rid = create(first, "Account", Name="Durable")
    org_id, stamp = first.org_id, first.store.get(obj(first, "Account"), rid)["SystemModstamp"]
    first.close()
    second = Org(OrgSettings(), tmp_path)
    try:
        assert second.org_id == org_id
        rec = second.store.get(obj(second, "Account"), rid)
        assert rec["Name"] == "Durable"
        newer = create(second, "Account", Name="Later")
        assert second.store.get(obj(second, "Account"), newer)["SystemModstamp"] > stamp
    finally:
        second.close()


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writers=st.integers(2, 6), per_writer=st.integers(1, 40))
def test_modstamp_strictly_increases_across_concurrent_writers(
    org: Org, writers: int, per_writer: int
) -> None:
    account = obj(org, "Account")
    gate = threading.Barrier(writers)

    def write(slot: int) -> None:
        gate.wait()
        for i in range(per_writer):
            with org.db.transaction():
                org.store.create(account, {"Name": f"w{slot}-{i}"}, org.user_id)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps = [
        r[0]
        for r in org.db.conn.execute(
            'SELECT "SystemModstamp" FROM "Account" WHERE "Name" LIKE \'w%\' ORDER BY rowid'
        )
    ]
    assert len(stamps) >= writers * per_writer
    assert all(a < b for a, b in itertools.pairwise(stamps))


def test_one_stamp_per_transaction_that_keeps_pace_with_real_time(org: Org) -> None:
    account = obj(org, "Account")
    stamps = []
    for batch in range(10):
        with org.db.transaction():
            ids = [
                org.store.create(account, {"Name": f"t{batch}-{i}"}, org.user_id)
                for i in range(300)
            ]
        got = {org.store.get(account, rid)["SystemModstamp"] for rid in ids}
        assert len(got) == 1  # one transaction, one stamp
        stamps.append(got.pop())
    assert all(a < b for a, b in itertools.pairwise(stamps))
    newest = parse_datetime(stamps[-1])
    assert newest <= org.clock.now()  # 3,000 writes did not run the clock ahead
