"""snapshot through a Bulk API 2.0 query job at and above ``bulk_query_threshold``:
the switch, the same rows as REST, filters, result pages, and failures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from lockstep_emulator.admin_client import AdminClient
from sf_helpers import WIDGET, MakeConnector, family_calls, route_calls

from lockstep.connectors.salesforce import SalesforceConnector
from lockstep.core.records import Row
from lockstep.errors import Terminal, Transient, Unreachable

FIELDS = [
    "Name",
    "Amount__c",
    "Active__c",
    "Due__c",
    "Seen_At__c",
    "Ext__c",
    "Category__c",
    "OwnerId",
    "IsDeleted",
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
]
QUERY_JOB = {"method": "POST", "path": "/jobs/query$"}
RESULTS = {"method": "GET", "path": "/jobs/query/\\w+/results$"}


def seed(admin: AdminClient, n: int) -> list[str]:
    rows = [{"Name": f"w{i:05d}", "Amount__c": i} for i in range(n)]
    return list(admin.seed({WIDGET: rows})["ids"][WIDGET])


def varied(i: int) -> dict[str, Any]:
    """A widget with every kind of field, each null in some records."""
    seen = datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC) + timedelta(hours=i)
    return {
        "Name": ["plain", 'quote " and, comma', "two\nlines", "ünïcode ✓"][i % 4] + f" {i}",
        "Amount__c": [None, 12.34, 5, -0.5 + 1, 1234567.89][i % 5],
        "Active__c": i % 3 == 0,
        "Due__c": None if i % 4 == 0 else (date(2024, 1, 1) + timedelta(days=i)).isoformat(),
        "Seen_At__c": None if i % 6 == 0 else seen.isoformat().replace("+00:00", "Z"),
        "Ext__c": None if i % 2 else f"X-{i}",
        "Category__c": [None, "red", "green", "blue"][i % 4],
    }


def rows(pages: Iterable[Sequence[Row]]) -> list[Row]:
    return [row for page in pages for row in page]


def typed(found: list[Row]) -> dict[str, dict[str, tuple[type, Any]]]:
    """Rows by Id, each value with its type (``True == 1``, ``Decimal(1) == 1``)."""
    return {row["Id"]: {k: (type(v), v) for k, v in row.items()} for row in found}


def bulk(make: MakeConnector, threshold: int = 1, **options: Any) -> SalesforceConnector:
    return make(bulk_query_threshold=threshold, bulk_poll_seconds=0.02, **options)


def test_below_the_threshold_the_read_stays_on_rest(
    make: MakeConnector, admin: AdminClient
) -> None:
    seed(admin, 299)
    sf = bulk(make, threshold=300)
    assert len(rows(sf.snapshot(WIDGET, ["Name"], page_size=200))) == 299
    assert sf.calls.by_family == {"auth": 1, "rest": 3}  # describe and two pages


def test_at_the_threshold_the_rest_comes_from_one_bulk_job(
    make: MakeConnector, admin: AdminClient
) -> None:
    ids = seed(admin, 300)
    sf = bulk(make, threshold=300)
    before = admin.stats()
    found = rows(sf.snapshot(WIDGET, ["Name", "Amount__c"], page_size=200))
    after = admin.stats()
    assert sorted(r["Id"] for r in found) == sorted(ids)  # each once: the first page left out
    assert sf.calls.by_family["rest"] == 2  # describe and the first page
    assert family_calls(before, after, "bulk2") == sf.calls.by_family["bulk2"]
    assert route_calls(after, "POST", "/jobs/query") - route_calls(before, "POST", "/jobs/query")
    assert route_calls(after, "GET", "/results") - route_calls(before, "GET", "/results") == 1
    polls = sf.calls.by_family["bulk2"] - 2
    assert 1 <= polls <= 3


def test_bulk_and_rest_give_the_same_rows(make: MakeConnector, admin: AdminClient) -> None:
    admin.seed({WIDGET: [varied(i) for i in range(250)]})
    by_rest = rows(make().snapshot(WIDGET, FIELDS, page_size=200))
    sf = bulk(make)
    by_bulk = rows(sf.snapshot(WIDGET, FIELDS, page_size=200))
    assert sf.calls.by_family["bulk2"] >= 3
    assert len(by_bulk) == len(by_rest) == 250
    assert typed(by_bulk) == typed(by_rest)
    values = {(k, v) for row in by_bulk for k, v in row.items() if k != "Id"}
    assert ("Amount__c", None) in values and ("Due__c", None) in values
    assert ("Active__c", False) in values and ("Category__c", None) in values
    assert ("Name", "two\nlines 2") in values and ("Amount__c", Decimal("12.34")) in values
    row = next(r for r in by_bulk if r["Name"] == 'quote " and, comma 5')
    assert row["Due__c"] == date(2024, 1, 6)
    assert row["Seen_At__c"] == datetime(2024, 5, 1, 15, 0, 0, 123000, tzinfo=UTC)


def test_a_filter_is_the_jobs_filter_too(make: MakeConnector, admin: AdminClient) -> None:
    seed(admin, 450)
    sf = bulk(make, threshold=100)
    found = rows(sf.snapshot(WIDGET, ["Amount__c"], where="Amount__c >= 100", page_size=200))
    assert sorted(r["Amount__c"] for r in found) == list(range(100, 450))
    assert sf.calls.by_family["bulk2"] >= 3


def test_results_come_page_by_page_as_the_caller_takes_them(
    make: MakeConnector, admin: AdminClient
) -> None:
    seed(admin, 450)
    sf = bulk(make, bulk_page_records=70)
    before = admin.stats()
    pages = iter(sf.snapshot(WIDGET, ["Name"], page_size=200))
    assert len(next(pages)) == 200  # the first page: REST, no job yet
    assert sf.calls.by_family.get("bulk2", 0) == 0
    assert 0 < len(next(pages)) <= 70  # a page of results at most
    now = admin.stats()
    assert route_calls(now, "GET", "/results") - route_calls(before, "GET", "/results") < 7
    rows(pages)
    after = admin.stats()
    assert route_calls(after, "GET", "/results") - route_calls(before, "GET", "/results") == 7


def test_every_record_once_across_many_pages(make: MakeConnector, admin: AdminClient) -> None:
    ids = seed(admin, 450)
    found = rows(bulk(make, bulk_page_records=70).snapshot(WIDGET, ["Name"], page_size=200))
    assert sorted(r["Id"] for r in found) == sorted(ids)


def test_a_failed_job_raises_as_rest_would(make: MakeConnector, admin: AdminClient) -> None:
    seed(admin, 250)
    sf = bulk(make, attempts=1)
    timeout = "QUERY_TIMEOUT : Your query request was running for too long."
    admin.set_faults([{"kind": "job_failed", "message": timeout, "match": QUERY_JOB}])
    with pytest.raises(Terminal, match="QUERY_TIMEOUT") as caught:
        rows(sf.snapshot(WIDGET, ["Name"], page_size=200))
    assert not isinstance(caught.value, Transient)
    admin.set_faults([{"kind": "job_failed", "match": QUERY_JOB}])  # an internal error
    with pytest.raises(Unreachable, match="InternalServerError"):
        rows(sf.snapshot(WIDGET, ["Name"], page_size=200))


def test_a_results_page_that_keeps_failing_raises(make: MakeConnector, admin: AdminClient) -> None:
    seed(admin, 450)
    sf = bulk(make, bulk_page_records=100, attempts=2)
    admin.set_faults([{"kind": "http_error", "status": 500, "skip": 2, "match": RESULTS}])
    taken: list[Row] = []
    with pytest.raises(Unreachable, match="UNKNOWN_EXCEPTION"):
        for page in sf.snapshot(WIDGET, ["Name"], page_size=200):
            taken.extend(page)
    assert len(taken) < 450


def test_a_results_page_failing_once_is_read_again(make: MakeConnector, admin: AdminClient) -> None:
    ids = seed(admin, 450)
    sf = bulk(make, bulk_page_records=100)
    admin.set_faults(
        [{"kind": "http_error", "status": 503, "count": 1, "skip": 1, "match": RESULTS}]
    )
    found = rows(sf.snapshot(WIDGET, ["Name"], page_size=200))
    assert sorted(r["Id"] for r in found) == sorted(ids)


def test_a_refused_job_leaves_the_read_on_rest(make: MakeConnector, admin: AdminClient) -> None:
    ids = seed(admin, 450)
    sf = bulk(make)
    refused = {"kind": "http_error", "status": 400, "error_code": "FEATURENOTENABLED"}
    admin.set_faults([{**refused, "match": QUERY_JOB}])
    found = rows(sf.snapshot(WIDGET, ["Name"], page_size=200))
    assert sorted(r["Id"] for r in found) == sorted(ids)
    assert sf.calls.by_family["rest"] == 4  # describe and three pages
    assert sf.calls.by_family["bulk2"] == 1  # the refused create


def test_relationship_fields_stay_on_rest(make: MakeConnector, admin: AdminClient) -> None:
    seed(admin, 250)
    sf = bulk(make)
    found = rows(sf.snapshot(WIDGET, ["Name", "Owner.Name"], page_size=200))
    assert len(found) == 250
    assert found[0]["Owner"]["Name"]  # nested, as REST gives it
    assert "bulk2" not in sf.calls.by_family
