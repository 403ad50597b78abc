"""Many rows, one transaction: all of it commits, or none of it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection

from lockstep.ledger import ExceptionEntry, Ledger, QueueEntry, XrefConflict


class Boom(Exception):
    pass


def write_everything(ledger: Ledger, conn: Connection) -> None:
    ledger.link("customer", "G1", "sql", "1", conn=conn)
    ledger.link_many("customer", "salesforce", [("G1", "001")], conn=conn)
    ledger.put_golden("customer", "G1", {"name": "Ada"}, conn=conn)
    ledger.mark_synced("customer", "G1", "sql", "f", 1, conn=conn)
    ids = ledger.enqueue([QueueEntry("customer", "sql", "1", "upsert")], conn=conn)
    ledger.claim(1, "w", conn=conn)
    ledger.complete(ids, conn=conn)
    run = ledger.start_run("sync", ["customer"], conn=conn)
    ledger.record_exceptions(
        run.run_id, [ExceptionEntry("customer", "sql", "1", "X", "x")], conn=conn
    )
    ledger.record_metric("sql", "api_calls", 1, conn=conn)
    ledger.save_cursor("sql", "customers", "99", conn=conn)
    ledger.put_setting("paused", True, conn=conn)


def nothing_written(ledger: Ledger) -> bool:
    return (
        ledger.count_xrefs() == 0
        and ledger.golden("customer", "G1") is None
        and ledger.synced("customer", "G1", "sql") is None
        and sum(ledger.queue_counts().values()) == 0
        and ledger.last_run("sync", status=None) is None
        and ledger.exceptions(unresolved_only=False) == []
        and ledger.metrics(ledger.now().replace(year=2000)) == []
        and ledger.cursor("sql", "customers") is None
        and ledger.setting("paused") is None
    )


def test_an_exception_inside_a_transaction_leaves_nothing(ledger: Ledger) -> None:
    with pytest.raises(Boom), ledger.transaction() as conn:
        write_everything(ledger, conn)
        assert ledger.golden("customer", "G1", conn=conn) is not None  # visible inside
        raise Boom
    assert nothing_written(ledger)


def test_a_conflict_inside_a_transaction_leaves_nothing(ledger: Ledger) -> None:
    with pytest.raises(XrefConflict), ledger.transaction() as conn:
        write_everything(ledger, conn)
        ledger.link("customer", "G2", "sql", "1", conn=conn)
    assert nothing_written(ledger)


def test_a_transaction_commits_everything_together(
    ledger: Ledger, make_ledger: Callable[..., Ledger]
) -> None:
    with ledger.transaction() as conn:
        write_everything(ledger, conn)
    other = make_ledger()
    assert other.xrefs("customer", "G1") == {"sql": "1", "salesforce": "001"}
    assert other.queue_counts()["done"] == 1
    assert other.cursor("sql", "customers") == "99"
    assert other.setting("paused") is True
    assert len(other.exceptions()) == 1


def test_uncommitted_writes_are_invisible_to_others(
    ledger: Ledger, make_ledger: Callable[..., Ledger]
) -> None:
    other = make_ledger()
    with ledger.transaction() as conn:
        ledger.put_golden("customer", "G1", {"name": "Ada"}, conn=conn)
        assert other.golden("customer", "G1") is None
    assert other.golden("customer", "G1") is not None


def test_the_ledger_is_a_context_manager(make_ledger: Callable[..., Ledger]) -> None:
    with make_ledger() as ledger:
        ledger.save_cursor("sql", "t", "1")
    with make_ledger() as again:
        assert again.cursor("sql", "t") == "1"
