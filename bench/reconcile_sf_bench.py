"""Reconcile benchmark, Salesforce against PostgreSQL: ``lockstep reconcile`` of N
emulator Accounts (their owner) and a PostgreSQL table holding the same N records.

The Accounts are seeded straight into a fresh emulator's data directory
(``bench.salesforce_read_bench.seed_accounts``: no API calls, not measured); the table
``bench_sf_app (id bigint primary key, name, industry, employees)`` holds the same
values; the ledger links the i-th Account to row i (written straight into a SQLite
ledger, as a migrate would have left them). Then 1 % of N drifts in the table: a
third deleted, a third changed, a third added. ``python -m lockstep reconcile --json``
runs as its own process: wall seconds, its peak RSS, the findings, the Salesforce API
calls (the read goes through one Bulk API 2.0 query job above ``bulk_query_threshold``).

Issue 12's target: 1,000,000 records, 1 % drift, <= 60 s and <= 2 GB.

    .venv/bin/python -m bench.reconcile_sf_bench [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from bench.reconcile_bench import MEASURED
from bench.salesforce_read_bench import INDUSTRIES, seed_accounts
from lockstep_emulator.client import start_emulator

from lockstep.ledger import Ledger

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def config(info: Any, ledger: Path, reports: Path) -> dict[str, Any]:
    fields = {"name": "string", "industry": "string", "employees": "integer"}
    return {
        "version": 1,
        "systems": {
            "crm": {
                "kind": "salesforce",
                "login_url": info.login_url,
                "ca_cert": info.ca_cert,
                "auth": {
                    "flow": "client_credentials",
                    "client_id": info.client_id,
                    "client_secret": info.client_secret,
                },
            },
            "app": {"kind": "sql", "url": POSTGRES},
        },
        "entities": {
            "account": {
                "owner": "crm",
                "fields": fields,
                "bindings": {
                    "crm": {
                        "object": "Account",
                        "fields": {
                            "name": "Name",
                            "industry": "Industry",
                            "employees": "NumberOfEmployees",
                        },
                    },
                    "app": {
                        "table": "bench_sf_app",
                        "key": "id",
                        "fields": {n: n for n in fields},
                    },
                },
            }
        },
        "run": {"ledger": f"sqlite:///{ledger}", "reports": str(reports)},
    }


def app_table(engine: sa.Engine, rows: int, employees: list[int]) -> dict[str, int]:
    """The table holding what the Accounts hold, then drifted by 1 %."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_sf_app")
        conn.exec_driver_sql(
            "CREATE TABLE bench_sf_app (id bigint primary key, name text, industry text, "
            "employees int)"
        )
        insert = sa.text("INSERT INTO bench_sf_app VALUES (:id, :name, :industry, :employees)")
        for start in range(0, rows, 20_000):
            page = range(start, min(start + 20_000, rows))
            conn.execute(
                insert,
                [
                    {
                        "id": i + 1,
                        "name": f"Account {i:07d}",
                        "industry": INDUSTRIES[i % 4],
                        "employees": employees[i],
                    }
                    for i in page
                ],
            )
        share = max(1, rows // 300)  # a third of 1 %
        step = rows // share
        gone = conn.exec_driver_sql(f"DELETE FROM bench_sf_app WHERE id %% {step} = 0").rowcount
        changed = conn.exec_driver_sql(
            f"UPDATE bench_sf_app SET name = name || ' (changed)' WHERE id %% {step} = 1"
        ).rowcount
        conn.exec_driver_sql(
            "INSERT INTO bench_sf_app SELECT i, 'Stray ' || i, NULL, 0 "
            f"FROM generate_series({rows + 1}, {rows + share}) i"
        )
    return {"missing": gone, "changed": changed, "extra": share}


def link(ledger_url: str, ids: list[str]) -> None:
    ledger = Ledger.open(ledger_url)
    try:
        for start in range(0, len(ids), 50_000):
            page = range(start, min(start + 50_000, len(ids)))
            gids = {i: ledger.new_global_id() for i in page}
            ledger.link_new("account", "crm", [(gids[i], ids[i]) for i in page])
            ledger.link_new("account", "app", [(gids[i], str(i + 1)) for i in page])
    finally:
        ledger.close()


def employees_of(n: int) -> list[int]:
    """The ``NumberOfEmployees`` ``seed_accounts`` draws for its ``n`` Accounts: its
    random draws replayed (seed 7, revenue then employees, record by record)."""
    rng = random.Random(7)
    out = []
    for _ in range(n):
        rng.randrange(0, 1_000_000)
        out.append(rng.randrange(1, 5000))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lockstep-rcsf-"))
    engine = sa.create_engine(POSTGRES)
    try:
        data_dir = work / "org"
        ids = seed_accounts(data_dir, args.rows)
        drift = app_table(engine, args.rows, employees_of(args.rows))
        ledger_url = f"sqlite:///{work / 'ledger.db'}"
        link(ledger_url, ids)
        with start_emulator(data_dir=data_dir, timeout=300) as process:
            path = work / "lockstep.yaml"
            path.write_text(yaml.safe_dump(config(process.info, work / "ledger.db", work)))
            command = [sys.executable, "-m", "lockstep", "reconcile", "-c", str(path), "--json"]
            rss = work / "rss"
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", MEASURED, *command],
                capture_output=True,
                text=True,
                env={**os.environ, "COLUMNS": "200", "BENCH_RSS_FILE": str(rss)},
                check=False,
            )
            seconds = time.perf_counter() - started
        if done.returncode not in (0, 1):
            raise RuntimeError(f"reconcile exited {done.returncode}:\n{done.stderr[-3000:]}")
        summary = json.loads(done.stdout)
        print(
            json.dumps(
                {
                    "rows": args.rows,
                    "drift": drift,
                    "seconds": round(seconds, 1),
                    "peak_rss_mb": round(int(rss.read_text()) / 1024),
                    "api_calls": summary.get("api_calls"),
                    "findings": {k: v for k, v in summary.get("findings", {}).items() if v},
                },
                indent=2,
            )
        )
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS bench_sf_app")
        engine.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
