"""A record's failures and how they end (``ledger.failures``): settled by a later change
carried (up to it, never a later failure, never a row of the run's own that names no
change), re-driven unless superseded, failed again without piling up rows; on SQLite
and PostgreSQL."""

from __future__ import annotations

from lockstep.ledger import ExceptionEntry, Ledger, QueueEntry, Record


def failed_change(ledger: Ledger, native: str, gid: str | None, run_id: str) -> int:
    """A change of case ``native`` from crm, refused for good, with its exception row."""
    (item,) = ledger.enqueue([QueueEntry("case", "crm", native, "upsert", {}, "v", gid)])
    ledger.claim(10, "w")
    ledger.fail(item, "INVALID: no subject", retry_at=None, code="INVALID")
    entry = ExceptionEntry("case", "crm", native, "INVALID", "no subject", global_id=gid, seq=item)
    ledger.record_exceptions(run_id, [entry])
    return item


def states(ledger: Ledger) -> dict[int, str]:
    return {i.id: i.state for i in ledger.queue_items()}


def test_a_later_change_settles_the_earlier_failures_only(ledger: Ledger) -> None:
    run = ledger.start_run("sync", ["case"]).run_id
    ledger.link("case", "G1", "crm", "500A")
    ledger.link("case", "G1", "app", "7")
    older = failed_change(ledger, "500A", "G1", run)
    later = failed_change(ledger, "500A", None, run)  # captured unlinked: found by its id
    other = failed_change(ledger, "500B", "G2", run)
    carrier = ledger.start_run("sync", ["case"]).run_id

    # a change of the record between the two failures was carried (from the app)
    record = Record("G1", (("app", "7"), ("crm", "500A")), upto=older)
    assert ledger.settle("case", [record], run_id=carrier, resolution="synced") == (1, 1)

    assert states(ledger) == {older: "done", later: "failed", other: "failed"}
    open_ = {e.seq for e in ledger.exceptions()}
    assert open_ == {later, other}
    (closed,) = [e for e in ledger.exceptions(unresolved_only=False) if e.seq == older]
    assert (closed.resolved_by, closed.resolution) == (carrier, "synced")


def test_a_runs_own_row_naming_no_change_stays_open(ledger: Ledger) -> None:
    run = ledger.start_run("sync", ["case"]).run_id
    ledger.record_exceptions(run, [ExceptionEntry("case", "app", "7", "X", "no change named")])
    ledger.record_exceptions(None, [ExceptionEntry("case", "app", "7", "Y", "older")])
    record = Record("G1", (("app", "7"),), upto=5)

    assert ledger.settle("case", [record], run_id=run, resolution="synced") == (0, 1)
    assert [e.code for e in ledger.exceptions()] == ["X"]
    # unbounded (a person sets it aside): everything of the record closes
    assert (
        ledger.settle("case", [Record("G1", (("app", "7"),))], run_id=run, resolution="i")[1] == 1
    )


def test_redrive_resends_all_but_what_a_later_change_superseded(ledger: Ledger) -> None:
    run = ledger.start_run("sync", ["case"]).run_id
    ledger.link("case", "G1", "crm", "500A")
    ledger.link("case", "G2", "crm", "500B")
    stale = failed_change(ledger, "500A", "G1", run)
    fresh = failed_change(ledger, "500B", "G2", run)
    # a later change of G1 was applied, from the app (any system counts)
    ledger.link("case", "G1", "app", "7")
    ledger.mark_applied("case", "app", [("7", fresh + 1)])

    done = ledger.redrive("case", run_id="R")

    assert (done.resent, done.superseded) == ((fresh,), (stale,))
    assert states(ledger) == {stale: "done", fresh: "pending"}
    assert [e.seq for e in ledger.exceptions()] == [fresh]
    (pending,) = ledger.queue_items(states=["pending"])
    assert pending.attempts == 0
    assert ledger.redrive("case") == type(done)()  # nothing failed any more


def test_a_change_that_fails_again_replaces_its_open_row(ledger: Ledger) -> None:
    run = ledger.start_run("sync", ["case"]).run_id
    item = failed_change(ledger, "500A", "G1", run)
    again = ExceptionEntry("case", "crm", "500A", "INVALID", "still", global_id="G1", seq=item)

    assert ledger.failed_again("case", [again], run_id="R2") == 1
    ledger.record_exceptions(run, [again])

    assert [e.message for e in ledger.exceptions()] == ["still"]
