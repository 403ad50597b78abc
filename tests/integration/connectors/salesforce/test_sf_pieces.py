"""The connector's pure pieces: values, Bulk CSV and results, families, retries."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests
from urllib3.exceptions import NewConnectionError, ProtocolError

from lockstep.connectors.base import not_done
from lockstep.connectors.salesforce.bulk_pace import pace
from lockstep.connectors.salesforce.bulk_results import Matcher, map_results, split_error
from lockstep.connectors.salesforce.bulk_table import table
from lockstep.connectors.salesforce.failures import may_have_reached
from lockstep.connectors.salesforce.records import groups_of
from lockstep.connectors.salesforce.retry import RetryPolicy
from lockstep.connectors.salesforce.session import family_of, usage_of
from lockstep.connectors.salesforce.values import from_wire, to_csv, to_json
from lockstep.core.ops import Delete, Op, RecordError, Upsert
from lockstep.errors import AuthFailed, QuotaShed, RateLimited, Unreachable


def test_wire_values_to_python() -> None:
    assert from_wire(Decimal("1.50"), "decimal") == Decimal("1.5")
    assert from_wire(3, "decimal") == Decimal(3)
    assert from_wire("2024-05-01", "date") == date(2024, 5, 1)
    moment = from_wire("2024-05-01T12:00:00.250+0200", "datetime")
    assert moment == datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert moment.tzinfo == UTC
    assert from_wire(None, "date") is None


def test_python_values_to_csv_and_json() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert to_csv(None) == "#N/A"
    assert (to_csv(True), to_csv(False)) == ("true", "false")
    assert to_csv(Decimal("1E+2")) == "100"
    assert to_csv(date(2024, 5, 1)) == "2024-05-01"
    assert to_csv(datetime(2024, 5, 1, 12, tzinfo=plus_two)) == "2024-05-01T10:00:00.000Z"
    assert to_json(Decimal("2.50")) == 2.5
    assert to_json(Decimal("7")) == 7
    assert to_json(datetime(2024, 5, 1, 10)) == "2024-05-01T10:00:00.000Z"


def test_bulk_table_columns() -> None:
    ops: list[Op] = [
        Upsert({"Name": "a", "Amount__c": None}, native_id="a01"),
        Upsert({"Id": "ignored", "Active__c": True}, native_id="a02"),
    ]
    update = table("update", None, ops)
    assert update.columns == ("Id", "Name", "Amount__c", "Active__c")
    assert list(update.rows()) == [["a01", "a", "#N/A", ""], ["a02", "", "", "true"]]
    assert update.csv_bytes() == b"Id,Name,Amount__c,Active__c\na01,a,#N/A,\na02,,,true\n"
    assert (update.key, update.key_of(1)) == (0, "a02")
    delete = table("delete", None, [Delete("a03")])
    assert (delete.columns, list(delete.rows()), delete.key) == (("Id",), [["a03"]], 0)
    upsert = table("upsert", "Ext__c", [Upsert({"Name": "n", "Ext__c": 7}, match_on="Ext__c")])
    assert (upsert.columns, list(upsert.rows())) == (("Ext__c", "Name"), [["7", "n"]])
    assert (upsert.key, upsert.key_of(0)) == (0, "7")
    insert = table("insert", None, [Upsert({"Name": 'say "hi",\nbye', "Id": "x"})])
    assert (insert.columns, insert.key) == (("Name",), None)
    assert insert.csv_bytes() == b'Name\n"say ""hi"",\nbye"\n'


BULK_ERRORS = [
    (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION:Amount must not be negative:Amount__c --",
        ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Amount must not be negative", ("Amount__c",)),
    ),
    (
        "DUPLICATE_VALUE:duplicate value found: Ext__c has a:Ext__c,Name --",
        ("DUPLICATE_VALUE", "duplicate value found: Ext__c has a", ("Ext__c", "Name")),
    ),
    (
        "REQUIRED_FIELD_MISSING:Required fields are missing:--",
        ("REQUIRED_FIELD_MISSING", "Required fields are missing", ()),
    ),
    ("ENTITY_IS_DELETED:entity is deleted", ("ENTITY_IS_DELETED", "entity is deleted", ())),
    ("garbled", ("UNKNOWN_EXCEPTION", "garbled", ())),
]


@pytest.mark.parametrize(("text", "error"), BULK_ERRORS)
def test_bulk_errors_split(text: str, error: tuple[str, str, tuple[str, ...]]) -> None:
    assert split_error(text) == RecordError(*error)


def test_bulk_rows_match_by_key() -> None:
    ops: list[Op] = [
        Upsert({"Name": "x"}, native_id="a01"),
        Upsert({"Name": "y"}, native_id="a02"),
        Upsert({"Name": "z"}, native_id="a03"),
    ]
    successes = b"sf__Id,sf__Created,Id,Name\na03,false,a03,z\na02,false,a02,Y\n"
    failures = b"sf__Id,sf__Error,Id,Name\na01,ENTITY_IS_DELETED:gone:--,a01,x\n"
    found = map_results(Matcher(table("update", None, ops)), "750x", successes, failures)
    assert found[0] is not None and found[0].error == RecordError("ENTITY_IS_DELETED", "gone")
    assert found[1] is not None and found[1].ok  # "Y" echoed for "y": matched by its Id
    assert found[2] is not None and found[2].ok and found[2].job_id == "750x"


def test_bulk_rows_sharing_a_key_match_by_content_then_in_turn() -> None:
    ops: list[Op] = [
        Upsert({"Ext__c": "K", "Name": "first"}, match_on="Ext__c"),
        Upsert({"Ext__c": "K", "Name": "second"}, match_on="Ext__c"),
        Upsert({"Ext__c": "K", "Name": "third"}, match_on="Ext__c"),
    ]
    successes = b'"sf__Id","sf__Created","Ext__c","Name"\n"a01","true","K","first"\n'
    failures = (
        b'"sf__Id","sf__Error","Ext__c","Name"\n'
        b'"","DUPLICATE_VALUE:third:Ext__c --","K","third"\n'
        b'"","DUPLICATE_VALUE:second:Ext__c --","K","SECOND"\n'
    )
    found = map_results(Matcher(table("upsert", "Ext__c", ops)), "750x", successes, failures)
    assert [r.ok if r else None for r in found] == [True, False, False]
    assert found[0] is not None and found[0].created and found[0].native_id == "a01"
    # "third" by its content, then "SECOND" (echoed differently) in turn
    assert [r.error.message if r and r.error else None for r in found] == [None, "second", "third"]
    assert found[2] is not None and found[2].error is not None
    assert found[2].error.fields == ("Ext__c",)


def test_bulk_inserts_match_by_content() -> None:
    ops: list[Op] = [Upsert({"Name": "a", "Note__c": "1"}), Upsert({"Name": "b"})]
    ops += [Upsert({"Name": "a", "Note__c": "1"}), Upsert({"Name": "lost"})]
    # columns reordered, an unknown one added, a row echoed differently
    successes = (
        b"sf__Created,sf__Id,Extra,Note__c,Name\n"
        b"true,a02,?,,b\ntrue,a01,?,1,a\ntrue,a03,?,1,a\ntrue,a09,?,,LOST\ntrue,a00,?,1,a\n"
    )
    found = map_results(Matcher(table("insert", None, ops)), "750x", successes, b"")
    assert [r.native_id if r else None for r in found] == ["a01", "a02", "a03", None]


def test_a_bulk_job_is_polled_about_when_it_should_end() -> None:
    # 100,000 rows at 10,000 rows/s: 10 s of work, 0.5 s in the queue
    schedule = pace(100_000, 0.5)
    assert schedule.wait == 0.5
    schedule = schedule.after({"numberRecordsProcessed": 0}, 0.5)
    assert schedule.wait == 0.75  # nothing to go by: the wait grows
    schedule = schedule.after({"numberRecordsProcessed": 7500, "totalProcessingTime": 750}, 1.25)
    assert schedule.wait == pytest.approx(9.25 * 1.15)  # rate 10,000/s from processing time
    schedule = schedule.after({"numberRecordsProcessed": 99_000}, 11.0)
    assert schedule.wait == 0.5  # never under bulk_poll_seconds
    assert pace(10**9, 0.5).after({"numberRecordsProcessed": 1}, 1.0).wait == 30.0


def test_grouping_keeps_input_places() -> None:
    ops: list[Op] = [
        Upsert({"Name": "a"}),
        Delete("a01"),
        Upsert({"Name": "b"}, match_on="Ext__c"),
        Upsert({"Name": "c"}),
        Upsert({"Name": "d"}, match_on="Other__c"),
        Upsert({"Name": "e"}, native_id="a02", match_on="Ext__c"),
    ]
    groups = [(g.action, g.match_on, g.indices) for g in groups_of(ops)]
    assert groups == [
        ("insert", None, (0, 3)),
        ("delete", None, (1,)),
        ("upsert", "Ext__c", (2,)),
        ("upsert", "Other__c", (4,)),
        ("update", None, (5,)),
    ]


def test_call_families_and_usage() -> None:
    base = "https://org.my.salesforce.com"
    assert family_of(f"{base}/services/oauth2/token") == "auth"
    assert family_of(f"{base}/services/data/v62.0/query?q=x") == "rest"
    assert family_of(f"{base}/services/data/v62.0/composite/sobjects") == "composite"
    assert family_of(f"{base}/services/data/v62.0/jobs/ingest/750x/batches") == "bulk2"
    assert family_of(f"{base}/services/async/62.0/job") == "bulk1"
    assert usage_of("api-usage=18/5000") == (18, 5000)
    assert usage_of("api-usage=25/5000; per-app-api-usage=17/250(appName=x)") == (25, 5000)
    assert usage_of(None) is None


def test_failure_codes() -> None:
    assert not_done(Unreachable("crm", "x")).code == "UNREACHABLE"
    assert not_done(RateLimited("crm", "x")).code == "RATE_LIMITED"
    assert not_done(AuthFailed("crm", "x")).code == "AUTH_FAILED"


def test_full_jitter_backoff() -> None:
    policy = RetryPolicy(attempts=4, base_delay=1.0, max_delay=3.0, rng=random.Random(7))
    down = Unreachable("crm", "down")
    waits = [policy.delay(n, down) for n in range(4)]
    assert waits[3] is None
    for n, wait in enumerate(waits[:3]):
        assert wait is not None and 0.0 <= wait <= min(3.0, 2.0**n)
    assert policy.delay(0, AuthFailed("crm", "no")) is None
    assert policy.delay(0, QuotaShed("crm", "stop")) is None
    assert policy.delay(0, RateLimited("crm", "later", retry_after=60)) is None
    later = policy.delay(0, RateLimited("crm", "soon", retry_after=2))
    assert later is not None and later >= 2


def test_whether_a_request_may_have_reached_the_server() -> None:
    refused = requests.ConnectionError(
        type("R", (), {"reason": NewConnectionError(None, "refused")})()  # type: ignore[arg-type]
    )
    assert not may_have_reached(refused)
    assert not may_have_reached(requests.ConnectTimeout())
    assert may_have_reached(requests.ReadTimeout())
    assert may_have_reached(requests.ConnectionError(ProtocolError("Connection aborted.")))
