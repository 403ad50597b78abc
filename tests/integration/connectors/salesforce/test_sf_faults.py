"""Failures of whole calls: retried when that is safe, classified when they persist."""

from __future__ import annotations

import pytest
from lockstep_emulator.admin_client import AdminClient
from sf_helpers import WIDGET, MakeConnector, family_calls, route_calls

from lockstep.connectors.salesforce import SalesforceConnector
from lockstep.core.ops import Op, Upsert
from lockstep.errors import RateLimited, Unreachable

COLLECTIONS = {"path": "/composite/sobjects$"}


def count(sf: SalesforceConnector) -> int:
    return sum(len(page) for page in sf.snapshot(WIDGET, ["Name"]))


def test_a_503_on_the_first_collections_call_is_retried(
    sf: SalesforceConnector, admin: AdminClient
) -> None:
    unavailable = {"kind": "http_error", "status": 503, "error_code": "SERVER_UNAVAILABLE"}
    admin.set_faults([{**unavailable, "count": 1, "match": COLLECTIONS}])
    results = sf.apply(WIDGET, [Upsert({"Name": f"n{i}"}) for i in range(3)])
    assert all(r.ok for r in results)
    assert sf.calls.by_family["composite"] == 2
    assert count(sf) == 3  # the refused call wrote nothing, the retry wrote once


def test_a_persistent_500_is_unreachable(make: MakeConnector, admin: AdminClient) -> None:
    sf = make(attempts=3)
    admin.set_faults([{"kind": "http_error", "status": 500, "match": COLLECTIONS}])
    with pytest.raises(Unreachable, match="UNKNOWN_EXCEPTION"):
        sf.apply(WIDGET, [Upsert({"Name": "n"})])
    assert sf.calls.by_family["composite"] == 3


def test_a_failure_after_some_writes_is_reported_per_record(
    make: MakeConnector, admin: AdminClient
) -> None:
    sf = make(batch_size=2)
    admin.set_faults([{"kind": "http_error", "status": 500, "skip": 1, "match": COLLECTIONS}])
    results = sf.apply(WIDGET, [Upsert({"Name": f"n{i}"}) for i in range(5)])
    assert [r.ok for r in results] == [True, True, False, False, False]
    assert {r.error.code for r in results[2:] if r.error} == {"UNREACHABLE"}
    admin.clear_faults()
    assert count(sf) == 2


def test_an_insert_that_may_have_been_done_is_not_resent(
    sf: SalesforceConnector, admin: AdminClient
) -> None:
    admin.set_faults([{"kind": "drop_after_commit", "count": 1, "match": COLLECTIONS}])
    results = sf.apply(WIDGET, [Upsert({"Name": "once"}), Upsert({"Name": "only"})])
    assert [r.error.code for r in results if r.error] == ["OUTCOME_UNKNOWN"] * 2
    assert sf.calls.by_family.get("composite", 0) == 0  # no answer came back to count
    assert count(sf) == 2  # done once, not twice


def test_an_update_that_may_have_been_done_is_resent(
    sf: SalesforceConnector, admin: AdminClient
) -> None:
    [id_] = admin.seed({WIDGET: [{"Name": "before"}]})["ids"][WIDGET]
    before = admin.stats()
    admin.set_faults([{"kind": "drop_after_commit", "count": 1, "match": COLLECTIONS}])
    [result] = sf.apply(WIDGET, [Upsert({"Name": "after"}, native_id=id_)])
    assert result.ok and result.native_id == id_
    after = admin.stats()
    assert (
        route_calls(after, "PATCH", "/composite/sobjects")
        - route_calls(before, "PATCH", "/composite/sobjects")
        == 2
    )


def test_a_bulk_upload_failure_aborts_the_job(make: MakeConnector, admin: AdminClient) -> None:
    sf = make(bulk_threshold=2, bulk_poll_seconds=0.05, attempts=1)
    admin.set_faults([{"kind": "http_error", "status": 500, "match": {"path": "/batches$"}}])
    ops: list[Op] = [Upsert({"Name": f"n{i}"}) for i in range(3)]
    before = admin.stats()
    with pytest.raises(Unreachable):
        sf.apply(WIDGET, ops)
    after = admin.stats()
    patches = route_calls(after, "PATCH", "/jobs/ingest/{id}")
    assert patches - route_calls(before, "PATCH", "/jobs/ingest/{id}") == 1  # the abort
    admin.clear_faults()
    assert count(sf) == 0


def test_request_limit_exceeded_is_rate_limited(make: MakeConnector, admin: AdminClient) -> None:
    sf = make(attempts=2)
    admin.set_faults([{"kind": "request_limit_exceeded", "match": {"path": "/describe$"}}])
    with pytest.raises(RateLimited, match="REQUEST_LIMIT_EXCEEDED"):
        sf.describe(WIDGET)
    assert sf.calls.by_family["rest"] == 2


def test_a_timed_out_read_is_retried_then_unreachable(
    make: MakeConnector, admin: AdminClient
) -> None:
    sf = make(timeout_seconds=0.3, attempts=2)
    admin.set_faults([{"kind": "hang", "match": {"path": "/describe$"}}])
    before = admin.stats()
    with pytest.raises(Unreachable, match="ReadTimeout"):
        sf.describe(WIDGET)
    after = admin.stats()
    described = route_calls(after, "GET", "/describe") - route_calls(before, "GET", "/describe")
    assert described == 2


def test_a_timed_out_insert_is_not_resent(make: MakeConnector, admin: AdminClient) -> None:
    sf = make(timeout_seconds=0.3)
    admin.set_faults([{"kind": "hang", "match": COLLECTIONS}])
    before = admin.stats()
    [result] = sf.apply(WIDGET, [Upsert({"Name": "n"})])
    after = admin.stats()
    assert result.error is not None and result.error.code == "OUTCOME_UNKNOWN"
    assert family_calls(before, after, "composite") == 1


def test_a_bulk_job_whose_outcome_cannot_be_read(make: MakeConnector, admin: AdminClient) -> None:
    sf = make(bulk_threshold=2, bulk_poll_seconds=0.05, attempts=1)
    admin.set_faults(
        [{"kind": "http_error", "status": 500, "match": {"method": "GET", "path": "/ingest/\\w+$"}}]
    )
    results = sf.apply(WIDGET, [Upsert({"Name": f"n{i}"}) for i in range(3)])
    assert {r.error.code for r in results if r.error} == {"OUTCOME_UNKNOWN"}
    [job_id] = {r.job_id for r in results}
    assert job_id is not None and job_id in str(results[0].error)
