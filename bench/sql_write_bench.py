"""SQL write benchmark: ``lockstep migrate`` from one table into an empty one, beside
the database's own fastest copy of the same rows, in the same run.

For each dialect asked (PostgreSQL, MariaDB, SQLite), in one database: a source table
``bench_src (id bigint primary key, name, email, phone, industry, employees)`` of N
rows, and a target ``bench_dst`` with its own key, the same five columns, ``src_id``
(the external id: the source's key, as migrate writes it) and ``gid`` (the global id).

- ``reference``: the rows copied by the database's own bulk path, ``bench_dst``
  emptied first: PostgreSQL a COPY pipe (``COPY (SELECT ...) TO STDOUT`` streamed into
  ``COPY bench_dst (...) FROM STDIN`` through psycopg, on two connections); MariaDB
  the ``mariadb`` client's batch output piped into ``LOAD DATA LOCAL INFILE``; SQLite
  ``INSERT INTO bench_dst SELECT ... FROM bench_src`` in one transaction (no client
  round trip at all: a floor rather than a peer).
- ``lockstep``: ``bench_dst`` emptied, a fresh ledger, then ``python -m lockstep
  migrate`` as its own process: wall seconds, the child's peak RSS, and the
  statements lockstep sent to each side (the summary's ``api_calls``), per 1,000 rows.

Prints one JSON object. Run from the repository's root:

    .venv/bin/python -m bench.sql_write_bench [--rows 100000] [--dialects postgres,mariadb,sqlite]
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

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"
COLUMNS = "name, email, phone, industry, employees"

# ``python -m lockstep``, writing its own peak RSS to $BENCH_RSS_FILE as it exits
MEASURED = """
import atexit, os, resource, runpy, sys
def _rss():
    with open(os.environ["BENCH_RSS_FILE"], "w") as out:
        out.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
atexit.register(_rss)
sys.argv = ["lockstep", *sys.argv[1:]]
runpy.run_module("lockstep", run_name="__main__")
"""

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
        table: bench_src
        key: id
        fields: {{name: name, email: email, phone: phone, industry: industry, employees: employees}}
      dst:
        table: bench_dst
        key: id
        external_id: src_id
        global_id_field: gid
        fields: {{name: name, email: email, phone: phone, industry: industry, employees: employees}}
run:
  ledger: "sqlite:///{ledger}"
  reports: "{reports}"
"""


def tables(dialect: str) -> tuple[str, str]:
    """(source DDL, target DDL) for ``dialect``."""
    text = "text" if dialect != "mariadb" else "varchar(100)"
    key = {
        "postgres": "bigserial primary key",
        "mariadb": "bigint auto_increment primary key",
        "sqlite": "integer primary key",
    }[dialect]
    src = (
        f"create table bench_src (id bigint primary key, name {text}, email {text}, "
        f"phone {text}, industry {text}, employees int)"
    )
    dst = (
        f"create table bench_dst (id {key}, name {text}, email {text}, phone {text}, "
        f"industry {text}, employees int, src_id varchar(40) unique, gid varchar(40))"
    )
    return src, dst


def prepare(engine: sa.Engine, dialect: str, rows: int) -> None:
    src, dst = tables(dialect)
    with engine.begin() as conn:
        conn.exec_driver_sql("drop table if exists bench_src")
        conn.exec_driver_sql("drop table if exists bench_dst")
        conn.exec_driver_sql(src)
        conn.exec_driver_sql(dst)
    page = 20_000
    insert = sa.text(
        "insert into bench_src (id, name, email, phone, industry, employees) "
        "values (:id, :name, :email, :phone, :industry, :employees)"
    )
    for start in range(1, rows + 1, page):
        batch = [
            {
                "id": i,
                "name": f"Company {i}",
                "email": f"contact{i}@example.org",
                "phone": f"+1 555 {i % 10_000:04}",
                "industry": ("Technology", "Retail", "Finance")[i % 3],
                "employees": i % 5_000,
            }
            for i in range(start, min(start + page, rows + 1))
        ]
        with engine.begin() as conn:
            conn.execute(insert, batch)


def empty_target(engine: sa.Engine, dialect: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "delete from bench_dst" if dialect == "sqlite" else "truncate bench_dst"
        )


def reference(engine: sa.Engine, dialect: str, url: str) -> float:
    """Seconds for the database's own copy of the rows into ``bench_dst``."""
    empty_target(engine, dialect)
    started = time.perf_counter()
    if dialect == "postgres":
        import psycopg

        dsn = "postgresql://postgres@127.0.0.1:5432/test"
        with psycopg.connect(dsn) as reader, psycopg.connect(dsn) as writer:
            out = f"COPY (SELECT id, {COLUMNS} FROM bench_src) TO STDOUT"
            into = f"COPY bench_dst (src_id, {COLUMNS}) FROM STDIN"
            with (
                reader.cursor().copy(out) as source,
                writer.cursor().copy(into) as target,
            ):
                for block in source:
                    target.write(block)
    elif dialect == "mariadb":
        select = f"SELECT id, {COLUMNS} FROM bench_src"
        load = f"LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE bench_dst (src_id, {COLUMNS})"
        client = ["mariadb", "-uroot", "-h127.0.0.1", "test"]
        dump = subprocess.Popen([*client, "-N", "-B", "-e", select], stdout=subprocess.PIPE)
        subprocess.run([*client, "--local-infile=1", "-e", load], stdin=dump.stdout, check=True)
        assert dump.stdout is not None
        dump.stdout.close()
        if dump.wait() != 0:
            raise RuntimeError("mariadb select failed")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO bench_dst (src_id, {COLUMNS}) SELECT id, {COLUMNS} FROM bench_src"
            )
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        copied = conn.exec_driver_sql("select count(*) from bench_dst").scalar_one()
    return seconds if copied else float("nan")


def lockstep_migrate(engine: sa.Engine, dialect: str, url: str, rows: int) -> dict[str, Any]:
    empty_target(engine, dialect)
    work = Path(tempfile.mkdtemp(prefix="lockstep-sqlbench-"))
    try:
        config = work / "lockstep.yaml"
        config.write_text(
            CONFIG.format(url=url, ledger=work / "ledger.db", reports=work / "reports")
        )
        rss = work / "rss"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", MEASURED, "migrate", "-c", str(config), "--json"],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "200", "BENCH_RSS_FILE": str(rss)},
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"migrate exited {done.returncode}:\n{done.stderr[-3000:]}")
        summary = json.loads(done.stdout)
        with engine.connect() as conn:
            written = conn.exec_driver_sql("select count(*) from bench_dst").scalar_one()
        calls = summary.get("api_calls", {})
        return {
            "seconds": round(seconds, 2),
            "records_per_s": round(rows / seconds),
            "created": summary["counts"]["created"],
            "rows_in_target": written,
            "statements": calls,
            "target_statements_per_1000_rows": round(calls.get("dst", 0) * 1000 / rows, 1),
            "peak_rss_mb": round(int(rss.read_text()) / 1024),  # ru_maxrss: KiB on Linux
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dialects", default="postgres,mariadb,sqlite")
    args = parser.parse_args()
    results: dict[str, Any] = {"rows": args.rows}
    work = Path(tempfile.mkdtemp(prefix="lockstep-sqlbench-db-"))
    try:
        for dialect in args.dialects.split(","):
            url = {
                "postgres": POSTGRES,
                "mariadb": MARIADB,
                "sqlite": f"sqlite:///{work / 'bench.db'}",
            }[dialect]
            engine = sa.create_engine(url)
            try:
                prepare(engine, dialect, args.rows)
                ref = reference(engine, dialect, url)
                ours = lockstep_migrate(engine, dialect, url, args.rows)
                ours["ratio_to_reference"] = round(ours["seconds"] / ref, 1)
                results[dialect] = {"reference_seconds": round(ref, 3), "lockstep": ours}
                with engine.begin() as conn:
                    conn.exec_driver_sql("drop table bench_src")
                    conn.exec_driver_sql("drop table bench_dst")
            finally:
                engine.dispose()
            print(json.dumps({dialect: results[dialect]}), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
