"""lockstep migrate beside a naive per-record loop and CumulusCI, on one 10k dataset.

The dataset is ``migrate_bench.generate``'s AMS database at 3,334 companies and 6,666
individuals (10,000 records), each individual employed by one company. Every contender
loads it into its own fresh emulator org (examples/ams-migration/org.yaml) and must
leave the same thing there: 3,334 Accounts, 6,666 Contacts, each Contact's
``AccountId`` the Account of its employer (checked with SOQL after each run, every
record, together with ``External_Id__c``, the name and the e-mail).

- ``lockstep``: ``lockstep.migrate.run.run`` in this process (as migrate_bench.py;
  Bulk API 2.0 from 2,000 records), which also matches, keeps its ledger and writes
  the Salesforce ids and sync status back into the database.
- ``lockstep_cli``: the same, as ``lockstep migrate --json`` in a child process:
  interpreter start-up and imports included, like the CumulusCI figure.
- ``lockstep_rest``: ``lockstep`` with ``bulk_threshold`` above the dataset's size, so
  it writes through sObject Collections (200 a call), as ``cumulusci_rest`` does.
- ``naive``: simple-salesforce, one call per record: ``sf.Account.create`` for each
  company, then ``sf.Contact.create`` for each individual with the id its employer got.
  Nothing is written back and nothing is matched.
- ``cumulusci_rest`` / ``cumulusci_smart``: CumulusCI 4.10.1's ``cci task run
  load_dataset`` (bench/peers/.venv, as bench/peers/cumulusci_load_extract.py drives
  it) on a mapping file (bench/peers/ams_mapping.yml) and a SQLite dataset in
  CumulusCI's layout made from the same database beforehand (not timed): ``api: rest``
  (sObject Collections, 200 a call) and CumulusCI's default ``smart`` (Bulk API 1.0
  from 2,000 records).

Each gets wall time, records/s and the API calls the emulator counted
(``/_emulator/stats``; ``total`` leaves out OAuth token calls, which Salesforce does not
count against the API allocation). ``ratios`` compare lockstep with each peer. Prints
one JSON object.

    .venv/bin/python bench/migrate_vs_peers.py [--accounts 3334] [--contacts 6666]
        [--contenders lockstep,lockstep_cli,lockstep_rest,naive,cumulusci_rest,cumulusci_smart]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, EmulatorProcess, connect, start_emulator

from lockstep.config.loader import load_config
from lockstep.migrate.run import Options, run
from migrate_bench import (
    EXAMPLE,
    REPO,
    Timeline,
    environment,
    generate,
    stats_delta,
    vm_hwm_mb,
    write_config,
)

PEERS = REPO / "bench" / "peers"
PEER_PYTHON = PEERS / ".venv" / "bin" / "python"
CCI_MAPPING = PEERS / "ams_mapping.yml"
LOCKSTEPS = ("lockstep", "lockstep_cli", "lockstep_rest")
PEER_NAMES = ("naive", "cumulusci_rest", "cumulusci_smart")
CONTENDERS = (*LOCKSTEPS, *PEER_NAMES)
MEMBER_TYPES = {"CORP": "Corporate", "ASSOC": "Association", "NONMEMBER": "Non-member"}


# -- the dataset, as each contender reads it ----------------------------------------------


def companies(db: Path) -> list[dict[str, Any]]:
    """The companies as Account field values (what every contender must write)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT company_id, company_name, city, country, phone, website, member_type, "
            "annual_dues FROM company ORDER BY company_id"
        ).fetchall()
    conn.close()
    return [
        {
            "External_Id__c": str(r[0]),
            "Name": r[1],
            "BillingCity": r[2],
            "BillingCountry": r[3],
            "Phone": r[4],
            "Website": r[5],
            "Member_Type__c": MEMBER_TYPES[r[6]],
            "Annual_Dues__c": float(r[7]),
        }
        for r in rows
    ]


def individuals(db: Path) -> list[dict[str, Any]]:
    """The individuals as Contact field values, ``employer`` the company's key."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT customer_id, first_name, last_name, email, phone, title, employer_id "
            "FROM individual ORDER BY customer_id"
        ).fetchall()
    conn.close()
    return [
        {
            "External_Id__c": str(r[0]),
            "FirstName": r[1],
            "LastName": r[2],
            "Email": r[3],
            "Phone": r[4],
            "Title": r[5],
            "employer": str(r[6]),
        }
        for r in rows
    ]


def cci_dataset(db: Path, path: Path) -> None:
    """The same records in CumulusCI's dataset layout: a table per object, an ``id``
    column, Salesforce field names, and the Contact's ``AccountId`` holding the Account
    row's ``id``."""
    accounts, contacts = companies(db), individuals(db)
    out = sqlite3.connect(path)
    a_cols = list(accounts[0])
    c_cols = [c for c in contacts[0] if c != "employer"]
    out.execute(
        'CREATE TABLE "Account" (id VARCHAR(255) PRIMARY KEY, '
        + ", ".join(f'"{c}" VARCHAR(255)' for c in a_cols)
        + ")"
    )
    out.execute(
        'CREATE TABLE "Contact" (id VARCHAR(255) PRIMARY KEY, '
        + ", ".join(f'"{c}" VARCHAR(255)' for c in c_cols)
        + ', "AccountId" VARCHAR(255))'
    )
    out.executemany(
        f'INSERT INTO "Account" VALUES ({", ".join("?" * (len(a_cols) + 1))})',
        [[f"Account-{a['External_Id__c']}", *(_text(a[c]) for c in a_cols)] for a in accounts],
    )
    out.executemany(
        f'INSERT INTO "Contact" VALUES ({", ".join("?" * (len(c_cols) + 2))})',
        [
            [
                f"Contact-{c['External_Id__c']}",
                *(_text(c[k]) for k in c_cols),
                f"Account-{c['employer']}",
            ]
            for c in contacts
        ],
    )
    out.commit()
    out.close()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


# -- measuring ----------------------------------------------------------------------------


@contextmanager
def fresh_org(work: Path) -> Iterator[tuple[EmulatorProcess, AdminClient]]:
    with start_emulator("--schema", str(work / "org.yaml"), timeout=60) as process:
        admin = AdminClient.for_info(process.info)
        try:
            yield process, admin
        finally:
            admin.close()


def measure(
    process: EmulatorProcess, admin: AdminClient, records: int, go: Callable[[], Any]
) -> dict[str, Any]:
    before = admin.stats()
    started = time.perf_counter()
    extra = go()
    seconds = time.perf_counter() - started
    calls = stats_delta(before, admin.stats())
    out: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "records_per_s": round(records / seconds),
        "api_calls": calls["total"],
        "api_calls_by_family": calls["by_family"],
        "api_calls_by_route": calls["by_route"],
        "emulator_peak_rss_mb": vm_hwm_mb(process.pid),
        "load_average": round(os.getloadavg()[0], 2),
    }
    if extra:
        out.update(extra)
    return out


def verify(info: EmulatorInfo, db: Path) -> list[str]:
    """Every Account and Contact as the database says, each Contact under its employer."""
    sf: Any = connect(info)
    problems: list[str] = []
    want_a = {a["External_Id__c"]: a["Name"] for a in companies(db)}
    got_a = {
        r["External_Id__c"]: r["Name"]
        for r in sf.query_all("SELECT External_Id__c, Name FROM Account")["records"]
    }
    if got_a != want_a:
        problems.append(f"Accounts: {len(got_a)} in the org, {len(want_a)} expected, or differ")
    want_c = {c["External_Id__c"]: (c["Email"], c["employer"]) for c in individuals(db)}
    rows = sf.query_all("SELECT External_Id__c, Email, Account.External_Id__c FROM Contact")
    got_c = {
        r["External_Id__c"]: (r["Email"], (r.get("Account") or {}).get("External_Id__c"))
        for r in rows["records"]
    }
    if got_c != want_c:
        wrong = sum(got_c.get(k) != v for k, v in want_c.items())
        problems.append(f"Contacts: {len(got_c)} in the org, {wrong} of {len(want_c)} wrong")
    return problems


# -- the contenders -----------------------------------------------------------------------


def run_lockstep(work: Path, db: Path, records: int, how: str) -> dict[str, Any]:
    config = write_config(work)
    cli = how == "lockstep_cli"
    if how == "lockstep_rest":  # every write group below the threshold: Collections
        text = config.read_text().replace("bulk_threshold: 2000", f"bulk_threshold: {records + 1}")
        config.write_text(text)
    with fresh_org(work) as (process, admin):
        env = environment(process.info, db)

        def in_process() -> dict[str, Any]:
            timeline = Timeline()
            summary = run(load_config(config, environ=env), Options("migrate"), progress=timeline)
            return {
                "counts": summary.counts.as_dict(),
                "summary_api_calls": summary.api_calls,
                "timeline": [(s["stage"], s["seconds"]) for s in timeline.finish()],
            }

        def child() -> dict[str, Any]:
            lockstep = str(REPO / ".venv" / "bin" / "lockstep")
            done = subprocess.run(
                [lockstep, "migrate", "-c", str(config), "--json"],
                env={**os.environ, **env},
                capture_output=True,
                timeout=900,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"lockstep migrate exited {done.returncode}: {done.stderr!r}")
            summary = json.loads(done.stdout)
            return {"counts": summary["counts"], "summary_api_calls": summary["api_calls"]}

        out = measure(process, admin, records, child if cli else in_process)
        out["problems"] = verify(process.info, db)
    return out


def run_naive(work: Path, db: Path, records: int) -> dict[str, Any]:
    with fresh_org(work) as (process, admin):
        sf: Any = connect(process.info)

        def loop() -> None:
            account_of: dict[str, str] = {}
            for account in companies(db):
                account_of[account["External_Id__c"]] = sf.Account.create(account)["id"]
            for contact in individuals(db):
                fields = {k: v for k, v in contact.items() if k != "employer"}
                sf.Contact.create({**fields, "AccountId": account_of[contact["employer"]]})

        out = measure(process, admin, records, loop)
        out["problems"] = verify(process.info, db)
    return out


def cci_project(work: Path, api: str) -> tuple[Path, Path]:
    """A throw-away CumulusCI project (a git repository) and its HOME."""
    project = work / f"cci-{api}"
    (project / "datasets").mkdir(parents=True)
    (project / "cumulusci.yml").write_text(
        'minimum_cumulusci_version: "4.0.0"\nproject:\n    name: LockstepBench\n'
        '    package:\n        name: LockstepBench\n        api_version: "62.0"\n'
    )
    mapping = CCI_MAPPING.read_text()
    if api != "smart":
        mapping = re.sub(r"(?m)^(    sf_object: .*\n)", rf"\1    api: {api}\n", mapping)
    (project / "datasets" / "mapping.yml").write_text(mapping)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    home = work / f"cci-{api}-home"
    (home / ".cumulusci").mkdir(parents=True)
    # Skip the once-an-hour "is there a newer CumulusCI on PyPI" call.
    (home / ".cumulusci" / "cumulus_timestamp").write_text(str(time.time()))
    return project, home


def run_cci(work: Path, db: Path, records: int, api: str) -> dict[str, Any]:
    if not PEER_PYTHON.exists():
        return {"skipped": "bench/peers/.venv is missing: run `bash bench/peers/setup.sh`"}
    dataset = work / "cci-dataset.db"
    if not dataset.exists():
        cci_dataset(db, dataset)
    project, home = cci_project(work, api)
    log = work / f"cci-{api}.log"
    with fresh_org(work) as (process, admin):
        info = process.info
        org = {
            "instance_url": info.instance_url,
            "refresh_token": info.refresh_token,
            "client_id": info.client_id,
            "client_secret": info.client_secret,
            "username": info.username,
        }
        env = {**os.environ, "HOME": str(home), "CUMULUSCI_KEY": "lockstep-peers16"}
        env.update(REQUESTS_CA_BUNDLE=info.ca_cert, SSL_CERT_FILE=info.ca_cert)
        env.pop("CURL_CA_BUNDLE", None)
        env["CUMULUSCI_ORG_emulator"] = json.dumps(org)
        command = [
            str(PEER_PYTHON), str(PEERS / "cci_run.py"), "task", "run", "load_dataset",
            "--org", "emulator", "-o", "mapping", "datasets/mapping.yml",
            "-o", "database_url", f"sqlite:///{work / f'cci-{api}.db'}",
        ]  # fmt: skip
        # CumulusCI writes its id tables into the dataset: each run gets its own copy.
        (work / f"cci-{api}.db").write_bytes(dataset.read_bytes())

        def load() -> None:
            with log.open("wb") as out:
                done = subprocess.run(
                    command, stdout=out, stderr=out, env=env, cwd=project, timeout=1800
                )
            if done.returncode != 0:
                tail = log.read_text(errors="replace").splitlines()[-30:]
                raise RuntimeError(
                    f"cci load_dataset exited {done.returncode}:\n" + "\n".join(tail)
                )

        out = measure(process, admin, records, load)
        out["problems"] = verify(info, db)
    return out


def peer_startup_seconds() -> float | None:
    """How long ``cci`` takes to start (``cci version``), part of each CumulusCI figure."""
    if not PEER_PYTHON.exists():
        return None
    started = time.perf_counter()
    subprocess.run(
        [str(PEER_PYTHON), str(PEERS / "cci_run.py"), "version"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return round(time.perf_counter() - started, 2)


def ratios(out: dict[str, Any]) -> dict[str, Any]:
    """lockstep against each peer: time and calls as lockstep's share of the peer's, and
    how many times the peer's records/s lockstep reaches."""
    result: dict[str, Any] = {}
    pairs = [("lockstep", name) for name in PEER_NAMES]
    pairs += [
        ("lockstep_cli", "cumulusci_rest"),
        ("lockstep_cli", "cumulusci_smart"),
        ("lockstep_rest", "cumulusci_rest"),
    ]
    for mine_name, peer_name in pairs:
        ours, peer = out.get(mine_name), out.get(peer_name)
        if ours and peer and "seconds" in ours and "seconds" in peer:
            result[f"{mine_name}:{peer_name}"] = {
                "records_per_s_x": round(ours["records_per_s"] / peer["records_per_s"], 1),
                "wall_time": round(ours["seconds"] / peer["seconds"], 3),
                "api_calls": round(ours["api_calls"] / peer["api_calls"], 4),
            }
    return result


def bench(args: argparse.Namespace) -> dict[str, Any]:
    records = args.accounts + args.contacts
    out: dict[str, Any] = {
        "dataset": {"Account": args.accounts, "Contact": args.contacts, "total": records},
        "contenders": args.contenders,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="lockstep-vs-peers-") as tmp:
        work = Path(tmp)
        db = work / "ams.db"
        (work / "org.yaml").write_text((EXAMPLE / "org.yaml").read_text())
        for name in args.contenders:
            generate(db, args.accounts, args.contacts)  # fresh: lockstep writes back into it
            try:
                if name in LOCKSTEPS:
                    (work / "ledger.db").unlink(missing_ok=True)
                    shutil.rmtree(work / "reports", ignore_errors=True)
                    out[name] = run_lockstep(work, db, records, name)
                elif name == "naive":
                    out[name] = run_naive(work, db, records)
                else:
                    out[name] = run_cci(work, db, records, name.split("_", 1)[1])
            except Exception as exc:  # one contender failing must not hide the others
                out[name] = {"error": f"{type(exc).__name__}: {exc}"}
        if any(n.startswith("cumulusci") for n in args.contenders):
            out["cumulusci_startup_seconds"] = peer_startup_seconds()
    out["ratios"] = ratios(out)
    out["ok"] = all(not out[n].get("problems") and "error" not in out[n] for n in args.contenders)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=3334)
    parser.add_argument("--contacts", type=int, default=6666)
    parser.add_argument(
        "--contenders",
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        default=list(CONTENDERS),
        help=f"comma-separated, of {', '.join(CONTENDERS)}",
    )
    args = parser.parse_args(argv)
    unknown = [c for c in args.contenders if c not in CONTENDERS]
    if unknown:
        parser.error(f"unknown contender(s): {', '.join(unknown)}")
    result = bench(args)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
