"""The Bulk API 2.0 section of ``emulator_bench.py``: ingest and query extraction.

- Ingest: N Accounts from one CSV file into a fresh org, end to end (job created,
  CSV uploaded, job closed, polled until JobComplete), once through simple-salesforce's
  ``bulk2.Account.insert`` and once through a lean client (requests: one upload, a
  poll every 20 ms). simple-salesforce splits and rewrites the CSV before uploading
  and polls with back-off, so its figure includes that client work and polling slack;
  the job's own ``totalProcessingTime`` and the server's CPU time are reported too.
- Query: M Accounts seeded straight into a data directory, then
  ``SELECT Id, Name, AccountNumber, Industry, AnnualRevenue FROM Account`` extracted
  end to end: through ``bulk2.Account.query`` (its default 50,000-row pages, gzip as
  requests asks for it) and through the lean client (100,000-row pages, with and
  without gzip).
- Peak memory: the server process's VmHWM, read from /proc, in a fresh emulator per
  measurement (the high-water mark never goes down); and the CPU time the server
  used, which shows how much of a figure is the emulator and how much the machine.
"""

from __future__ import annotations

import csv
import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lockstep_emulator.client import EmulatorProcess, connect, start_emulator
from simple_salesforce.api import Salesforce

QUERY = "SELECT Id, Name, AccountNumber, Industry, AnnualRevenue FROM Account"
INDUSTRIES = ["Banking", "Energy", "Retail", "Technology"]
# simple-salesforce sleeps ``wait`` before its first poll, then backs off from it
# (``wait + e**n / 1000``, until that passes 2 s): 1 s polls about once a second for
# a load of several seconds; 0.5 s suits a query job of two or three.
SF_INGEST_WAIT = 1.0
SF_QUERY_WAIT = 0.5


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_accounts(path: Path, n: int) -> int:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(
            [
                "Name",
                "AccountNumber",
                "Industry",
                "AnnualRevenue",
                "NumberOfEmployees",
                "BillingCity",
            ]
        )
        for i in range(n):
            writer.writerow(
                [
                    f"Bulk {i:07d}",
                    f"BN-{i:07d}",
                    INDUSTRIES[i % 4],
                    i * 10 % 1_000_000,
                    i % 5000,
                    "Springfield",
                ]
            )
    return path.stat().st_size


class Lean:
    """Bulk API 2.0 with requests and nothing else."""

    def __init__(self, sf: Salesforce) -> None:
        self.base = f"{sf.base_url}jobs/"
        self.http = sf.session
        self.auth = {"Authorization": f"Bearer {sf.session_id}"}

    def _json(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        reply = self.http.request(method, self.base + path, headers=self.auth, timeout=600, **kw)
        reply.raise_for_status()
        body: dict[str, Any] = reply.json()
        return body

    def wait(self, kind: str, job_id: str) -> dict[str, Any]:
        while True:
            info = self._json("GET", f"{kind}/{job_id}")
            if info["state"] in ("JobComplete", "Failed", "Aborted"):
                return info
            time.sleep(0.02)

    def insert(self, path: Path) -> dict[str, Any]:
        job = self._json("POST", "ingest", json={"object": "Account", "operation": "insert"})
        reply = self.http.put(
            self.base + f"ingest/{job['id']}/batches",
            data=path.read_bytes(),
            headers={**self.auth, "Content-Type": "text/csv"},
            timeout=600,
        )
        assert reply.status_code == 201, reply.text
        self._json("PATCH", f"ingest/{job['id']}", json={"state": "UploadComplete"})
        return self.wait("ingest", job["id"])

    def extract(self, soql: str, page_size: int, gzip: bool) -> int:
        job = self._json("POST", "query", json={"operation": "query", "query": soql})
        self.wait("query", job["id"])
        headers = {**self.auth, "Accept-Encoding": "gzip" if gzip else "identity"}
        rows, locator = 0, ""
        while True:
            params: dict[str, Any] = {"maxRecords": page_size}
            if locator:
                params["locator"] = locator
            reply = self.http.get(
                self.base + f"query/{job['id']}/results",
                params=params,
                headers=headers,
                timeout=600,
            )
            reply.raise_for_status()
            rows += int(reply.headers["Sforce-NumberOfRecords"])
            assert reply.content
            locator = reply.headers["Sforce-Locator"]
            if locator == "null":
                return rows


def _timed(run: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def bench_ingest(tmp: Path, n: int) -> dict[str, Any]:
    path = tmp / "accounts.csv"
    size = write_accounts(path, n)
    out: dict[str, Any] = {"records": n, "csv_bytes": size}
    clients: dict[str, Callable[[Salesforce], tuple[int, int]]] = {
        "simple_salesforce": lambda sf: _sf_insert(sf, path),
        "requests_lean": lambda sf: _lean_insert(sf, path),
    }
    for client, run in clients.items():
        with start_emulator() as process:
            sf = connect(process.info)
            idle = peak_rss_mb(process.pid)
            cpu = cpu_seconds(process.pid)
            (processed, server_ms), elapsed = _timed(functools.partial(run, sf))
            cpu = cpu_seconds(process.pid) - cpu
            assert processed == n, processed
            out[client] = {
                "seconds": round(elapsed, 2),
                "records_per_s": round(n / elapsed),
                "server_processing_s": round(server_ms / 1000, 2),
                "server_records_per_s": round(n / (server_ms / 1000)),
                "emulator_cpu_s": round(cpu, 2),
                "emulator_peak_rss_mb": peak_rss_mb(process.pid),
                "emulator_rss_at_start_mb": idle,
            }
    return out


def _sf_insert(sf: Salesforce, path: Path) -> tuple[int, int]:
    (job,) = sf.bulk2.Account.insert(csv_file=str(path), wait=SF_INGEST_WAIT)
    info = sf.bulk2.Account._client.get_job(job["job_id"], False)
    return int(job["numberRecordsProcessed"]) - int(job["numberRecordsFailed"]), int(
        info["totalProcessingTime"]
    )


def _lean_insert(sf: Salesforce, path: Path) -> tuple[int, int]:
    info = Lean(sf).insert(path)
    return info["numberRecordsProcessed"] - info["numberRecordsFailed"], info["totalProcessingTime"]


def bench_query(process: EmulatorProcess, n: int) -> dict[str, Any]:
    """Extraction of the ``n`` Accounts seeded in ``process``'s org."""
    sf = connect(process.info)
    out: dict[str, Any] = {
        "rows": n,
        "soql": QUERY,
        "emulator_rss_at_start_mb": peak_rss_mb(process.pid),
    }

    def simple() -> int:
        return sum(
            page.count("\n") - 1 for page in sf.bulk2.Account.query(QUERY, wait=SF_QUERY_WAIT)
        )

    runs: dict[str, Callable[[], int]] = {
        "simple_salesforce_50k_pages_gzip": simple,
        "requests_100k_pages_gzip": lambda: Lean(sf).extract(QUERY, 100_000, gzip=True),
        "requests_100k_pages_identity": lambda: Lean(sf).extract(QUERY, 100_000, gzip=False),
    }
    for name, run in runs.items():
        cpu = cpu_seconds(process.pid)
        rows, elapsed = _timed(run)
        cpu = cpu_seconds(process.pid) - cpu
        assert rows == n, (name, rows)
        out[name] = {
            "seconds": round(elapsed, 2),
            "rows_per_s": round(n / elapsed),
            "emulator_cpu_s": round(cpu, 2),
        }
    out["emulator_peak_rss_mb"] = peak_rss_mb(process.pid)
    return out


def bench_bulk2(
    tmp: Path, ingest_records: int, query_rows: int, seed: Callable[[Path, int], None]
) -> dict[str, Any]:
    """The whole section: ingest into fresh orgs, then extraction from a seeded one."""
    out: dict[str, Any] = {"ingest": bench_ingest(tmp, ingest_records)}
    data_dir = tmp / "bulk2-query-org"
    start = time.perf_counter()
    seed(data_dir, query_rows)
    out["query_seed_seconds"] = round(time.perf_counter() - start, 1)
    with start_emulator(data_dir=data_dir, timeout=120) as process:
        out["query"] = bench_query(process, query_rows)
    return out
