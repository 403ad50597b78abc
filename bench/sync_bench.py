"""Sync benchmark: a service app's SQL table and a Salesforce org, both ways.

A SQLite table ``customer`` (owned by the app; ``phone`` owned by Salesforce) bound to
``Account`` in a fresh emulator org, with trigger capture on the table, SystemModstamp
polling in the org, the Salesforce id, global id and sync status written back. Each
section is one ``sync_once`` pass (the code behind ``lockstep sync --once``):

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
Prints one JSON object.

    .venv/bin/python bench/sync_bench.py [--rows 10000]
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
import yaml
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, connect, start_emulator

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
from lockstep.reports.progress import Progress
from lockstep.sync.run import Options, sync_once

ORG = Path(__file__).resolve().parents[1] / "examples" / "ams-migration" / "org.yaml"
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def write_config(work: Path, info: EmulatorInfo, database: Path) -> Path:
    config = {
        "version": 1,
        "systems": {
            "app": {"kind": "sql", "url": f"sqlite:///{database}"},
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
        },
        "entities": {
            "customer": {
                "owner": "app",
                "field_owners": {"phone": "crm"},
                "fields": {"name": {"type": "string", "required": True}, "phone": "string"},
                "bindings": {
                    "app": {
                        "table": "customer",
                        "key": "id",
                        "global_id_field": "gid",
                        "fields": {"name": "name", "phone": "phone"},
                        "capture": {"mode": "triggers"},
                        "write_back": {"ids": {"crm": "sf_id"}, "status": {"field": "status"}},
                    },
                    "crm": {
                        "object": "Account",
                        "external_id": "Global_Customer_Id__c",
                        "global_id_field": "Global_Customer_Id__c",
                        "fields": {"name": "Name", "phone": "Phone"},
                        "capture": {"mode": "poll"},
                    },
                },
            }
        },
        "run": {"ledger": f"sqlite:///{work / 'ledger.db'}", "reports": str(work / "reports")},
    }
    path = work / "lockstep.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def org_writes(admin: AdminClient) -> int:
    routes: dict[str, int] = admin.stats()["by_route"]
    return sum(
        n
        for route, n in routes.items()
        if route.split(" ", 1)[0] in WRITES and "/services/data/" in route
    )


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
    args = parser.parse_args(argv)
    rows: int = args.rows
    with (
        tempfile.TemporaryDirectory() as scratch,
        start_emulator("--schema", str(ORG), "--client-secret", "sync-bench") as emulator,
    ):
        work = Path(scratch)
        info = emulator.info
        admin = AdminClient.for_info(info)
        database = work / "app.db"
        db = sqlite3.connect(database)
        db.execute(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, phone TEXT, "
            "sf_id TEXT, gid TEXT, status TEXT)"
        )
        db.commit()
        loaded = load_config(write_config(work, info, database))
        out: dict[str, Any] = {"rows": rows, "sections": {}}
        sections = out["sections"]
        sections["install"] = section(loaded, admin, None)
        db.executemany(
            "INSERT INTO customer (name, phone) VALUES (?, ?)",
            ((f"Customer {i}", f"+1 555 {i:07d}") for i in range(rows)),
        )
        db.commit()
        sections["inserts"] = section(loaded, admin, "created")
        sections["echo"] = section(loaded, admin, None)
        with requests.Session() as http:
            http.verify, http.trust_env = info.ca_cert, False
            sf = connect(info, http)
            ids = [r["Id"] for r in sf.query_all("SELECT Id FROM Account")["records"]]
            edits = [{"Id": i, "Phone": f"+44 20 {n:07d}"} for n, i in enumerate(ids[: rows // 10])]
            for start in range(0, len(edits), 200):
                sf.restful(
                    "composite/sobjects",
                    method="PATCH",
                    json={
                        "allOrNone": False,
                        "records": [
                            {"attributes": {"type": "Account"}, **e}
                            for e in edits[start : start + 200]
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
        synced = db.execute("SELECT COUNT(*) FROM customer WHERE status = 'Success'").fetchone()[0]
        out["app_rows_synced"] = synced
        db.close()
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
