"""Reconcile benchmark: ``lockstep reconcile`` of two PostgreSQL tables of N rows each,
beside reladiff on the same tables, in the same run.

Tables ``bench_rc_src`` and ``bench_rc_dst``, ``(id bigint primary key, name, email,
phone, industry, employees)``, filled with the same N rows, then drifted in the
target by 0.67 % of N (a third each): rows deleted (missing), rows changed (a field
mismatch), rows added that nothing links (extra). The ledger links every row of the
source to the row of the same id in the target, as a migrate would have (written
straight into a fresh SQLite ledger, so that setting up a million links takes
seconds, not a migrate).

- ``lockstep``: ``python -m lockstep reconcile --json`` as its own process: wall
  seconds, the process's peak RSS, and the findings by class.
- ``reladiff`` (if a ``reladiff`` command is given with ``--reladiff``, e.g. from its
  own venv: ``python3 -m venv /tmp/rdvenv && /tmp/rdvenv/bin/pip install
  'reladiff[postgresql]'``): ``reladiff <db> bench_rc_src <db> bench_rc_dst -k id -c
  name,email,phone,industry,employees --threads 2 --stats``: wall seconds and peak
  RSS, the same way.

Prints one JSON object. Run from the repository's root:

    .venv/bin/python -m bench.reconcile_bench [--rows 100000] [--reladiff /tmp/rdvenv/bin/reladiff]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lockstep.ledger import Ledger

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PLAIN = "postgresql://postgres@127.0.0.1:5432/test"

CONFIG = """\
version: 1
systems:
  src: {{kind: sql, url: "{url}"}}
  dst: {{kind: sql, url: "{url}"}}
entities:
  account:
    owner: src
    fields: {{name: string, email: string, phone: string, industry: string, employees: integer}}
    bindings:
      src:
        table: bench_rc_src
        key: id
        fields: {{name: name, email: email, phone: phone, industry: industry, employees: employees}}
      dst:
        table: bench_rc_dst
        key: id
        fields: {{name: name, email: email, phone: phone, industry: industry, employees: employees}}
run:
  ledger: "sqlite:///{ledger}"
  reports: "{reports}"
"""

# runs its arguments as a command and writes the child's peak RSS to $BENCH_RSS_FILE
MEASURED = """
import os, resource, subprocess, sys
code = subprocess.run(sys.argv[1:], check=False).returncode
with open(os.environ["BENCH_RSS_FILE"], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def prepare(engine: sa.Engine, rows: int) -> dict[str, int]:
    """Both tables, the same rows, then the drift in the target; its counts."""
    with engine.begin() as conn:
        for table in ("bench_rc_src", "bench_rc_dst"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            conn.exec_driver_sql(
                f"CREATE TABLE {table} (id bigint primary key, name text, email text, "
                "phone text, industry text, employees int)"
            )
            conn.exec_driver_sql(
                f"INSERT INTO {table} SELECT i, 'Company ' || i, 'contact' || i || "
                "'@example.org', '+1 555 ' || lpad((i %% 10000)::text, 4, '0'), "
                "(ARRAY['Technology','Retail','Finance'])[i %% 3 + 1], i %% 5000 "
                f"FROM generate_series(1, {rows}) i"
            )
        share = max(1, round(rows * 0.0067 / 3))
        step = rows // share
        conn.exec_driver_sql(f"DELETE FROM bench_rc_dst WHERE id %% {step} = 0")
        conn.exec_driver_sql(
            f"UPDATE bench_rc_dst SET name = name || ' (changed)' WHERE id %% {step} = 1"
        )
        conn.exec_driver_sql(
            "INSERT INTO bench_rc_dst SELECT i, 'Stray ' || i, NULL, NULL, NULL, 0 "
            f"FROM generate_series({rows + 1}, {rows + share}) i"
        )
        conn.exec_driver_sql("ANALYZE bench_rc_src")
        conn.exec_driver_sql("ANALYZE bench_rc_dst")
    with engine.connect() as conn:
        changed = conn.exec_driver_sql(
            "SELECT count(*) FROM bench_rc_dst WHERE name LIKE '%% (changed)'"
        ).scalar_one()
    return {"missing": rows // step, "changed": changed, "extra": share}


def link(ledger_url: str, rows: int) -> None:
    """Every source row linked to the target row of its id, as migrate leaves them."""
    ledger = Ledger.open(ledger_url)
    try:
        page = 50_000
        for start in range(1, rows + 1, page):
            ids = range(start, min(start + page, rows + 1))
            gids = {i: ledger.new_global_id() for i in ids}
            for system in ("src", "dst"):
                ledger.link_new("account", system, [(gids[i], str(i)) for i in ids])
    finally:
        ledger.close()


def measured(command: list[str], env: dict[str, str], rss: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, *command],
        capture_output=True,
        text=True,
        env={**env, "BENCH_RSS_FILE": str(rss)},
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds, round(int(rss.read_text()) / 1024), done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reladiff", help="the reladiff command, for the side-by-side run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lockstep-rcbench-"))
    engine = sa.create_engine(POSTGRES)
    try:
        drift = prepare(engine, args.rows)
        ledger_url = f"sqlite:///{work / 'ledger.db'}"
        started = time.perf_counter()
        link(ledger_url, args.rows)
        linked = time.perf_counter() - started
        config = work / "lockstep.yaml"
        config.write_text(CONFIG.format(url=POSTGRES, ledger=work / "ledger.db", reports=work))
        env = {**os.environ, "COLUMNS": "200"}
        command = [sys.executable, "-m", "lockstep", "reconcile", "-c", str(config), "--json"]
        seconds, rss, out = measured(command, env, work / "rss")
        summary = json.loads(out)
        results: dict[str, Any] = {
            "rows_per_side": args.rows,
            "drift": drift,
            "setup_link_seconds": round(linked, 1),
            "lockstep": {
                "seconds": round(seconds, 2),
                "peak_rss_mb": rss,
                "findings": {k: v for k, v in summary.get("findings", {}).items() if v},
                "counts": {k: v for k, v in summary["counts"].items() if v},
            },
        }
        if args.reladiff:
            rd = [args.reladiff, PLAIN, "bench_rc_src", PLAIN, "bench_rc_dst", "-k", "id"]
            for column in ("name", "email", "phone", "industry", "employees"):
                rd += ["-c", column]
            rd += ["--threads", "2", "--stats"]
            seconds, rss, out = measured(rd, env, work / "rss-rd")
            results["reladiff"] = {
                "seconds": round(seconds, 2),
                "peak_rss_mb": rss,
                "stats": [line for line in out.splitlines() if " rows " in line],
            }
            results["ratio"] = round(results["lockstep"]["seconds"] / seconds, 1)
        print(json.dumps(results, indent=2))
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS bench_rc_src")
            conn.exec_driver_sql("DROP TABLE IF EXISTS bench_rc_dst")
        engine.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
