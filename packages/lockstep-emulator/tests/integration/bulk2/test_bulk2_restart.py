"""Bulk API 2.0 jobs survive a restart: an open job can still be loaded and closed, a
finished job keeps its results (for seven days), and a job stopped mid-run resumes
where it stopped. A sandbox refresh forgets them all."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid
from pathlib import Path

import requests
from bulk2_helpers import Bulk2Http
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorProcess, connect, start_emulator

ROWS = 60_000


def client(process: EmulatorProcess, session: requests.Session) -> Bulk2Http:
    session.verify = process.info.ca_cert
    session.trust_env = False
    sf = connect(process.info, session)
    return Bulk2Http(sf, session)


def test_jobs_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "org"
    tag = "r-" + uuid.uuid4().hex[:8]
    big = "Name,Site\n" + "".join(f"{tag}-{i},{tag}\n" for i in range(ROWS))
    with start_emulator(data_dir=data_dir) as first, requests.Session() as session:
        http = client(first, session)
        done = http.run(b"Name\nFinished\n", object="Account", operation="insert")
        waiting = http.create(object="Account", operation="insert")
        assert http.upload(waiting["id"], f"Name,Site\nLater,{tag}\n".encode()).status_code == 201
        running = http.create(object="Account", operation="insert")
        assert http.upload(running["id"], big.encode()).status_code == 201
        assert http.close(running["id"]).status_code == 200
    # SIGTERM at once: the worker stops after its current chunk, leaving the job InProgress.
    stopped = _stored_state(data_dir, running["id"])
    assert stopped[0] in ("UploadComplete", "InProgress") and stopped[1] < ROWS, stopped
    with start_emulator(data_dir=data_dir) as second, requests.Session() as session:
        http = client(second, session)
        assert http.call("GET", f"ingest/{waiting['id']}").json()["state"] == "Open"
        assert http.close(waiting["id"]).status_code == 200
        assert http.wait(waiting["id"])["numberRecordsProcessed"] == 1
        resumed = http.wait(running["id"])
        assert (resumed["state"], resumed["numberRecordsProcessed"]) == ("JobComplete", ROWS)
        ok = list(
            csv.DictReader(io.StringIO(http.text(f"ingest/{running['id']}/successfulResults")))
        )
        assert len(ok) == ROWS and len({r["sf__Id"] for r in ok}) == ROWS
        count = http.session.get(
            http.base.replace("jobs/", "query"),
            params={"q": f"SELECT COUNT() FROM Account WHERE Site = '{tag}' AND Name != 'Later'"},
            headers=http.auth,
            timeout=30,
        ).json()["totalSize"]
        assert count == ROWS
        assert "Finished" in http.text(f"ingest/{done['id']}/successfulResults")
        AdminClient.for_info(second.info).advance_clock(advance_hours=8 * 24)
    # Salesforce deletes jobs seven days after they ended.
    with start_emulator(data_dir=data_dir) as third, requests.Session() as session:
        http = client(third, session)
        assert http.call("GET", f"ingest/{done['id']}").status_code == 404
        assert http.call("GET", "ingest").json()["records"] == []


def _stored_state(data_dir: Path, job_id: str) -> tuple[str, int]:
    """The job's state and count as the stopped server left them in its database."""
    with sqlite3.connect(data_dir / "org.sqlite3") as conn:
        (body,) = conn.execute("SELECT body FROM _bulk2_jobs WHERE id = ?", (job_id,)).fetchone()
    job = json.loads(body)
    return job["state"], job["processed"]


def test_a_sandbox_refresh_forgets_every_job() -> None:
    with start_emulator() as process, requests.Session() as session:
        http = client(process, session)
        done = http.run(b"Name\nBefore\n", object="Account", operation="insert")
        AdminClient.for_info(process.info).refresh()
        http = client(process, session)  # the refresh ended the old session
        assert http.call("GET", f"ingest/{done['id']}").status_code == 404
        assert http.call("GET", "ingest").json()["records"] == []
        after = http.run(b"Name\nAfter\n", object="Account", operation="insert")
        assert after["state"] == "JobComplete"
