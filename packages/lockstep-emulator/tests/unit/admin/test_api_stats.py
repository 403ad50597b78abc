"""Call counting: each path's family and route template, and a bounded route table."""

from __future__ import annotations

import pytest
from lockstep_emulator.api.stats import MAX_ROUTES, ApiStats, family_of, route_of

ID = "001AB0000000001IAA"
D = "/services/data/v59.0"
R = "/services/data/v{version}"


@pytest.mark.parametrize(
    ("path", "family", "route"),
    [
        (D + "/sobjects/Account/", "rest", R + "/sobjects/Account"),
        (f"{D}/sobjects/Account/{ID}", "rest", R + "/sobjects/Account/{id}"),
        (D + "/sobjects/Account/nonsense", "rest", R + "/sobjects/Account/{id}"),
        (D + "/sobjects/Account/Ext__c/a/b", "rest", R + "/sobjects/Account/Ext__c/{value}"),
        (D + "/sobjects/Account/describe", "rest", R + "/sobjects/Account/describe"),
        (D + "/query/01gAB0000000001-2000", "rest", R + "/query/{locator}"),
        ("/services/data", "rest", "/services/data"),
        (D + "/composite/sobjects/Case/X__c", "composite", R + "/composite/sobjects/Case/X__c"),
        (D + "/composite", "composite", R + "/composite"),
        (f"{D}/jobs/ingest/{ID}/batches", "bulk2", R + "/jobs/ingest/{id}/batches"),
        (f"/services/async/59.0/job/{ID}", "bulk1", "/services/async/{version}/job/{id}"),
        ("/cometd/59.0", "cometd", "/cometd/{version}"),
        ("/services/oauth2/token", "auth", "/services/oauth2/token"),
        ("/services/Soap/u/59.0", "auth", "/services/Soap/u/{version}"),
        (f"/id/{ID}/{ID}", "auth", "/id/{id}/{id}"),
        ("/_emulator/stats", "admin", "/_emulator/stats"),
        ("/favicon.ico", "other", "/favicon.ico"),
    ],
)  # fmt: skip
def test_each_path_has_a_family_and_a_route(path: str, family: str, route: str) -> None:
    assert family_of(path) == family
    assert route_of(path) == route


def test_calls_are_counted_by_family_and_route() -> None:
    stats = ApiStats()
    stats.count("GET", D + "/limits")
    stats.count("GET", "/services/data/v58.0/limits/")
    stats.count("POST", "/services/oauth2/token")
    shot = stats.snapshot()
    assert shot["total"] == 3
    assert shot["by_family"]["rest"] == 2 and shot["by_family"]["auth"] == 1
    assert shot["by_family"]["bulk2"] == 0  # every family is listed
    assert shot["by_route"] == {
        "GET /services/data/v{version}/limits": 2,
        "POST /services/oauth2/token": 1,
    }
    stats.reset()
    assert stats.snapshot()["total"] == 0


def test_the_route_table_is_bounded() -> None:
    stats = ApiStats()
    for i in range(MAX_ROUTES + 50):
        stats.count("GET", f"/random/{i}x")
    routes = stats.snapshot()["by_route"]
    assert len(routes) == MAX_ROUTES + 1 and routes["other"] == 50
