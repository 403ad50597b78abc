"""Re-drive (issue 11): ``sync --once --retry-failed`` resends only the failed changes
that no later change of their record superseded, never revives a record deleted in its
owner, and a record's exceptions close when the record later syncs.

Seed 000's Case (``tests/support/case_world.py``): the external case table owns the
record, Salesforce is where Cases are entered, and ``subject`` is required.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce.api import Salesforce

from lockstep.control import read_status
from lockstep.ledger import Ledger
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.sync.run import Options, sync_once
from tests.support.case_world import (
    CASE_FIELDS,
    CASE_ORG,
    failed_items,
    open_exceptions,
    queue_states,
    start_cases,
)
from tests.support.emulators import OrgSpec
from tests.support.looks import soql
from tests.support.sync_world import WORKER, World


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return CASE_ORG


@pytest.fixture
def cases(tmp_path: Path, sqlite_url: str, org: EmulatorInfo, sf: Salesforce, admin: AdminClient) -> World:
    return start_cases(World(tmp_path, sqlite_url, org, sf, admin))


def the_case(world: World, case_id: str) -> dict[str, object]:
    (found,) = soql(world.sf, f"SELECT {CASE_FIELDS} FROM Case WHERE Id = '{case_id}'")
    return found


def retry_failed(world: World) -> Summary:
    options = Options(worker=WORKER, retry_failed=True)
    return sync_once(world.write_config(), options, progress=Progress())


def test_a_failure_repaired_by_a_later_change_is_never_resent(cases: World) -> None:
    """The issue's scenario: a Case entered without a Subject fails and says Failed;
    the user adds one; the next pass syncs it; ``--retry-failed`` then must not resend
    the first change (it failed again and flipped the Case back to Failed, with
    another open exception, at every re-drive)."""
    case_id = cases.sf.Case.create({"Description": "no subject yet"})["id"]
    failed = cases.sync()
    assert failed.counts.failed == 1, failed.as_dict()
    assert the_case(cases, case_id)["Sync_Status__c"] == "Failed"
    ((system, _, code),) = open_exceptions(cases)
    assert code == "INVALID"

    cases.sf.Case.update(case_id, {"Subject": "Printer on fire"})
    fixed = cases.sync()
    assert fixed.status == "done" and fixed.counts.failed == 0, fixed.as_dict()
    assert the_case(cases, case_id)["Sync_Status__c"] == "Success"
    (row,) = cases.rows("cases").values()
    assert (row["subject"], row["sf_id"]) == ("Printer on fire", case_id)
    # the record synced: its exception is closed by that pass, its failure set aside
    assert open_exceptions(cases) == []
    assert failed_items(cases) == []
    with Ledger.open(cases.ledger_url) as ledger:
        (closed,) = ledger.exceptions(unresolved_only=False)
    assert closed.resolved_at is not None and closed.resolved_by == fixed.run_id

    for _ in range(2):
        resent = retry_failed(cases)
        assert resent.status == "done" and resent.counts.failed == 0, resent.as_dict()
        assert "--retry-failed: 0 failed changes sent again" in resent.notes
        case = the_case(cases, case_id)
        assert (case["Subject"], case["Sync_Status__c"]) == ("Printer on fire", "Success")
        assert open_exceptions(cases) == []
    assert "failed" not in queue_states(cases) and "dead" not in queue_states(cases)
    status = read_status(cases.ledger_url, ("case",))
    assert status.open_exceptions == 0 and not status.needs_a_person


def test_retry_failed_never_revives_a_record_deleted_in_its_owner(cases: World) -> None:
    """A case the external system (the owner) has is refused by Salesforce for good
    (its subject is too long for a Case); the case is then deleted in the owner. The
    re-drive must not create the Case, and the failure no longer waits for a person."""
    cases.execute("INSERT INTO cases (id, subject) VALUES (1, :s)", {"s": "x" * 300})
    refused = cases.sync()
    assert refused.counts.failed == 1, refused.as_dict()
    assert cases.rows("cases")[1]["sync_status"] == "Failed"
    assert len(open_exceptions(cases)) == 1
    cases.execute("DELETE FROM cases WHERE id = 1")
    deleted = cases.sync()
    assert deleted.status == "done" and deleted.counts.failed == 0, deleted.as_dict()
    assert open_exceptions(cases) == [] and failed_items(cases) == []

    resent = retry_failed(cases)

    assert resent.status == "done" and resent.counts.failed == 0, resent.as_dict()
    assert soql(cases.sf, "SELECT Id FROM Case") == []
    assert cases.rows("cases") == {}
    assert open_exceptions(cases) == [] and failed_items(cases) == []


def test_retry_failed_resends_a_failure_nothing_superseded(cases: World) -> None:
    """A failure no later change repaired is resent, and when it passes now, its
    exception closes with the re-drive's run."""
    cases.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON cases WHEN NEW.subject = 'Refused' "
        "BEGIN SELECT RAISE(ABORT, 'the case system refuses it'); END"
    )
    case_id = cases.sf.Case.create({"Subject": "Refused"})["id"]
    refused = cases.sync()
    assert refused.counts.failed == 1, refused.as_dict()
    assert the_case(cases, case_id)["Sync_Status__c"] == "Failed"
    cases.execute("DROP TRIGGER refuse")  # what refused it is fixed; nothing is captured

    resent = retry_failed(cases)

    assert "--retry-failed: 1 failed changes sent again" in resent.notes
    assert resent.counts.failed == 0 and resent.counts.created == 1, resent.as_dict()
    assert the_case(cases, case_id)["Sync_Status__c"] == "Success"
    assert [r["subject"] for r in cases.rows("cases").values()] == ["Refused"]
    assert open_exceptions(cases) == [] and failed_items(cases) == []
    with Ledger.open(cases.ledger_url) as ledger:
        (closed,) = ledger.exceptions(unresolved_only=False)
    assert closed.resolved_by == resent.run_id
