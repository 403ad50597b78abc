"""A Bulk query job that does not complete, or whose results come short, raises: what a
REST call failing the same way would, never a short read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from lockstep.connectors.salesforce import bulk_query
from lockstep.connectors.salesforce.bulk_query import (
    Page,
    QueryJob,
    csv_width,
    job_failure,
    page_rows,
)
from lockstep.core.shapes import FieldShape, ObjectShape
from lockstep.errors import SchemaError, Terminal, Transient, Unreachable

SHAPE = ObjectShape(
    "Widget__c",
    {
        "Id": FieldShape("Id", "id", "id", key=True),
        "Amount__c": FieldShape("Amount__c", "decimal", "double"),
        "Active__c": FieldShape("Active__c", "boolean", "boolean"),
    },
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Reply:
    content: bytes
    headers: dict[str, str]


@dataclass
class ScriptedOrg:
    """Answers a query job's polls with ``states`` (the last one for ever) and its
    results with ``pages``; records the calls made."""

    states: list[dict[str, Any]]
    pages: list[Reply] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    system: str = "org"

    def rest(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        self.calls.append((method, path))
        if method == "GET":
            return self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"id": "J"}

    def raw(self, method: str, path: str) -> Reply:
        self.calls.append((method, path))
        return self.pages.pop(0)


def job(org: ScriptedOrg, timeout: float = 10.0, page_records: int = 2) -> QueryJob:
    clock = Clock()
    return QueryJob(
        org,  # type: ignore[arg-type]
        poll_seconds=0.5,
        timeout_seconds=timeout,
        page_records=page_records,
        sleep=clock.sleep,
        clock=clock,
    )


def test_an_aborted_job_is_transient() -> None:
    org = ScriptedOrg([{"state": "InProgress"}, {"state": "Aborted"}])
    with pytest.raises(Transient, match="J was aborted"):
        job(org).wait("J", 10)


def test_a_job_running_past_the_timeout_is_aborted_and_unreachable() -> None:
    org = ScriptedOrg([{"state": "InProgress", "numberRecordsProcessed": 0}])
    with pytest.raises(Unreachable, match="did not end in 3 s"):
        job(org, timeout=3).wait("J", 10)
    assert org.calls[-1] == ("PATCH", "jobs/query/J")


@pytest.mark.parametrize(
    ("message", "raised"),
    [
        ("INVALID_FIELD : No such column 'Nope__c'", SchemaError),
        ("QUERY_TIMEOUT : Your query request was running for too long.", Terminal),
        ("InternalServerError : An unexpected error occurred.", Unreachable),
        ("something broke", Unreachable),
    ],
)
def test_a_failed_job_raises_as_rest_would(message: str, raised: type[Exception]) -> None:
    failure = job_failure("org", "J", {"state": "Failed", "errorMessage": message})
    assert type(failure) is raised
    assert message in failure.message


def test_results_are_paged_by_locator_and_counted() -> None:
    header = b'"Id","Amount__c","Active__c"\n'
    first = {"Sforce-NumberOfRecords": "2", "Sforce-Locator": "Mg"}
    last = {"Sforce-NumberOfRecords": "1", "Sforce-Locator": "null"}
    pages = [
        Reply(header + b'"a1","1.5","true"\n"a2","",""\n', first),
        Reply(header + b'"a3","2","false"\n', last),
    ]
    org = ScriptedOrg([{}], pages)
    found = [row for rows in job(org).rows("J", 3, SHAPE, 10, 20.0) for row in rows]
    assert [r["Id"] for r in found] == ["a1", "a2", "a3"]
    assert found[1] == {"Id": "a2", "Amount__c": None, "Active__c": None}
    assert found[2]["Active__c"] is False
    assert [path for _, path in org.calls] == [
        "jobs/query/J/results?maxRecords=2",
        "jobs/query/J/results?maxRecords=2&locator=Mg",
    ]


def test_a_page_of_wide_rows_holds_fewer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_query, "PAGE_BYTES", 1000)
    wide = b'"Id","Amount__c"\n' + b'"' + b"a" * 96 + b'","1"\n'  # 120 bytes a row
    pages = [
        Reply(wide, {"Sforce-NumberOfRecords": "1", "Sforce-Locator": "MQ"}),
        Reply(wide, {"Sforce-NumberOfRecords": "1", "Sforce-Locator": "null"}),
    ]
    org = ScriptedOrg([{}], pages)
    assert (
        len([r for rows in job(org, page_records=500).rows("J", 2, SHAPE, 10, 20.0) for r in rows])
        == 2
    )
    assert [path.split("?")[1] for _, path in org.calls] == [
        "maxRecords=50",  # 1,000 bytes of rows guessed at 20
        "maxRecords=8&locator=MQ",  # of rows seen at 120
    ]
    assert csv_width([{"Id": "a1", "Amount__c": None}]) == 8


def test_results_short_of_the_jobs_count_raise() -> None:
    page = Reply(b'"Id"\n"a1"\n', {"Sforce-NumberOfRecords": "1", "Sforce-Locator": "null"})
    with pytest.raises(Unreachable, match="processed 2 rows; its results held 1"):
        list(job(ScriptedOrg([{}], [page])).rows("J", 2, SHAPE, 10, 20.0))


def test_a_page_short_of_its_count_or_a_cell_raises() -> None:
    with pytest.raises(Unreachable, match="held 1 of its 2 rows"):
        list(page_rows(Page(b'"Id"\n"a1"\n', 2), SHAPE, 10, "org"))
    with pytest.raises(Unreachable, match="has 1 cells, not 2"):
        list(page_rows(Page(b'"Id","Amount__c"\n"a1"\n', None), SHAPE, 10, "org"))
