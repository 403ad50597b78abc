"""Batches against a real org, without HTTP: processing, and what an abort does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from lockstep_emulator.api.bulk1 import process
from lockstep_emulator.api.bulk1.model import ABORTED, NOT_PROCESSED, Job
from lockstep_emulator.api.bulk1.service import Bulk1Jobs
from lockstep_emulator.org import Org, OrgSettings


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Org]:
    org = Org(OrgSettings(), tmp_path)
    yield org
    org.close()


def job(org: Org, operation: str, content_type: str = "CSV") -> Job:
    return Job(
        "750A", operation, "Account", content_type, "Parallel", org.user_id, "t", "t", "59.0"
    )


def test_dml_outcomes_follow_input_order(org: Org) -> None:
    done = process.run_dml(org, job(org, "insert"), b"Name,Site\na,x\n,y\nc,z\n")
    assert [o.error is None for o in done.outcomes] == [True, False, True]
    assert done.failed == 1
    ids = [o.id for o in done.outcomes if o.id]
    body = "Id\n" + "\n".join([ids[0], "001000000000000AAA"]) + "\n"
    deleted = process.run_dml(org, job(org, "delete"), body.encode())
    assert [o.error is None for o in deleted.outcomes] == [True, False]


@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        ("insert", b"", "InvalidBatch : The batch has no header row"),
        ("insert", b"Nope__c\n1\n", "InvalidBatch : Field name not found : Nope__c"),
        ("delete", b"Id,Name\n", "InvalidBatch : The 'delete' batch must contain only ids"),
        ("query", b"SELECT FROM", "InvalidBatch : Failed to process query: MALFORMED_QUERY"),
    ],
)
def test_unusable_batches_fail_whole(org: Org, operation: str, body: bytes, message: str) -> None:
    run = process.run_query if operation == "query" else process.run_dml
    with pytest.raises(process.BatchFailure) as failed:
        run(org, job(org, operation), body)
    assert failed.value.message.startswith(message)


def test_too_many_records(org: Org) -> None:
    body = b"Name\n" + b"a\n" * (process.MAX_RECORDS + 1)
    with pytest.raises(process.BatchFailure, match="cannot exceed"):
        process.run_dml(org, job(org, "insert"), body)


def test_abort_leaves_queued_batches_not_processed(org: Org) -> None:
    jobs = Bulk1Jobs(org)
    jobs.close()  # no worker: batches stay queued
    added = jobs.add_job(job(org, "insert"))
    first = jobs.add_batch(added, b"Name\na\n")
    jobs.add_batch(added, b"Name\nb\n")
    aborted = jobs.set_state(added.id, lambda j: replace(j, state=ABORTED))
    assert [b.state for b in jobs.batches(aborted)] == [NOT_PROCESSED, NOT_PROCESSED]
    assert jobs.batch(aborted, first.id) == jobs.batches(aborted)[0]
    assert jobs.batch(aborted, "751000000000000AAA") is None
    assert aborted.info(jobs.batches(aborted))["numberBatchesTotal"] == 2
