"""``lockstep retry ENTITY KEY`` and ``lockstep ignore ENTITY KEY``, through the CLI
in-process, on seed 000's Case world (``tests/support/case_world.py``): a record's
failed change sent again (and carried by the next pass, which closes its exception),
or set aside for good; the KEY found as ``explain`` finds one; exit 2 for an unknown
entity or key, a clear line when nothing failed."""

from __future__ import annotations

from pathlib import Path

import pytest
from control_helpers import Result, cli
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce.api import Salesforce

from lockstep.ledger import Ledger
from tests.support.case_world import CASE_ORG, failed_items, open_exceptions, start_cases
from tests.support.emulators import OrgSpec
from tests.support.sync_world import World


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return CASE_ORG


@pytest.fixture
def cases(
    tmp_path: Path, sqlite_url: str, org: EmulatorInfo, sf: Salesforce, admin: AdminClient
) -> World:
    return start_cases(World(tmp_path, sqlite_url, org, sf, admin))


def refused_by_the_app(cases: World) -> str:
    """A Case the external system refuses (a trigger); its id."""
    cases.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON cases WHEN NEW.subject = 'Refused' "
        "BEGIN SELECT RAISE(ABORT, 'the case system refuses it'); END"
    )
    case_id: str = cases.sf.Case.create({"Subject": "Refused"})["id"]
    refused = cases.sync()
    assert refused.counts.failed == 1, refused.as_dict()
    return case_id


def without_subject(cases: World) -> str:
    case_id: str = cases.sf.Case.create({"Description": "no subject"})["id"]
    failed = cases.sync()
    assert failed.counts.failed == 1, failed.as_dict()
    return case_id


def run(cases: World, capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return cli(capsys, cases.config_path, *args)


def test_retry_sends_the_failed_change_and_the_next_pass_closes_its_exception(
    cases: World, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = refused_by_the_app(cases)
    cases.execute("DROP TRIGGER refuse")
    assert run(cases, capsys, "status").code == 1

    retried = run(cases, capsys, "retry", "case", case_id)

    assert retried.code == 0, retried.err
    assert f"case {case_id} (crm id): 1 failed change due now" in retried.out
    with Ledger.open(cases.ledger_url) as ledger:
        (item,) = ledger.queue_items(states=["pending"])
        assert (item.native_id, item.attempts) == (case_id, 0)
        assert item.available_at <= ledger.now()
    assert len(open_exceptions(cases)) == 1  # open until the change is carried
    carried = cases.sync()
    assert carried.counts.failed == 0 and carried.counts.created == 1, carried.as_dict()
    assert open_exceptions(cases) == [] and failed_items(cases) == []
    with Ledger.open(cases.ledger_url) as ledger:
        (closed,) = ledger.exceptions(unresolved_only=False)
        assert closed.resolved_by == carried.run_id
    status = run(cases, capsys, "status")
    assert status.code == 0, status.out
    assert "exceptions: none open" in status.out


def test_ignore_sets_the_record_aside_for_good_noting_who(
    cases: World, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = without_subject(cases)
    with Ledger.open(cases.ledger_url) as ledger:
        gid = ledger.global_id("case", "crm", case_id)
    assert gid is not None

    ignored = run(cases, capsys, "ignore", "case", gid, "--by", "alice", "--json")

    assert ignored.code == 0, ignored.err
    data = ignored.json()
    assert (data["found_as"], data["global_id"], data["by"]) == ("global id", gid, "alice")
    assert len(data["changes"]) == 1 and data["exceptions_closed"] == 1
    assert open_exceptions(cases) == [] and failed_items(cases) == []
    with Ledger.open(cases.ledger_url) as ledger:
        (closed,) = ledger.exceptions(unresolved_only=False)
        assert closed.resolution == "ignored by alice"
        run_row = ledger.run(data["run_id"])
        assert run_row is not None and run_row.mode == "ignore"
        assert closed.resolved_by == run_row.run_id
    assert run(cases, capsys, "status").code == 0
    # set aside for good: a re-drive of everything that failed does not send it
    resent = run(cases, capsys, "sync", "--once", "--retry-failed", "--json")
    assert resent.code == 0, resent.err
    assert "--retry-failed: 0 failed changes sent again" in resent.json()["notes"]
    again = run(cases, capsys, "ignore", "case", case_id)
    assert again.code == 0
    assert f"case {case_id} (crm id): nothing failed, nothing to set aside" in again.out


def test_retry_of_a_record_that_synced_since_says_nothing_failed(
    cases: World, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = without_subject(cases)
    cases.sf.Case.update(case_id, {"Subject": "Now with a subject"})
    assert cases.sync().counts.failed == 0
    (row,) = cases.rows("cases").values()

    by_app_id = run(cases, capsys, "retry", "case", str(row["id"]))

    assert by_app_id.code == 0, by_app_id.err
    assert by_app_id.out.strip() == f"case {row['id']} (app id): nothing failed, nothing to retry"
    assert failed_items(cases) == []


def test_unknown_entity_or_key_is_bad_usage(
    cases: World, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("retry", "ignore"):
        entity = run(cases, capsys, command, "ticket", "1")
        assert entity.code == 2
        assert "unknown entity: ticket (the config has: case)" in entity.err
        key = run(cases, capsys, command, "case", "500000000000404AAA")
        assert key.code == 2
        assert "no record of case with native id in app, crm, nor global id" in key.err
        assert "500000000000404AAA" in key.err and "Traceback" not in key.err
        system = run(cases, capsys, command, "case", "1", "--system", "billing")
        assert system.code == 2 and "case is not bound in system billing" in system.err
