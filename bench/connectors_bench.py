"""Connector benchmark: the Salesforce connector's writes, the SQL connector's reads
and the cost of trigger capture.

Measures
- ``salesforce_apply``: 10,000 Accounts written by ``SalesforceConnector.apply``
  into an emulator over HTTPS, once through sObject Collections and once through
  Bulk API 2.0; API calls counted by the connector, compared with the minimum
  (ceil(N/200) for Collections, one job's calls for Bulk 2.0);
- ``sql_snapshot``: ``SqlConnector.snapshot`` of 1,000,000 rows from PostgreSQL,
  in rows/s (needs PostgreSQL on 127.0.0.1:5432);
- ``capture_overhead``: one UPDATE of 100,000 rows with and without lockstep's
  capture triggers, per dialect (SQLite always; PostgreSQL and MariaDB when up),
  as the extra time in percent.

Prints one JSON object. Run it from the repository's root, as a module (the org is the
connector tests' widget org, from ``tests.support``):

    .venv/bin/python -m bench.connectors_bench [--records 10000] [--snapshot-rows 1000000]
        [--update-rows 100000] [--sections salesforce,snapshot,capture]
"""

from __future__ import annotations

import argparse
import json
import math
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from lockstep_emulator.client import start_emulator

from lockstep.config.systems import SqlSystem
from lockstep.connectors.base import CaptureSpec
from lockstep.connectors.salesforce import SalesforceConnector
from lockstep.connectors.sql import SqlConnector
from lockstep.core.ops import Upsert
from tests.support.widgets import WIDGET_ORG, sf_system

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/test"


def accounts(n: int, tag: str) -> list[Upsert]:
    return [
        Upsert(
            {
                "Name": f"Bench {tag} {i}",
                "External_Id__c": f"{tag}-{i:07d}",
                "AnnualRevenue": i * 10,
                "Industry": "Energy",
            }
        )
        for i in range(n)
    ]


def bench_salesforce(records: int) -> dict[str, Any]:
    out: dict[str, Any] = {"records": records}
    with start_emulator("--schema", str(WIDGET_ORG.schema)) as process:
        info = process.info
        for path, threshold in (("collections", records + 1), ("bulk2", 1)):
            connector = SalesforceConnector("crm", sf_system(info, bulk_threshold=threshold))
            connector.check()
            ops = accounts(records, path)
            before = dict(connector.calls.by_family)
            started = time.perf_counter()
            results = connector.apply("Account", ops)
            seconds = time.perf_counter() - started
            calls = {
                family: n - before.get(family, 0)
                for family, n in connector.calls.by_family.items()
                if n - before.get(family, 0)
            }
            failed = sum(not r.ok for r in results)
            out[path] = {
                "seconds": round(seconds, 3),
                "records_per_second": round(records / seconds),
                "failed": failed,
                "api_calls": calls,
                "api_calls_total": sum(n for f, n in calls.items() if f != "auth"),
                "jobs": sorted({r.job_id for r in results if r.job_id}),
            }
            connector.close()
        out["collections"]["minimum_calls"] = math.ceil(records / 200)
    return out


def _up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def fresh_database(admin_url: str, url: str, create: str, drop: str) -> Iterator[str]:
    name = f"lockstep_b_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(create.format(name=name))
    try:
        yield url.format(name=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(drop.format(name=name))
        admin.dispose()


def postgres() -> Any:
    return fresh_database(
        PG_ADMIN,
        "postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        'CREATE DATABASE "{name}"',
        'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
    )


def mariadb() -> Any:
    return fresh_database(
        MARIADB_ADMIN,
        "mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4",
        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
        "DROP DATABASE IF EXISTS `{name}`",
    )


@contextmanager
def sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/bench.db"


def bench_snapshot(rows: int) -> dict[str, Any]:
    if not _up(5432):
        return {"skipped": "PostgreSQL is not reachable on 127.0.0.1:5432"}
    with postgres() as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text, "
                "balance numeric(12,2), active boolean, joined date, updated_at timestamptz)"
            )
            conn.execute(
                sa.text(
                    "INSERT INTO customers SELECT g, 'Customer ' || g, 'c' || g || '@example.com', "
                    "g % 1000 + 0.5, g % 2 = 0, DATE '2020-01-01' + (g % 1000), "
                    "TIMESTAMPTZ '2026-01-01' + g * INTERVAL '1 second' "
                    f"FROM generate_series(1, {rows}) g"
                )
            )
            conn.exec_driver_sql("ANALYZE customers")
        engine.dispose()
        connector = SqlConnector("app", SqlSystem(kind="sql", url=url))  # type: ignore[arg-type]
        fields = ["id", "name", "email", "balance", "active", "joined", "updated_at"]
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            count = sum(
                len(page) for page in connector.snapshot("customers", fields, page_size=2000)
            )
            timings.append(time.perf_counter() - started)
            assert count == rows, count
        connector.close()
    best = min(timings)
    return {
        "rows": rows,
        "columns": len(fields),
        "seconds_best": round(best, 3),
        "seconds_median": round(statistics.median(timings), 3),
        "rows_per_second": round(rows / best),
        "target_rows_per_second": 200_000,
    }


def _timed_update(url: str, rows: int, capture: bool) -> float:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS items")
        conn.exec_driver_sql(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER)"
        )
    metadata = sa.MetaData()
    items = sa.Table(
        "items",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40)),
        sa.Column("qty", sa.Integer),
    )
    with engine.begin() as conn:
        for start in range(0, rows, 10_000):
            conn.execute(
                items.insert(),
                [
                    {"id": i, "name": f"item {i}", "qty": 0}
                    for i in range(start, min(rows, start + 10_000))
                ],
            )
    connector = SqlConnector("app", SqlSystem(kind="sql", url=url))  # type: ignore[arg-type]
    if capture:
        connector.install_capture("items", CaptureSpec("triggers"))
    try:
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE items SET qty = qty + 1")
        seconds = time.perf_counter() - started
        if capture:
            batch = connector.changes("items", ["qty"], None, CaptureSpec("triggers"), limit=1)
            assert batch.changes, "capture recorded nothing"
    finally:
        if capture:
            connector.remove_capture("items")
        connector.close()
        engine.dispose()
    return seconds


def bench_capture(rows: int) -> dict[str, Any]:
    dialects: dict[str, Callable[[], Any]] = {"sqlite": sqlite}
    if _up(5432):
        dialects["postgres"] = postgres
    if _up(3306):
        dialects["mariadb"] = mariadb
    out: dict[str, Any] = {"rows": rows}
    for name, make in dialects.items():
        plain, captured = [], []
        for _ in range(3):
            with make() as url:
                plain.append(_timed_update(url, rows, capture=False))
            with make() as url:
                captured.append(_timed_update(url, rows, capture=True))
        base, with_triggers = statistics.median(plain), statistics.median(captured)
        out[name] = {
            "update_seconds": round(base, 3),
            "update_with_capture_seconds": round(with_triggers, 3),
            "overhead_percent": round(100 * (with_triggers - base) / base, 1),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--snapshot-rows", type=int, default=1_000_000)
    parser.add_argument("--update-rows", type=int, default=100_000)
    parser.add_argument("--sections", default="salesforce,snapshot,capture")
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    result: dict[str, Any] = {}
    if "salesforce" in sections:
        result["salesforce_apply"] = bench_salesforce(args.records)
    if "snapshot" in sections:
        result["sql_snapshot"] = bench_snapshot(args.snapshot_rows)
    if "capture" in sections:
        result["capture_overhead"] = bench_capture(args.update_rows)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
