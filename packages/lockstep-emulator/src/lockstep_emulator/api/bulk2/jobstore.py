"""Where Bulk API 2.0 jobs live: a row each in ``_bulk2_jobs``, a directory each on disk.

The table makes jobs survive a restart; the directory (under the org's data
directory) holds what can be large: uploaded parts and result files. A copy of every
job is kept in memory as well, so that clients polling a job's state never wait for
the database lock that a running job takes chunk by chunk.

Lock order: the database's lock, then this store's. Reads take only this store's
lock; every change takes both, in that order, wherever it comes from.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import orjson

from lockstep_emulator import ids
from lockstep_emulator.api.bulk2.model import Job
from lockstep_emulator.store.db import Database

_TABLE = (
    "CREATE TABLE IF NOT EXISTS _bulk2_jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
    "created TEXT NOT NULL, body TEXT NOT NULL)"
)


class JobGone(LookupError):
    """The job was deleted (or forgotten by a refresh) while something worked on it."""


def canonical_job_id(text: str) -> str:
    """Job ids are record ids: a 15-character or re-cased id names the same job."""
    try:
        return ids.to18(text)
    except ValueError:
        return text


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.root = db.data_dir / "bulk2"
        self._lock = threading.Lock()
        with db.transaction():
            db.conn.execute(_TABLE)
        self._jobs: dict[str, Job] = {}
        for (body,) in db.conn.execute("SELECT body FROM _bulk2_jobs ORDER BY created, id"):
            job = Job.from_store(orjson.loads(body))
            self._jobs[job.id] = job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(canonical_job_id(job_id))

    def jobs(self, kind: str) -> list[Job]:
        """Every job of ``kind``, oldest first."""
        with self._lock:
            found = [j for j in self._jobs.values() if j.kind == kind]
        return sorted(found, key=lambda j: (j.created_date, j.id))

    def add(self, job: Job) -> Job:
        with self.db.transaction(), self._lock:
            self._write(job)
        self.directory(job.id).mkdir(parents=True, exist_ok=True)
        return job

    def update(self, job_id: str, change: Callable[[Job], Job]) -> Job:
        """Apply ``change`` to the current job and persist it, atomically: a worker's
        progress and a client's abort never overwrite each other."""
        with self.db.transaction(), self._lock:
            current = self._jobs.get(job_id)
            if current is None:
                raise JobGone(job_id)
            job = change(current)
            self._write(job)
            return job

    def remove_if(self, job_id: str, states: frozenset[str]) -> bool:
        """Delete the job and its files if its state is one of ``states``, atomically
        (a worker cannot start it in between)."""
        with self.db.transaction(), self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state not in states:
                return False
            self.db.conn.execute("DELETE FROM _bulk2_jobs WHERE id = ?", (job_id,))
            del self._jobs[job_id]
        shutil.rmtree(self.directory(job_id), ignore_errors=True)
        return True

    def forget_all(self, conn: sqlite3.Connection) -> None:
        """A sandbox refresh makes a new org, which has no jobs: drop them all, inside
        the refresh's transaction (a worker notices its job is gone and stops)."""
        with self._lock:
            conn.execute("DELETE FROM _bulk2_jobs")
            self._jobs.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def directory(self, job_id: str) -> Path:
        return self.root / job_id

    def _write(self, job: Job) -> None:
        self.db.conn.execute(
            "INSERT INTO _bulk2_jobs (id, kind, created, body) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET body = excluded.body",
            (job.id, job.kind, job.created_date, orjson.dumps(job.to_store()).decode()),
        )
        self._jobs[job.id] = job
