"""Salesforce read benchmark: ``SalesforceConnector.snapshot`` of N Accounts through REST
query pages and through a Bulk API 2.0 query job.

For each N, the Accounts are seeded straight into an emulator's data directory (no API
calls; seeding is not measured), the emulator is started, and the whole object is read
twice, each time in a fresh child process so that its peak RSS is its own:

- ``rest``: ``bulk_query_threshold`` above N, so every page is a REST query call
  (2,000 records a call);
- ``bulk``: ``bulk_query_threshold`` 1, so the first page is REST and the rest one
  Bulk query job (``bulk_page_records`` a results page).

The reader counts the rows and keeps none, so the peak RSS is the connector's own (a
flow that keeps what it reads holds more). Each figure: wall time, rows/s, the API calls
the connector counted by family, the child's peak RSS (``VmHWM``).

Prints one JSON object. Run it from the repository's root, as a module:

    .venv/bin/python -m bench.salesforce_read_bench [--records 2000,10000,50000,200000]
        [--page-records 100000] [--poll-seconds 0.5]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lockstep_emulator.client import EmulatorInfo, start_emulator
from lockstep_emulator.org import Org, OrgSettings
from lockstep_emulator.store.layout import format_datetime, insert_sql

from lockstep.connectors.salesforce import SalesforceConnector
from tests.support.widgets import sf_system

FIELDS = [
    "Name",
    "AccountNumber",
    "Industry",
    "AnnualRevenue",
    "NumberOfEmployees",
    "BillingCity",
    "CreatedDate",
    "SystemModstamp",
]
INDUSTRIES = ["Banking", "Energy", "Retail", "Technology"]


def seed_accounts(data_dir: Path, n: int) -> list[str]:
    """``n`` Accounts written with the store's layout (no API calls); their Ids, in
    order (``Account {i:07d}`` is the i-th)."""
    org = Org(OrgSettings(), data_dir)
    account = org.schema.get("Account")
    assert account is not None
    rng = random.Random(7)
    cols = (
        "Id",
        "IsDeleted",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
        "OwnerId",
        *FIELDS[:6],
    )
    sql = insert_sql("Account", cols)
    ids: list[str] = []
    with org.db.transaction():
        rows = []
        for i in range(n):
            stamp = format_datetime(org.clock.stamp())
            user = org.user_id
            values = (
                f"Account {i:07d}",
                f"AN-{i:07d}",
                INDUSTRIES[i % 4],
                float(rng.randrange(0, 1_000_000)),
                rng.randrange(1, 5000),
                None if i % 10 == 0 else "Springfield",
            )
            ids.append(org.store.new_id(account))
            rows.append((ids[-1], 0, stamp, user, stamp, user, stamp, user, *values))
            if len(rows) == 10_000:
                org.db.conn.executemany(sql, rows)
                rows.clear()
        if rows:
            org.db.conn.executemany(sql, rows)
    org.close()
    return ids


def read_once(info: EmulatorInfo, threshold: int, page_records: int, poll: float) -> dict[str, Any]:
    """One snapshot of every Account (in this process: the child's side)."""
    config = sf_system(info, bulk_query_threshold=threshold, bulk_poll_seconds=poll)
    connector = SalesforceConnector("crm", config, bulk_page_records=page_records)
    connector.describe("Account")
    started = time.perf_counter()
    rows = sum(len(page) for page in connector.snapshot("Account", FIELDS))
    seconds = time.perf_counter() - started
    connector.close()
    calls = dict(connector.calls.by_family)
    calls.pop("auth", None)
    calls["rest"] = calls.get("rest", 0) - 1  # the describe, made before the clock started
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "calls": {k: v for k, v in calls.items() if v},
        "api_calls": sum(calls.values()),
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM: unlike ``ru_maxrss``, not
    inherited from the parent across fork and exec), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def read_in_child(info: EmulatorInfo, threshold: int, page_records: int, poll: float) -> Any:
    args = [
        sys.executable,
        "-m",
        "bench.salesforce_read_bench",
        "--child",
        json.dumps(dataclasses.asdict(info)),
        "--threshold",
        str(threshold),
        "--page-records",
        str(page_records),
        "--poll-seconds",
        str(poll),
    ]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def bench(n: int, page_records: int, poll: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "org"
        started = time.perf_counter()
        seed_accounts(data_dir, n)
        out: dict[str, Any] = {"seed_seconds": round(time.perf_counter() - started, 1)}
        with start_emulator(data_dir=data_dir, timeout=300) as process:
            out["rest"] = read_in_child(process.info, n + 1, page_records, poll)
            out["bulk"] = read_in_child(process.info, 1, page_records, poll)
    for mode in ("rest", "bulk"):
        assert out[mode]["rows"] == n, (mode, out[mode]["rows"], n)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default="2000,10000,50000,200000")
    parser.add_argument("--page-records", type=int, default=100_000)
    parser.add_argument("--poll-seconds", type=float, default=0.5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--threshold", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        info = EmulatorInfo(**json.loads(args.child))
        figures = read_once(info, args.threshold, args.page_records, args.poll_seconds)
        print(json.dumps(figures))
        return
    counts = [int(n) for n in args.records.split(",")]
    results = {
        "fields": ["Id", *FIELDS],
        "page_records": args.page_records,
        "bulk_poll_seconds": args.poll_seconds,
        "by_records": {str(n): bench(n, args.page_records, args.poll_seconds) for n in counts},
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
