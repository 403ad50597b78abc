"""Re-drive (issue 11): ``sync --once --retry-failed`` resends only the failed changes
that no later change of their record superseded, never revives a record deleted in its
owner, and a record's exceptions close when the record later syncs.

Seed 000's Case (``tests/support/case_world.py``): the external case table owns the
record, Salesforce is where Cases are entered, and ``subject`` is required.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce.api import Salesforce

from lockstep.control import read_status
from lockstep.ledger import Ledger
from lockstep.ledger.queue import DEFAULT_MAX_ATTEMPTS
from lockstep.ledger.tables import queue
from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
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
from tests.support.sync_world import DOWN, WORKER, World, down_after_connecting


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return CASE_ORG


@pytest.fixture
def cases(
    tmp_path: Path, sqlite_url: str, org: EmulatorInfo, sf: Salesforce, admin: AdminClient
) -> World:
    return start_cases(World(tmp_path, sqlite_url, org, sf, admin))


def the_case(world: World, case_id: str) -> dict[str, object]:
    (found,) = soql(world.sf, f"SELECT {CASE_FIELDS} FROM Case WHERE Id = '{case_id}'")
    return found


def go_down(world: World) -> Callable[[], None]:
    return lambda: world.admin.set_faults([DOWN])


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
    ((_, _, code),) = open_exceptions(cases)
    assert code == "INVALID"
    # the read-back of the "Failed" written into the Case is an echo, not a new failure
    echo = cases.sync()
    assert echo.counts.failed == 0 and echo.counts.unchanged == 1, echo.as_dict()
    assert len(open_exceptions(cases)) == 1 and len(failed_items(cases)) == 1

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


def test_a_change_out_of_attempts_waits_for_a_person_with_an_exception(cases: World) -> None:
    """A change that failed in a way that may pass once too often is ``dead``: it gets
    an exception row, as a refused one does, so ``status`` counts it."""
    app = cases.config["entities"]["case"]["bindings"]["app"]
    app.pop("write_back"), app.pop("global_id_field")  # no write-back, so no new change
    cases.execute("INSERT INTO cases (id, subject) VALUES (1, 'Down')")
    waiting = cases.sync(connect=down_after_connecting("crm", go_down(cases)))
    assert waiting.deferred == 1 and open_exceptions(cases) == [], waiting.as_dict()
    with Ledger.open(cases.ledger_url) as ledger, ledger.transaction() as conn:
        conn.execute(sa.update(queue).values(attempts=DEFAULT_MAX_ATTEMPTS - 1))
    cases.let_retries_come_due()

    gave_up = cases.sync(connect=down_after_connecting("crm", go_down(cases)))

    cases.admin.clear_faults()
    assert queue_states(cases).get("dead") == 1
    assert gave_up.counts.failed == 1, gave_up.as_dict()
    ((system, key, _),) = open_exceptions(cases)
    assert (system, key) == ("crm", "1")
    (row,) = cases.exceptions(gave_up)
    assert row["message"].startswith(f"given up after {DEFAULT_MAX_ATTEMPTS} attempts: ")
    assert read_status(cases.ledger_url, ("case",)).needs_a_person == 1
    # once it passes, the re-drive carries it and closes its exception
    resent = retry_failed(cases)
    assert resent.counts.created == 1 and open_exceptions(cases) == [], resent.as_dict()


def test_a_change_with_write_back_still_runs_out_of_attempts(cases: World) -> None:
    """Defect: each retry wrote the origin's status again ("In Progress"), capture read
    that back as a newer change of the record, and the waiting change, folded into it,
    started its count over: it was retried for ever and never reached a person. The
    count is the record's: it reaches ``dead`` after DEFAULT_MAX_ATTEMPTS passes."""
    cases.execute("INSERT INTO cases (id, subject) VALUES (1, 'Down')")
    passes = 0
    while "dead" not in queue_states(cases) and passes < DEFAULT_MAX_ATTEMPTS + 3:
        cases.sync(connect=down_after_connecting("crm", go_down(cases)))
        cases.let_retries_come_due()
        passes += 1

    cases.admin.clear_faults()
    assert queue_states(cases).get("dead") == 1, queue_states(cases)
    assert passes == DEFAULT_MAX_ATTEMPTS
    ((system, key, _),) = open_exceptions(cases)
    assert (system, key) == ("crm", "1")
    assert cases.rows("cases")[1]["sync_status"] == "Failed"  # no longer In Progress


def test_a_conflict_is_recorded_for_information_and_needs_nobody(cases: World) -> None:
    """owner_wins: the external system owns the case, so a Subject edited in Salesforce
    is written over with the owner's; the CONFLICT row is kept, closed at once."""
    cases.execute("INSERT INTO cases (id, subject) VALUES (1, 'Owner says')")
    cases.sync()
    cases.sync()
    case_id = cases.rows("cases")[1]["sf_id"]
    cases.sf.Case.update(case_id, {"Subject": "Salesforce says"})

    conflicted = cases.sync()

    assert [r["error_code"] for r in cases.exceptions(conflicted)] == ["CONFLICT"]
    assert the_case(cases, case_id)["Subject"] == "Owner says"
    with Ledger.open(cases.ledger_url) as ledger:
        (stored,) = ledger.exceptions(conflicted.run_id, unresolved_only=False)
    assert stored.code == "CONFLICT" and stored.resolved_by == conflicted.run_id
    assert stored.resolution == "informational: the owner's value was kept"
    status = read_status(cases.ledger_url, ("case",))
    assert status.open_exceptions == 0 and status.needs_a_person == 0


def test_a_failure_repaired_by_reconcile_apply_closes_with_the_reconcile(cases: World) -> None:
    """Salesforce refuses a case's email; the config then stops sending email there.
    ``reconcile --apply`` creates the Case: the record is repaired, its failed change
    set aside and its exception closed, with the reconcile's run."""
    cases.execute("INSERT INTO cases (id, subject, email) VALUES (1, 'Mail', 'not an email')")
    refused = cases.sync()
    assert [r["error_code"] for r in cases.exceptions(refused)] == ["INVALID_EMAIL_ADDRESS"]
    cases.sync()  # the echo of the Failed status
    crm = cases.config["entities"]["case"]["bindings"]["crm"]
    crm["fields"].pop("email")

    repaired = reconcile(
        cases.write_config(), ReconcileOptions(apply=True, worker=WORKER), progress=Progress()
    )

    assert repaired.counts.failed == 0, repaired.as_dict()
    (case,) = soql(cases.sf, f"SELECT {CASE_FIELDS} FROM Case")
    assert case["Subject"] == "Mail"
    assert open_exceptions(cases) == [] and failed_items(cases) == []
    with Ledger.open(cases.ledger_url) as ledger:
        (closed,) = ledger.exceptions(unresolved_only=False)
    assert closed.resolved_by == repaired.run_id
    assert read_status(cases.ledger_url, ("case",)).needs_a_person == 0
