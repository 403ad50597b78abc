"""Sync benchmark: a service app's SQL table and a Salesforce org, both ways.

The sync tests' world (``tests/support/sync_world.py``), its customers only: a SQLite
table ``customers`` (owned by the app; ``phone`` owned by Salesforce) bound to
``Account`` in a fresh emulator org of the tests' schema, with trigger capture on the
table, SystemModstamp polling in the org, the Salesforce id, global id and sync status
written back. Each section is one ``sync_once`` pass (the code behind
``lockstep sync --once``):

- ``install``: the first pass on empty sides (installs the triggers);
- ``inserts``: N rows inserted in the app, then one pass: N Accounts created (Bulk 2.0
  above 2,000), ids and status written back;
- ``echo``: the next pass reads back lockstep's own writes (the write-back in the app,
  the creates in the org) and must write nothing to Salesforce;
- ``updates``: N/10 phones edited in Salesforce, then one pass: N/10 rows updated in
  the app;
- ``updates_echo``: the next pass reads back the app's updated rows, writes nothing;
- ``quiet``: a pass with nothing to do;
- ``reconcile``: ``lockstep reconcile`` (no ``--apply``) over both sides, which agree.

For each: wall seconds, records/s where records were written, the summary's counts and
API calls as lockstep counted them, and the emulator's own count of write calls.
Prints one JSON object. Run it from the repository's root, as a module (so that
``tests.support`` is importable):

    .venv/bin/python -m bench.sync_bench [--rows 10000] [--no-in-progress]

``--no-in-progress`` sets the app's status to ``in_progress_on_change: false``: the
status is then written once a change is carried (or while it waits), not also when it
is taken up, which is the work a pass did before that rule.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import connect, start_emulator

from lockstep.config.loader import LoadedConfig
from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
from lockstep.reports.progress import Progress
from lockstep.sync.run import Options, sync_once
from tests.support.looks import data_writes
from tests.support.sync_world import CLIENT_SECRET, ORG_SCHEMA, World, config_of, create_app


def org_writes(admin: AdminClient) -> int:
    return sum(data_writes(admin.stats()).values())


def section(loaded: LoadedConfig, admin: AdminClient, written: str | None) -> dict[str, Any]:
    admin.reset_stats()
    started = time.perf_counter()
    summary = sync_once(loaded, Options(), progress=Progress())
    seconds = time.perf_counter() - started
    counts = summary.counts.as_dict()
    out: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "status": summary.status,
        "counts": {k: v for k, v in counts.items() if v},
        "api_calls": summary.api_calls,
        "org_write_calls": org_writes(admin),
    }
    if written is not None and counts[written]:
        out["records_per_second"] = round(counts[written] / seconds)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--no-in-progress", action="store_true", help="in_progress_on_change: false"
    )
    args = parser.parse_args(argv)
    rows: int = args.rows
    with (
        tempfile.TemporaryDirectory() as scratch,
        start_emulator("--schema", str(ORG_SCHEMA), "--client-secret", CLIENT_SECRET) as emulator,
        requests.Session() as http,
    ):
        work = Path(scratch)
        info = emulator.info
        http.verify, http.trust_env = info.ca_cert, False
        admin = AdminClient.for_info(info)
        database = work / "app.db"
        world = World(work, f"sqlite:///{database}", info, connect(info, http), admin)
        create_app(world.sql_url)
        world.config = config_of(info, world.sql_url, work)
        world.config["entities"] = {"customer": world.config["entities"]["customer"]}
        if args.no_in_progress:
            app = world.config["entities"]["customer"]["bindings"]["app"]
            app["write_back"]["status"]["in_progress_on_change"] = False
        loaded = world.write_config()
        db = sqlite3.connect(database)
        out: dict[str, Any] = {
            "rows": rows,
            "in_progress_on_change": not args.no_in_progress,
            "sections": {},
        }
        sections = out["sections"]
        sections["install"] = section(loaded, admin, None)
        db.executemany(
            "INSERT INTO customers (name, phone) VALUES (?, ?)",
            ((f"Customer {i}", f"+1 555 {i:07d}") for i in range(rows)),
        )
        db.commit()
        sections["inserts"] = section(loaded, admin, "created")
        sections["echo"] = section(loaded, admin, None)
        ids = [r["Id"] for r in world.sf.query_all("SELECT Id FROM Account")["records"]]
        edits = [{"Id": i, "Phone": f"+44 20 {n:07d}"} for n, i in enumerate(ids[: rows // 10])]
        for start in range(0, len(edits), 200):
            world.sf.restful(
                "composite/sobjects",
                method="PATCH",
                json={
                    "allOrNone": False,
                    "records": [
                        {"attributes": {"type": "Account"}, **e} for e in edits[start : start + 200]
                    ],
                },
            )
        sections["updates"] = section(loaded, admin, "updated")
        sections["updates_echo"] = section(loaded, admin, None)
        sections["quiet"] = section(loaded, admin, None)
        admin.reset_stats()
        started = time.perf_counter()
        checked = reconcile(loaded, ReconcileOptions(), progress=Progress())
        sections["reconcile"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "counts": {k: v for k, v in checked.counts.as_dict().items() if v},
            "api_calls": checked.api_calls,
            "org_write_calls": org_writes(admin),
        }
        synced = db.execute(
            "SELECT COUNT(*) FROM customers WHERE sync_status = 'Success'"
        ).fetchone()[0]
        out["app_rows_synced"] = synced
        db.close()
        admin.close()
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
