"""describe, snapshot and changes (SystemModstamp polling) against the emulator."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lockstep_emulator.admin_client import AdminClient
from sf_helpers import WIDGET, route_calls

from lockstep.connectors.base import CaptureSpec
from lockstep.connectors.salesforce import CaptureUnsupported, SalesforceConnector
from lockstep.connectors.salesforce.describe import kind_of
from lockstep.core.ops import Delete, Upsert
from lockstep.errors import SchemaError, Terminal

POLL = CaptureSpec("poll", "SystemModstamp")


def seed(admin: AdminClient, n: int, **values: object) -> list[str]:
    rows = [{"Name": f"w{i:05d}", "Amount__c": i, **values} for i in range(n)]
    return list(admin.seed({WIDGET: rows})["ids"][WIDGET])


def test_describe_kinds_key_and_external_id(sf: SalesforceConnector) -> None:
    shape = sf.describe(WIDGET)
    kinds = {name: f.kind for name, f in shape.fields.items()}
    assert kinds["Id"] == "id"
    assert kinds["OwnerId"] == "id"
    assert kinds["Name"] == "string"
    assert kinds["Amount__c"] == "decimal"
    assert kinds["Active__c"] == "boolean"
    assert kinds["Due__c"] == "date"
    assert kinds["Seen_At__c"] == "datetime"
    assert kinds["Category__c"] == "string"
    assert shape.key is not None and shape.key.name == "Id"
    ext = shape.fields["Ext__c"]
    assert ext.external_id and ext.length == 40 and ext.nullable
    assert shape.fields["Category__c"].picklist == ("red", "green", "blue")
    assert shape.fields["OwnerId"].references == ("User",)
    assert not shape.fields["CreatedDate"].createable


def test_textarea_kind_depends_on_length() -> None:
    assert kind_of("textarea", 255) == "string"
    assert kind_of("textarea", 32768) == "text"
    assert kind_of("currency", None) == "decimal"
    assert kind_of("address", None) is None


def test_unknown_object_is_schema_error(sf: SalesforceConnector) -> None:
    with pytest.raises(SchemaError, match="NOT_FOUND"):
        sf.describe("Nope__c")


def test_unknown_field_in_snapshot_is_schema_error(sf: SalesforceConnector) -> None:
    with pytest.raises(SchemaError, match="INVALID_FIELD"):
        list(sf.snapshot(WIDGET, ["Nope__c"]))


def test_snapshot_values_are_python_values(sf: SalesforceConnector) -> None:
    seen = datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    values = {
        "Name": "one",
        "Amount__c": Decimal("12.34"),
        "Active__c": True,
        "Due__c": date(2024, 5, 2),
        "Seen_At__c": seen,
        "Ext__c": "X-1",
        "Category__c": "red",
    }
    [done] = sf.apply(WIDGET, [Upsert(values)])
    assert done.ok
    [page] = list(sf.snapshot(WIDGET, list(values)))
    assert page == [{"Id": done.native_id, **values}]
    row = page[0]
    assert isinstance(row["Amount__c"], Decimal)
    assert row["Seen_At__c"].tzinfo is not None


def test_snapshot_pages_stream_with_the_batch_size(
    sf: SalesforceConnector, admin: AdminClient
) -> None:
    seed(admin, 450)
    pages = sf.snapshot(WIDGET, ["Name"], page_size=200)
    first = next(iter(pages))
    assert len(first) == 200
    assert sf.calls.by_family["rest"] == 2  # describe and the first page, nothing more yet
    rest = [len(page) for page in pages]
    assert rest == [200, 50]
    assert sf.calls.by_family["rest"] == 4


def test_snapshot_page_size_is_clamped_and_filtered(
    sf: SalesforceConnector, admin: AdminClient
) -> None:
    seed(admin, 450)
    sizes = [
        len(page) for page in sf.snapshot(WIDGET, ["Name"], where="Amount__c >= 100", page_size=5)
    ]
    assert sizes == [200, 150]


def test_changes_from_the_start_then_after_the_cursor(sf: SalesforceConnector) -> None:
    created = sf.apply(WIDGET, [Upsert({"Name": f"c{i}", "Amount__c": i}) for i in range(5)])
    first = sf.changes(WIDGET, ["Name"], None, POLL, limit=3)
    assert [c.kind for c in first.changes] == ["upsert"] * 3
    assert first.more and first.cursor is not None
    second = sf.changes(WIDGET, ["Name"], first.cursor, POLL, limit=3)
    assert len(second.changes) == 2 and not second.more
    ids = [c.native_id for c in (*first.changes, *second.changes)]
    assert sorted(ids) == sorted(r.native_id for r in created)
    values = first.changes[0].values
    assert values is not None and set(values) == {"Id", "Name"}

    sf.apply(WIDGET, [Delete(str(created[0].native_id))])
    third = sf.changes(WIDGET, ["Name"], second.cursor, POLL)
    [gone] = third.changes
    assert (gone.kind, gone.native_id, gone.values) == ("delete", created[0].native_id, None)
    assert not third.more
    quiet = sf.changes(WIDGET, ["Name"], third.cursor, POLL)
    assert quiet.changes == () and quiet.cursor == third.cursor


def test_changes_page_through_records_sharing_a_modstamp(
    sf: SalesforceConnector, admin: AdminClient
) -> None:
    ids = seed(admin, 230)  # one seed, one transaction: few distinct modstamps
    seen: list[str] = []
    cursor = None
    while True:
        batch = sf.changes(WIDGET, ["Name"], cursor, POLL, limit=50)
        seen.extend(c.native_id for c in batch.changes)
        cursor = batch.cursor
        if not batch.more:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_lookback_reads_again_behind_the_cursor(sf: SalesforceConnector) -> None:
    sf.apply(WIDGET, [Upsert({"Name": "a"}), Upsert({"Name": "b"})])
    caught_up = sf.changes(WIDGET, ["Name"], None, POLL)
    assert len(caught_up.changes) == 2
    lookback = CaptureSpec("poll", "SystemModstamp", lookback_seconds=3600)
    again = sf.changes(WIDGET, ["Name"], caught_up.cursor, lookback)
    assert {c.native_id for c in again.changes} == {c.native_id for c in caught_up.changes}
    assert again.cursor == caught_up.cursor


def test_lookback_cannot_stall_a_full_window(sf: SalesforceConnector, admin: AdminClient) -> None:
    seed(admin, 6)
    lookback = CaptureSpec("poll", "SystemModstamp", lookback_seconds=3600)
    first = sf.changes(WIDGET, ["Name"], None, lookback, limit=4)
    assert first.more
    second = sf.changes(WIDGET, ["Name"], first.cursor, lookback, limit=4)
    assert len(second.changes) == 2 and not second.more  # drained without the lookback
    third = sf.changes(WIDGET, ["Name"], second.cursor, lookback, limit=4)
    assert len(third.changes) == 4 and third.more  # caught up: the window is read again
    fourth = sf.changes(WIDGET, ["Name"], third.cursor, lookback, limit=4)
    assert fourth.changes == () and not fourth.more


def test_changes_use_query_all(sf: SalesforceConnector, admin: AdminClient) -> None:
    before = admin.stats()
    sf.changes(WIDGET, ["Name"], None, POLL)
    after = admin.stats()
    assert route_calls(after, "GET", "/queryAll") - route_calls(before, "GET", "/queryAll") == 1


def test_cdc_capture_is_refused_clearly(sf: SalesforceConnector) -> None:
    with pytest.raises(CaptureUnsupported, match="'cdc' is not supported"):
        sf.install_capture(WIDGET, CaptureSpec("cdc"))
    with pytest.raises(CaptureUnsupported):
        sf.changes(WIDGET, ["Name"], None, CaptureSpec("cdc"))
    sf.install_capture(WIDGET, POLL)
    sf.remove_capture(WIDGET)
    assert sf.calls.total == 0


def test_a_foreign_cursor_is_refused(sf: SalesforceConnector) -> None:
    with pytest.raises(Terminal, match="not a Salesforce poll cursor"):
        sf.changes(WIDGET, ["Name"], "42", POLL)
