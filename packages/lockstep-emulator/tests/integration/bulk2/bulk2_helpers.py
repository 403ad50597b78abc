"""A raw HTTP client for Bulk API 2.0, for what simple-salesforce cannot send."""

from __future__ import annotations

import time
from typing import Any

import requests
from simple_salesforce import Salesforce


class Bulk2Http:
    """``requests`` against ``/services/data/v59.0/jobs/``, with the session's token."""

    def __init__(self, sf: Salesforce, session: requests.Session) -> None:
        self.base = f"{sf.base_url}jobs/"
        self.session = session
        self.auth = {"Authorization": f"Bearer {sf.session_id}"}

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {**self.auth, **kw.pop("headers", {})}
        return self.session.request(method, self.base + path, headers=headers, timeout=60, **kw)

    def create(self, **job: Any) -> dict[str, Any]:
        kind = "query" if job.get("operation") in ("query", "queryAll") else "ingest"
        reply = self.call("POST", kind, json=job)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def upload(self, job_id: str, data: bytes) -> requests.Response:
        return self.call(
            "PUT", f"ingest/{job_id}/batches", data=data, headers={"Content-Type": "text/csv"}
        )

    def close(
        self, job_id: str, state: str = "UploadComplete", kind: str = "ingest"
    ) -> requests.Response:
        return self.call("PATCH", f"{kind}/{job_id}", json={"state": state})

    def wait(self, job_id: str, kind: str = "ingest", timeout: float = 60) -> dict[str, Any]:
        """Poll until the job has ended; its info."""
        deadline = time.monotonic() + timeout
        while True:
            info: dict[str, Any] = self.call("GET", f"{kind}/{job_id}").json()
            if info["state"] in ("JobComplete", "Failed", "Aborted"):
                return info
            assert time.monotonic() < deadline, info
            time.sleep(0.02)

    def run(self, data: bytes, **job: Any) -> dict[str, Any]:
        """Create an ingest job, upload ``data``, close it and wait for it."""
        created = self.create(**job)
        assert self.upload(created["id"], data).status_code == 201
        assert self.close(created["id"]).status_code == 200
        return self.wait(created["id"])

    def text(self, path: str) -> str:
        reply = self.call("GET", path)
        assert reply.status_code == 200, reply.text
        return reply.content.decode()
