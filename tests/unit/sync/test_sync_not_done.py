"""One vocabulary for ops a system did not process: whatever stopped the call, the op
waits for a retry (``not_done``), never fails for good. Every ``SystemFailure`` class
there is (lockstep's and the connectors' own) and every code the SQL connector gives a
call is enumerated, so a failure class added later cannot be forgotten.

Also the retry time of a waiting change: full jitter, a ``retry_after`` as a floor."""

from __future__ import annotations

import importlib
import pkgutil
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
import sqlalchemy as sa

import lockstep
from lockstep.connectors.base import not_done
from lockstep.connectors.sql import classify
from lockstep.core.ops import Op, OpResult
from lockstep.errors import (
    NOT_DONE_CODES,
    AuthFailed,
    RateLimited,
    SchemaError,
    SystemFailure,
    Terminal,
    Unreachable,
    failure_classes,
)
from lockstep.ledger.rows import QueueItem
from lockstep.sync.apply import Writes, refused
from lockstep.sync.outcomes import RETRY_BASE, RETRY_MAX, Outcomes, retry_delay
from lockstep.sync.work import TRANSIENT_CODES, Side, Work
from tests.unit.sync.test_sync_coalesce import item


def every_failure_class() -> list[type[SystemFailure]]:
    """Every ``SystemFailure`` class in lockstep, once all of its modules are loaded."""
    for module in pkgutil.walk_packages(lockstep.__path__, "lockstep."):
        importlib.import_module(module.name)
    return list(failure_classes())


@pytest.mark.parametrize("failure_class", every_failure_class(), ids=lambda c: c.__name__)
def test_an_op_not_done_waits_whatever_stopped_it(failure_class: type[SystemFailure]) -> None:
    failure = failure_class("crm", "stopped")
    error = not_done(failure)

    assert error.transient
    assert error.code == failure_class.code
    assert error.code in NOT_DONE_CODES, f"{failure_class.__name__}: add its code to errors.py"
    assert error.code in TRANSIENT_CODES
    w = Work(item(1, "a"))
    refused(w, "crm", OpResult(ok=False, error=error))
    assert w.failure is not None and w.failure.transient


def test_the_enumeration_sees_a_connector_s_own_failure_class() -> None:
    names = {c.__name__ for c in every_failure_class()}
    assert {"OutcomeUnknown", "CaptureUnsupported", "Contended", "AuthFailed"} <= names


def test_a_known_retry_after_goes_with_the_op_not_done() -> None:
    error = not_done(RateLimited("crm", "slow down", retry_after=90.0))
    assert (error.code, error.retry_after) == ("RATE_LIMITED", 90.0)
    w = Work(item(1, "a"))
    refused(w, "crm", OpResult(ok=False, error=error))
    assert w.failure is not None and w.failure.retry_after == 90.0


def test_a_more_precise_code_is_kept() -> None:
    error = not_done(Unreachable("crm", "job aborted"), code="BULK_JOB_ABORTED")
    assert (error.code, error.transient) == ("BULK_JOB_ABORTED", True)


@pytest.mark.parametrize("code", sorted(c for c, s in classify._SCOPES.items() if s != "record"))
def test_sql_codes_of_a_call_are_never_a_row_s_fault(
    code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = classify._SCOPES[code]
    found = classify.Classified(code, scope, "stopped")
    monkeypatch.setattr(classify, "classify", lambda exc: found)
    error = sa.exc.OperationalError("UPDATE t", {}, Exception("stopped"))

    assert classify.record_error(error).transient  # were a row given it, it would wait
    raised = classify.call_failure("app", error, "writing")  # what apply raises instead
    assert not_done(raised).transient and raised.code in NOT_DONE_CODES
    if scope in ("transient", "unreachable"):  # deadlock, lock timeout, connection lost
        assert not isinstance(raised, Terminal)


# -- the whole-call path of sync ---------------------------------------------------------


class _Refusing:
    def __init__(self, failure: SystemFailure) -> None:
        self.failure = failure

    def apply(self, obj: str, ops: Sequence[Op]) -> list[OpResult]:
        raise self.failure


class _Out:
    def __init__(self) -> None:
        self.stopped_by: dict[str, Terminal] = {}

    def stopped(self, failure: Terminal) -> None:
        self.stopped_by[failure.system] = failure


@pytest.mark.parametrize(
    "failure",
    [
        Unreachable("crm", "down"),
        RateLimited("crm", "slow", 60.0),
        AuthFailed("crm", "refused"),
        SchemaError("crm", "no such field"),
    ],
    ids=lambda f: type(f).__name__,
)
def test_a_whole_call_that_failed_leaves_every_change_waiting(failure: SystemFailure) -> None:
    out = _Out()
    writes = Writes("customer", cast(Any, None), cast(Any, None), {}, cast(Outcomes, out))
    side = Side(
        "crm",
        cast(Any, SimpleNamespace(target="Account")),
        frozenset(),
        cast(Any, None),
        cast(Any, _Refusing(failure)),
        None,
    )
    works = [Work(item(i, str(i))) for i in (1, 2)]

    results = writes.apply(side, [cast(Op, object())] * 2, works)

    assert results == [None, None]
    for w in works:
        assert w.failure is not None and w.failure.transient
        assert w.failure.code == type(failure).code
        assert w.failure.retry_after == failure.retry_after
    # a refusal no wait mends stops the pass (interrupted), its changes waiting
    assert (failure.system in out.stopped_by) == isinstance(failure, Terminal)


# -- retry times -------------------------------------------------------------------------


def test_retry_delay_is_full_jitter_under_a_doubling_ceiling() -> None:
    rng = random.Random(3)
    for attempts in range(12):
        ceiling = min(RETRY_BASE * 2**attempts, RETRY_MAX)
        delays = [retry_delay(attempts, None, rng) for _ in range(50)]
        assert all(timedelta(0) <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # spread over the whole range, not bunched
    assert min(RETRY_BASE * 2**20, RETRY_MAX) == RETRY_MAX
    assert retry_delay(100, None, rng) <= RETRY_MAX


def test_a_retry_after_is_a_floor() -> None:
    rng = random.Random(5)
    delays = [retry_delay(0, 120.0, rng) for _ in range(50)]
    assert all(d == timedelta(seconds=120) for d in delays)  # above the 30 s ceiling
    delays = [retry_delay(5, 60.0, rng) for _ in range(200)]  # ceiling 16 min
    assert all(timedelta(seconds=60) <= d <= RETRY_BASE * 32 for d in delays)
    assert len(set(delays)) > 100


def test_a_hundred_changes_that_fail_together_fall_due_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import lockstep.sync.outcomes as outcomes

    monkeypatch.setattr(outcomes, "RNG", random.Random(42))
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    works = [Work(_with_attempts(item(i, str(i)), 2)) for i in range(1, 101)]
    for w in works:
        w.fail("UNREACHABLE", "not done: crm: down", "crm", passing=True)

    end = outcomes.ending("customer", works, now)

    times = [failed.retry_at for failed in end.failed]
    assert len(times) == 100
    assert all(t is not None and now <= t <= now + RETRY_BASE * 4 for t in times)
    assert len(set(times)) == 100  # no two fall due at once
    spread = max(t for t in times if t) - min(t for t in times if t)
    assert spread > RETRY_BASE * 3  # over most of the two minutes


def _with_attempts(queued: QueueItem, attempts: int) -> QueueItem:
    from dataclasses import replace

    return replace(queued, attempts=attempts)
