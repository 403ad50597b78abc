"""``lockstep plan`` reports what migrate would do and writes nothing to any system."""

from __future__ import annotations

from collections import Counter

from migrate_helpers import Workspace, org_calls

from tests.support.looks import count, data_writes


def test_plan_writes_nothing_and_reports_what_migrate_would_do(ws: Workspace) -> None:
    companies, individuals = ws.rows("company"), ws.rows("individual")
    tables = ws.tables()

    ws.admin.reset_stats()
    result = ws.cli("plan")
    stats = ws.admin.stats()

    assert result.code == 0
    assert data_writes(stats) == {}
    assert count(ws.sf, "Account") == 0
    assert count(ws.sf, "Contact") == 0
    assert ws.tables() == tables  # no change table, no trigger: capture is sync's business
    assert ws.rows("company") == companies
    assert ws.rows("individual") == individuals
    for row in companies.values():
        assert (row["sf_account_id"], row["global_id"], row["sync_status"]) == (None, None, None)
    for row in individuals.values():
        assert (row["sf_contact_id"], row["sync_status"]) == (None, None)
    assert ws.table_count("ls_xrefs") == 0  # nothing linked either

    assert result.reports is not None
    assert {p.name for p in result.reports.iterdir()} >= {"diff.csv", "summary.json"}
    summary = result.summary
    assert summary is not None
    assert (summary["mode"], summary["status"]) == ("plan", "done")
    # 60 companies: 7 and 8 look the same, so neither is created; the rest would be.
    assert result.counts("company")["created"] == 58
    assert result.counts("company")["duplicates"] == 2
    # 200 individuals: 21 and 22 share an e-mail; the 8 employees of 7 and 8 would
    # miss their employer; the other 190 would be created.
    assert result.counts("individual")["created"] == 190
    assert result.counts("individual")["duplicates"] == 2
    assert result.counts("individual")["failed"] == 8
    assert summary["deferred"] == 5  # the parents of companies 20, 30, 40, 50, 60

    planned = Counter((r["entity"], r["action"]) for r in result.csv("diff.csv"))
    assert planned[("company", "create")] == 58
    assert planned[("individual", "create")] == 190
    assert planned[("individual", "missing_parent")] == 8

    calls = summary["api_calls"]
    assert set(calls) == {"ams", "crm"}
    assert calls["crm"] > 0 and calls["ams"] > 0
    assert calls["crm"] == org_calls(stats)  # every call the run made, its check's too
