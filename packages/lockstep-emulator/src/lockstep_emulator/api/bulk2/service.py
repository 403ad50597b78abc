"""The Bulk API 2.0 service of one running emulator: its jobs and the workers that run
them in the background, as Salesforce does.

One worker thread runs ingest jobs and another query jobs, each in the order they
were closed, so a long load does not hold up an extract. On start, jobs left queued
or running by the last shutdown are queued again, oldest first, and jobs that ended
more than seven days ago are deleted, as Salesforce does. A failure inside a
job (even a bug) fails that job with an ``errorMessage``; the server goes on.

The service is made on the first Bulk API 2.0 call (``of(ctx)``) and stopped with
the app (``ApiContext.on_close``): a worker finishes its current chunk and leaves. A
sandbox refresh (``ApiContext.on_refresh``) forgets every job, as a new org has none.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from lockstep_emulator.api.bulk2.extract import run_query
from lockstep_emulator.api.bulk2.ingest import run_ingest
from lockstep_emulator.api.bulk2.jobstore import JobGone, JobStore
from lockstep_emulator.api.bulk2.lifecycle import finish
from lockstep_emulator.api.bulk2.model import (
    FAILED,
    IN_PROGRESS,
    INGEST,
    QUERY,
    TERMINAL,
    UPLOAD_COMPLETE,
    Job,
)
from lockstep_emulator.org import Org
from lockstep_emulator.store.layout import format_datetime

if TYPE_CHECKING:
    from lockstep_emulator.api.context import ApiContext

log = logging.getLogger("lockstep_emulator.bulk2")

RETENTION = timedelta(days=7)  # Salesforce deletes ended jobs after seven days
Runner = Callable[[JobStore, Org, str, Callable[[], bool]], None]
_RUNNERS: dict[str, Runner] = {INGEST: run_ingest, QUERY: run_query}


class Bulk2Jobs:
    def __init__(self, org: Org) -> None:
        self.org = org
        self.store = JobStore(org.db)
        self._stopping = threading.Event()
        self._queues: dict[str, queue.Queue[str | None]] = {k: queue.Queue() for k in _RUNNERS}
        self._threads = [
            threading.Thread(target=self._work, args=(kind,), name=f"bulk2-{kind}", daemon=True)
            for kind in _RUNNERS
        ]
        for thread in self._threads:
            thread.start()
        jobs = sorted(
            (j for kind in _RUNNERS for j in self.store.jobs(kind)),
            key=lambda j: (j.created_date, j.id),
        )
        expired = format_datetime(org.clock.now() - RETENTION)
        for job in jobs:
            if job.state in TERMINAL and job.system_modstamp < expired:
                self.store.remove_if(job.id, TERMINAL)
            elif job.state in (UPLOAD_COMPLETE, IN_PROGRESS):
                self.submit(job)

    def submit(self, job: Job) -> None:
        """Queue a closed job to be run."""
        self._queues[job.kind].put(job.id)

    def close(self) -> None:
        """Stop the workers once their current chunk is committed."""
        self._stopping.set()
        for q in self._queues.values():
            q.put(None)
        for thread in self._threads:
            thread.join(timeout=60)

    def _work(self, kind: str) -> None:
        run = _RUNNERS[kind]
        jobs = self._queues[kind]
        while True:
            job_id = jobs.get()
            if job_id is None or self._stopping.is_set():
                return
            try:
                run(self.store, self.org, job_id, self._stopping.is_set)
            except JobGone:
                continue
            except Exception as exc:
                log.exception("bulk 2.0 job %s failed", job_id)
                try:
                    message = f"InternalServerError : {type(exc).__name__}: {exc}"
                    finish(self.store, self.org, job_id, FAILED, error_message=message)
                except Exception:
                    log.exception("could not mark bulk 2.0 job %s failed", job_id)


def of(ctx: ApiContext) -> Bulk2Jobs:
    """The context's Bulk API 2.0 service, started on first use."""
    if ctx.bulk2 is None:
        ctx.bulk2 = Bulk2Jobs(ctx.org)
        ctx.on_close.append(ctx.bulk2.close)
        ctx.on_refresh.append(ctx.bulk2.store.forget_all)
    return ctx.bulk2
