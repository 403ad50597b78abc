"""The Bulk API 1.0 jobs of one running emulator, and the worker that runs their batches.

Jobs and batches are kept in memory: Bulk API 1.0 clients hold a job for minutes, and
a restart forgets them (Bulk API 2.0 jobs, by contrast, are durable). One worker
thread runs batches in the order they were added. A failure inside a batch (even a
bug) fails that batch with a ``stateMessage``; the server goes on. The service is
made on the first Bulk API 1.0 call and stopped with the app (``ApiContext.on_close``);
a sandbox refresh forgets every job.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from lockstep_emulator import ids
from lockstep_emulator.api.bulk1 import process
from lockstep_emulator.api.bulk1.model import (
    ABORTED,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    NOT_PROCESSED,
    QUEUED,
    Batch,
    Job,
)
from lockstep_emulator.api.bulk2.lifecycle import now_text
from lockstep_emulator.org import Org

log = logging.getLogger("lockstep_emulator.bulk1")


class Bulk1Jobs:
    def __init__(self, org: Org) -> None:
        self.org = org
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._batches: dict[str, Batch] = {}
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="bulk1", daemon=True)
        self._thread.start()

    # --- reads ---

    def job(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(_canonical(job_id))

    def batches(self, job: Job) -> list[Batch]:
        with self._lock:
            return [self._batches[b] for b in self._jobs[job.id].batches]

    def batch(self, job: Job, batch_id: str) -> Batch | None:
        with self._lock:
            batch = self._batches.get(_canonical(batch_id))
        return batch if batch is not None and batch.job_id == job.id else None

    # --- changes ---

    def new_id(self, prefix: str) -> str:
        db = self.org.db
        return ids.make_id(prefix, self.org.store.pod, db.next_counter(prefix))

    def add_job(self, job: Job) -> Job:
        with self._lock:
            self._jobs[job.id] = job
        return job

    def set_state(self, job_id: str, change: Callable[[Job], Job]) -> Job:
        """Apply ``change`` to the job; an abort marks its queued batches NotProcessed."""
        stamp = now_text(self.org)
        with self._lock:
            job = change(self._jobs[job_id])
            self._jobs[job_id] = job
            if job.state == ABORTED:
                for bid in job.batches:
                    batch = self._batches[bid]
                    if batch.state == QUEUED:
                        self._batches[bid] = batch.moved(NOT_PROCESSED, stamp)
            return job

    def add_batch(self, job: Job, request: bytes) -> Batch:
        stamp = now_text(self.org)
        batch = Batch(self.new_id("751"), job.id, stamp, stamp, request)
        with self._lock:
            self._batches[batch.id] = batch
            current = self._jobs[job.id]
            self._jobs[job.id] = replace(current, batches=(*current.batches, batch.id))
        self._queue.put((job.id, batch.id))
        return batch

    def forget_all(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            self._jobs.clear()
            self._batches.clear()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=60)

    # --- the worker ---

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._run(*item)
            except Exception as exc:
                log.exception("bulk 1.0 batch %s failed", item[1])
                self._end(item[1], FAILED, state_message=f"Unknown : {type(exc).__name__}: {exc}")

    def _run(self, job_id: str, batch_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            batch = self._batches.get(batch_id)
            if job is None or batch is None or batch.state != QUEUED:
                return
            self._batches[batch_id] = batch.moved(IN_PROGRESS, now_text(self.org))
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            if job.is_query:
                rows = process.run_query(self.org, job, batch.request)
                self._end(
                    batch_id,
                    COMPLETED,
                    processed=len(rows.rows),
                    result=rows,
                    result_id=self.new_id("752"),
                    processing_ms=elapsed(),
                )
            else:
                done = process.run_dml(self.org, job, batch.request)
                self._end(
                    batch_id,
                    COMPLETED,
                    processed=len(done.outcomes),
                    failed=done.failed,
                    outcomes=done.outcomes,
                    processing_ms=elapsed(),
                )
        except process.BatchFailure as exc:
            self._end(batch_id, FAILED, state_message=exc.message, processing_ms=elapsed())

    def _end(self, batch_id: str, state: str, **changes: object) -> None:
        stamp = now_text(self.org)
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is not None:
                self._batches[batch_id] = batch.moved(state, stamp, **changes)


def _canonical(text: str) -> str:
    try:
        return ids.to18(text)
    except ValueError:
        return text
