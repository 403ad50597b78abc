"""``lockstep relink`` fills the lookups migrate deferred, and only after a migrate."""

from __future__ import annotations

import pytest
from migrate_helpers import PARENT_OF, Workspace, by_external_id

from tests.support.looks import data_writes


def test_relink_is_refused_before_migrate_then_fills_parents_once(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = ws.cli("relink")

    assert refused.code == 2
    err = capsys.readouterr().err
    assert "relink refused" in err
    assert "for company;" in err  # the entity whose lookups wait (individuals have none)
    assert "lockstep migrate" in err
    assert refused.summary is None
    assert ws.table_count("ls_runs") == 0

    migrated = ws.cli("migrate")
    assert migrated.summary is not None and migrated.summary["deferred"] == len(PARENT_OF)
    accounts = by_external_id(ws.sf, "Account", ["ParentId"])
    assert all(accounts[child]["ParentId"] is None for child in PARENT_OF)

    ws.admin.advance_clock(advance_seconds=5)  # a write now would move SystemModstamp for sure
    relinked = ws.cli("relink")

    assert relinked.code == 0
    assert relinked.counts("company")["updated"] == len(PARENT_OF)
    assert relinked.counts()["failed"] == 0
    accounts = by_external_id(ws.sf, "Account", ["ParentId", "SystemModstamp"])
    for child, parent in PARENT_OF.items():
        assert accounts[child]["ParentId"] == accounts[parent]["Id"]
    others = set(accounts) - set(PARENT_OF)
    assert all(accounts[key]["ParentId"] is None for key in others)

    ws.admin.advance_clock(advance_seconds=5)
    ws.admin.reset_stats()
    again = ws.cli("relink")

    assert again.code == 0
    assert again.counts()["updated"] == 0
    assert again.counts("company")["unchanged"] == len(accounts)
    assert data_writes(ws.admin.stats()) == {}
    assert by_external_id(ws.sf, "Account", ["ParentId", "SystemModstamp"]) == accounts


@pytest.mark.parametrize("ams_url", ["sqlite"], indirect=True)
def test_relink_needs_only_the_entities_with_deferred_lookups_migrated(ws: Workspace) -> None:
    assert ws.cli("migrate", "--entity", "company").code == 1  # company 13 is refused

    relinked = ws.cli("relink")

    assert relinked.code == 0
    assert relinked.counts("company")["updated"] == len(PARENT_OF)
    accounts = by_external_id(ws.sf, "Account", ["ParentId"])
    for child, parent in PARENT_OF.items():
        assert accounts[child]["ParentId"] == accounts[parent]["Id"]
