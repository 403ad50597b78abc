"""Moving a job between states from a worker, without undoing a client's abort.

A client may abort a job at any moment (``PATCH {"state": "Aborted"}``); the worker
only notices between chunks. So every move a worker makes goes through
``JobStore.update`` and leaves an aborted job aborted.
"""

from __future__ import annotations

from typing import Any

from lockstep_emulator.api.bulk2.jobstore import JobGone, JobStore
from lockstep_emulator.api.bulk2.model import ABORTED, IN_PROGRESS, UPLOAD_COMPLETE, Job
from lockstep_emulator.org import Org
from lockstep_emulator.store.layout import format_datetime


def now_text(org: Org) -> str:
    return format_datetime(org.clock.now())


def begin(jobs: JobStore, org: Org, job_id: str) -> Job | None:
    """Move a queued job to InProgress; None when it is not there to run any more."""
    job = jobs.get(job_id)
    if job is None or job.state not in (UPLOAD_COMPLETE, IN_PROGRESS):
        return None
    stamp = now_text(org)
    job = jobs.update(job_id, lambda j: j if j.state == ABORTED else j.moved(IN_PROGRESS, stamp))
    return None if job.state == ABORTED else job


def finish(jobs: JobStore, org: Org, job_id: str, state: str, **changes: Any) -> None:
    """End the job in ``state`` with ``changes`` (unless a client aborted it meanwhile)."""
    stamp = now_text(org)

    def change(job: Job) -> Job:
        return job if job.state == ABORTED else job.moved(state, stamp, **changes)

    try:
        jobs.update(job_id, change)
    except JobGone:
        return


def aborted(jobs: JobStore, job_id: str) -> bool:
    job = jobs.get(job_id)
    return job is None or job.state == ABORTED
