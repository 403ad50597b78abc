"""Migrate memory benchmark (issue 12): ``lockstep migrate`` PostgreSQL -> PostgreSQL.

A source table of N rows ``(id bigint primary key, name, email, phone, industry,
employees)`` is migrated into a target table of the same columns (its own ``bigserial``
key) in a scratch PostgreSQL database, by ``python -m lockstep migrate`` run as a child
process, with a SQLite ledger and the reports in a temporary folder. Cases:

- ``empty``: the target is empty; every row is created. The target binding has an
  external id (``source_id``, text), so creates are upserts on it.
- ``match``: the target already holds the same rows (no ``source_id``), and the match
  rule on ``email`` finds each: every row is linked, nothing is written (the target
  binding has no external id, so a link has nothing to stamp).

For each case: the child's wall time, CPU time (user + system: the figure to compare
on a busy machine) and peak RSS (its own ``ru_maxrss``, from
``os.wait4``: ``getrusage(RUSAGE_CHILDREN)`` would give the largest of every child so
far, the other case's included) and the run's counts. Target:
peak RSS <= 1 GB at any N. Prints one JSON object.

    .venv/bin/python bench/migrate_memory_bench.py [--rows 100000] [--cases empty,match]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

CASES = ("empty", "match")
DATABASE = "lockstep_migrate_memory_bench"
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

SOURCE_DDL = """
CREATE TABLE src_customer (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    email text,
    phone text,
    industry text,
    employees integer
)"""
TARGET_DDL = """
CREATE TABLE dst_customer (
    id bigserial PRIMARY KEY,
    source_id text UNIQUE,
    name text NOT NULL,
    email text,
    phone text,
    industry text,
    employees integer
)"""
FILL_SOURCE = """
INSERT INTO src_customer
SELECT g, 'Customer ' || g, 'customer' || g || '@example.com',
       '+1 555 ' || lpad(g::text, 7, '0'),
       (ARRAY['Energy', 'Retail', 'Banking', 'Health', 'Media'])[1 + g % 5], g % 5000
FROM generate_series(1, :n) AS g"""
COPY_TO_TARGET = """
INSERT INTO dst_customer (name, email, phone, industry, employees)
SELECT name, email, phone, industry, employees FROM src_customer ORDER BY id"""


def config(url: str, directory: Path, *, external_id: bool) -> dict[str, Any]:
    target: dict[str, Any] = {
        "table": "dst_customer",
        "fields": {f: f for f in ("name", "email", "phone", "industry", "employees")},
    }
    if external_id:
        target["external_id"] = "source_id"
    return {
        "version": 1,
        "systems": {"src": {"kind": "sql", "url": url}, "dst": {"kind": "sql", "url": url}},
        "entities": {
            "customer": {
                "owner": "src",
                "fields": {
                    "name": {"type": "string", "required": True},
                    "email": "string",
                    "phone": "string",
                    "industry": "string",
                    "employees": "integer",
                },
                "match": [{"fields": ["email"], "normalize": ["email"]}],
                "bindings": {
                    "src": {
                        "table": "src_customer",
                        "fields": {
                            f: f for f in ("name", "email", "phone", "industry", "employees")
                        },
                    },
                    "dst": target,
                },
            }
        },
        "run": {
            "ledger": f"sqlite:///{directory / 'ledger.db'}",
            "reports": str(directory / "reports"),
        },
    }


def prepare(admin_url: str, rows: int, case: str) -> str:
    """A fresh scratch database with the source table filled and the target as ``case``
    wants it; its URL."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    finally:
        admin.dispose()
    url = sa.make_url(admin_url).set(database=DATABASE).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(SOURCE_DDL))
            conn.execute(sa.text(TARGET_DDL))
            conn.execute(sa.text(FILL_SOURCE), {"n": rows})
            if case == "match":
                conn.execute(sa.text(COPY_TO_TARGET))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()
    return url


def drop(admin_url: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    finally:
        admin.dispose()


def run_case(admin_url: str, rows: int, case: str) -> dict[str, Any]:
    url = prepare(admin_url, rows, case)
    with tempfile.TemporaryDirectory(prefix="lockstep-memory-bench-") as scratch:
        directory = Path(scratch)
        path = directory / "lockstep.yaml"
        path.write_text(yaml.safe_dump(config(url, directory, external_id=case == "empty")))
        command = [sys.executable, "-m", "lockstep", "migrate", "-c", str(path), "--json"]
        out, err = directory / "stdout", directory / "stderr"
        started = time.perf_counter()
        with out.open("w") as stdout, err.open("w") as stderr:
            child = subprocess.Popen(command, stdout=stdout, stderr=stderr)
            _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        child.returncode = code
        stdout_text, stderr_text = out.read_text(), err.read_text()
    drop(admin_url)
    if code != 0:
        raise SystemExit(f"{case}: exit {code}\n{stderr_text[-4000:]}")
    summary = json.loads(stdout_text)
    return {
        "wall_s": round(wall, 1),
        "records_per_s": round(rows / wall),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),  # this child's, threads and all
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "status": summary["status"],
        "counts": {k: v for k, v in summary["counts"].items() if v},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--database-url", default=ADMIN_URL, help="a database to connect to")
    args = parser.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; expected {', '.join(CASES)}")
    out: dict[str, Any] = {"rows": args.rows}
    for case in cases:
        out[case] = run_case(args.database_url, args.rows, case)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
