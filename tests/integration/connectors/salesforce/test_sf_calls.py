"""API calls: the minimum for each path, counted the same by the connector and the
org, and shedding at ``shed_at`` of the daily allocation."""

from __future__ import annotations

import pytest
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import start_emulator
from sf_helpers import WIDGET, MakeConnector, family_calls, route_calls, sf_config

from lockstep.connectors.salesforce import SalesforceConnector
from lockstep.core.ops import Op, Upsert
from lockstep.errors import QuotaShed
from tests.support.widgets import WIDGET_ORG

N = 10_000


def inserts(n: int) -> list[Op]:
    return [Upsert({"Name": f"w{i}", "Ext__c": f"E{i}"}) for i in range(n)]


def test_10k_inserts_through_collections_take_50_calls(
    make: MakeConnector, admin: AdminClient
) -> None:
    sf = make(bulk_threshold=N + 1)
    before = admin.stats()
    results = sf.apply(WIDGET, inserts(N))
    after = admin.stats()
    assert all(r.ok and r.created for r in results)
    assert sf.calls.total == 50
    assert sf.calls.by_family == {"auth": 1, "composite": 50}
    assert family_calls(before, after, "composite") == 50
    assert family_calls(before, after, "rest") == family_calls(before, after, "bulk2") == 0


def test_10k_inserts_through_bulk_take_one_jobs_calls(
    make: MakeConnector, admin: AdminClient
) -> None:
    sf = make(bulk_threshold=2000, bulk_poll_seconds=0.2)
    ops = inserts(N)
    ops[N // 2] = Upsert({"Name": "dup", "Ext__c": "E0"})  # a duplicate external id fails
    before = admin.stats()
    results = sf.apply(WIDGET, ops)
    after = admin.stats()
    assert [i for i, r in enumerate(results) if not r.ok] == [N // 2]
    assert results[N // 2].error is not None
    assert results[N // 2].error.code == "DUPLICATE_VALUE"
    assert len({r.job_id for r in results}) == 1

    polls = route_calls(after, "GET", "/jobs/ingest/{id}") - route_calls(
        before, "GET", "/jobs/ingest/{id}"
    )
    assert polls >= 1
    # create, upload, close, the polls, successfulResults, failedResults
    assert sf.calls.by_family == {"auth": 1, "bulk2": 5 + polls}
    assert family_calls(before, after, "bulk2") == 5 + polls
    assert family_calls(before, after, "composite") == 0


def test_a_20k_row_bulk_job_is_polled_at_most_3_times(
    make: MakeConnector, admin: AdminClient
) -> None:
    sf = make(bulk_threshold=2000)  # polls from bulk_poll_seconds = 0.5
    before = admin.stats()
    results = sf.apply(WIDGET, inserts(20_000))
    after = admin.stats()
    assert all(r.ok and r.created for r in results)
    polls = route_calls(after, "GET", "/jobs/ingest/{id}") - route_calls(
        before, "GET", "/jobs/ingest/{id}"
    )
    assert 1 <= polls <= 3
    # create, upload, close, the polls, successfulResults
    assert sf.calls.by_family == {"auth": 1, "bulk2": 4 + polls}


def test_shedding_at_shed_at() -> None:
    with start_emulator("--schema", str(WIDGET_ORG.schema), "--daily-api-limit", "10") as org:
        sf = SalesforceConnector("crm", sf_config(org.info, shed_at=0.5))
        try:
            sf.check()
            while sf.calls.used is not None and sf.calls.used < 5:
                sf.describe(WIDGET)
            with pytest.raises(QuotaShed, match=r"5 of 10 daily API calls used \(50%\)"):
                sf.describe(WIDGET)
            with pytest.raises(QuotaShed):
                sf.apply(WIDGET, inserts(1))
            with pytest.raises(QuotaShed):
                next(iter(sf.snapshot(WIDGET, ["Name"])))
            assert sf.calls.total == 5
        finally:
            sf.close()
