"""Building change events from logged rows: header, body, field lists, formats."""

from __future__ import annotations

from typing import Any

import pytest
from lockstep_emulator.cdc.channels import ALL_CHANGES, Channels, channel_of
from lockstep_emulator.cdc.events import (
    DEFAULT_ORIGIN,
    ChangeEvent,
    LoggedChange,
    cdc_datetime,
    schema_id,
    to_event,
)
from lockstep_emulator.schema.build import build_schema
from lockstep_emulator.schema.builtins import BUILTINS
from lockstep_emulator.schema.model import ObjectDef

SCHEMA = build_schema(BUILTINS)
ACCOUNT = SCHEMA.get("Account")
STAMP = "2024-05-01T10:00:00.000+0000"
USER = "005000000000001AAA"


def logged(change_type: str, values: dict[str, Any], **over: Any) -> LoggedChange:
    row = LoggedChange(
        replay_id=7,
        entity="Account",
        change_type=change_type,
        record_ids=("001000000000001AAA",),
        transaction_key="k-1",
        sequence_number=2,
        commit_ms=1714557600000,
        commit_number=3,
        commit_user=USER,
        change_origin=DEFAULT_ORIGIN,
        values=values,
    )
    return row._replace(**over)


def account() -> ObjectDef:
    assert ACCOUNT is not None
    return ACCOUNT


def created_row() -> dict[str, Any]:
    return {
        "Id": "001000000000001AAA",
        "Name": "Acme",
        "AccountNumber": None,
        "NumberOfEmployees": 12,
        "AnnualRevenue": 3,
        "IsDeleted": 0,
        "CreatedDate": STAMP,
        "CreatedById": USER,
        "LastModifiedDate": STAMP,
        "LastModifiedById": USER,
        "SystemModstamp": STAMP,
        "OwnerId": USER,
    }


def test_create_body_has_every_non_null_field_but_id_isdeleted_and_modstamp() -> None:
    event = to_event(logged("CREATE", created_row()), account())
    assert event.body == {
        "Name": "Acme",
        "NumberOfEmployees": 12,
        "AnnualRevenue": 3.0,
        "CreatedDate": "2024-05-01T10:00:00Z",
        "CreatedById": USER,
        "LastModifiedDate": "2024-05-01T10:00:00Z",
        "LastModifiedById": USER,
        "OwnerId": USER,
    }
    assert event.header["changedFields"] == []
    assert event.header["nulledFields"] == []


def test_header_carries_every_documented_field() -> None:
    header = to_event(logged("CREATE", created_row()), account()).header
    assert header == {
        "entityName": "Account",
        "recordIds": ["001000000000001AAA"],
        "changeType": "CREATE",
        "changeOrigin": "com/salesforce/api/rest/59.0",
        "transactionKey": "k-1",
        "sequenceNumber": 2,
        "commitTimestamp": 1714557600000,
        "commitNumber": 3,
        "commitUser": USER,
        "nulledFields": [],
        "diffFields": [],
        "changedFields": [],
    }


def test_update_lists_changed_and_nulled_fields_but_never_the_modstamp() -> None:
    changes = {
        "Name": "Acme 2",
        "AccountNumber": None,
        "LastModifiedDate": STAMP,
        "LastModifiedById": USER,
        "SystemModstamp": STAMP,
    }
    event = to_event(logged("UPDATE", changes), account())
    assert event.body == {
        "Name": "Acme 2",
        "AccountNumber": None,
        "LastModifiedDate": "2024-05-01T10:00:00Z",
    }
    assert event.header["changedFields"] == ["Name", "AccountNumber", "LastModifiedDate"]
    assert event.header["nulledFields"] == ["AccountNumber"]


@pytest.mark.parametrize("kind", ["DELETE", "GAP_UPDATE", "GAP_OVERFLOW"])
def test_delete_and_gap_events_have_no_body(kind: str) -> None:
    event = to_event(logged(kind, {"Name": "ignored"}), account())
    assert event.body == {}
    assert event.payload() == {"ChangeEventHeader": dict(event.header)}


def test_undelete_body_is_the_whole_record() -> None:
    event = to_event(logged("UNDELETE", created_row()), account())
    assert event.body["Name"] == "Acme" and "IsDeleted" not in event.body


def test_booleans_and_numbers_take_their_json_form() -> None:
    contact = SCHEMA.get("Contact")
    assert contact is not None
    row = logged("UPDATE", {"DoNotCall": 1, "LastName": "X"}, entity="Contact")
    assert to_event(row, contact).body == {"DoNotCall": True, "LastName": "X"}


def test_message_is_the_bayeux_event_shape() -> None:
    event = to_event(logged("DELETE", {}), account())
    message = event.message("/data/AccountChangeEvent")
    assert message == {
        "channel": "/data/AccountChangeEvent",
        "data": {
            "schema": event.schema,
            "payload": {"ChangeEventHeader": dict(event.header)},
            "event": {"replayId": 7},
        },
    }
    message["data"]["payload"]["ChangeEventHeader"]["recordIds"].append("changed")
    assert event.record_ids == ("001000000000001AAA",)


def test_an_entity_gone_from_the_schema_still_reads() -> None:
    event = to_event(logged("CREATE", {"Name": "x"}, entity="Gone__c"), None)
    assert isinstance(event, ChangeEvent) and event.body == {"Name": "x"} and event.schema


@pytest.mark.parametrize(
    ("stored", "wire"),
    [
        ("2024-05-01T10:00:00.000+0000", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00.123+0000", "2024-05-01T10:00:00.123Z"),
    ],
)
def test_datetimes_are_utc_with_z(stored: str, wire: str) -> None:
    assert cdc_datetime(stored) == wire


def test_schema_id_is_stable_and_differs_by_object() -> None:
    contact = SCHEMA.get("Contact")
    assert contact is not None
    assert schema_id(account()) == schema_id(account())
    assert schema_id(account()) != schema_id(contact)
    assert len(schema_id(account())) == 22


def test_channels_name_standard_and_custom_objects() -> None:
    assert channel_of("Account") == "/data/AccountChangeEvent"
    assert channel_of("Invoice__c") == "/data/Invoice__ChangeEvent"
    channels = Channels.of(SCHEMA)
    assert channels.entity(ALL_CHANGES) is None
    assert channels.entity("/data/ContactChangeEvent") == "Contact"
    assert not channels.exists("/data/contactchangeevent")
    assert not channels.exists("/data/Nope__ChangeEvent")
