"""CumulusCI's ``load_dataset`` and ``extract_dataset`` against the emulator.

    bench/peers/.venv/bin/python bench/peers/cumulusci_load_extract.py \
        [--accounts 1000] [--contacts 2500] [--api rest|bulk|smart] [--keep]

What runs: the real ``cci task run load_dataset`` and ``cci task run extract_dataset``
(through ``cci_run.py``, which is the ``cci`` console script), in a throw-away CumulusCI
project, against an org that CumulusCI knows from a ``CUMULUSCI_ORG_emulator``
environment variable holding the emulator's refresh token and connected app. So
CumulusCI itself does the OAuth refresh, reads the org's identity and Organization row,
parses the mapping, describes the objects, inserts Accounts, then Contacts with their
``AccountId`` lookups resolved from the new Account ids, and extracts both back into a
SQL file, turning the ids into the dataset's own keys again.

What is checked: the org holds exactly the dataset (every field of every record,
and each Contact under the right Account), and the extracted dataset equals the
loaded one, record for record and lookup for lookup. Prints one JSON line; exits 1
on any mismatch.

``--api rest`` (the default) writes ``api: rest`` on both steps of the mapping:
sObject Collections (``composite/sobjects``, 200 records a call) to load, REST
``query``/``queryMore`` to extract. ``bulk`` and ``smart`` (CumulusCI's default, Bulk
from 2,000 records) need Bulk API 1.0 (``/services/async``), which CumulusCI speaks
through the ``salesforce-bulk`` package.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from harness import (
    Check,
    Emulator,
    PeerFailure,
    Stopwatch,
    fail,
    finish,
    run_logged,
    running_emulator,
)

HERE = Path(__file__).resolve().parent
PEER = "cumulusci"
INDUSTRIES = ["Banking", "Energy", "Retail", "Technology", "Healthcare"]
CITIES = ["Paris", "Lyon", "Zürich", "São Paulo", "", "Osaka"]

ACCOUNT_FIELDS = [
    "Name",
    "AccountNumber",
    "Industry",
    "BillingCity",
    "NumberOfEmployees",
    "AnnualRevenue",
    "Description",
]
CONTACT_FIELDS = ["FirstName", "LastName", "Email", "Title", "Birthdate", "DoNotCall"]
NUMBERS = {"NumberOfEmployees", "AnnualRevenue"}


def mapping_yaml(api: str) -> str:
    def fields(names: list[str]) -> str:
        return "".join(f"        - {n}\n" for n in names)

    api_line = "" if api == "smart" else f"    api: {api}\n"
    return (
        "Insert Account:\n    sf_object: Account\n    table: Account\n"
        f"{api_line}    fields:\n{fields(ACCOUNT_FIELDS)}"
        "Insert Contact:\n    sf_object: Contact\n    table: Contact\n"
        f"{api_line}    fields:\n{fields(CONTACT_FIELDS)}"
        "    lookups:\n        AccountId:\n            table: Account\n"
    )


def make_dataset(accounts: int, contacts: int) -> dict[str, list[dict[str, str]]]:
    """Rows as CumulusCI's SQL datasets hold them: text columns, ``id`` keys, lookups by id."""
    rng = random.Random(20261123)
    account_rows = []
    for i in range(1, accounts + 1):
        account_rows.append(
            {
                "id": f"Account-{i}",
                "Name": f"Peer Account {i:05d}",
                "AccountNumber": f"AN-{i:06d}",
                "Industry": INDUSTRIES[i % len(INDUSTRIES)],
                "BillingCity": CITIES[i % len(CITIES)],
                "NumberOfEmployees": str(rng.randint(1, 50_000)),
                "AnnualRevenue": f"{rng.randint(0, 10**9) / 100:.2f}",
                "Description": "" if i % 3 else f'Line one of {i}\nLine "two", naïve',
            }
        )
    contact_rows = []
    for i in range(1, contacts + 1):
        contact_rows.append(
            {
                "id": f"Contact-{i}",
                "FirstName": f"First{i}",
                "LastName": f"Last{i}",
                "Email": f"contact{i}@peer.example",
                "Title": "" if i % 4 == 0 else rng.choice(["CEO", "CTO", "Buyer", "Engineer"]),
                "Birthdate": f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
                "DoNotCall": "true" if i % 5 == 0 else "false",
                "AccountId": f"Account-{rng.randint(1, accounts)}",
            }
        )
    return {"Account": account_rows, "Contact": contact_rows}


def write_sql(dataset: dict[str, list[dict[str, str]]], path: Path) -> None:
    db = sqlite3.connect(":memory:")
    for table, rows in dataset.items():
        columns = list(rows[0])
        column_sql = ", ".join(f'"{c}" VARCHAR(255)' for c in columns)
        db.execute(f'CREATE TABLE "{table}" ({column_sql}, PRIMARY KEY (id))')
        db.executemany(
            f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(columns))})',
            [[r[c] for c in columns] for r in rows],
        )
    db.commit()
    path.write_text("\n".join(db.iterdump()) + "\n", encoding="utf-8")


def read_sql(path: Path) -> dict[str, list[dict[str, str]]]:
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    db.executescript(path.read_text(encoding="utf-8"))
    return {
        table: [dict(row) for row in db.execute(f'SELECT * FROM "{table}"')]
        for table in ("Account", "Contact")
    }


def same(field: str, a: Any, b: Any) -> bool:
    """Equal as the dataset means them: '' is null, numbers by value, booleans any case."""
    left = "" if a is None else str(a)
    right = "" if b is None else str(b)
    if field in NUMBERS and left and right:
        return float(left) == float(right)
    if field == "DoNotCall":
        return left.lower() == right.lower()
    return left == right


def compare(check: Check, label: str, original: dict[str, Any], other: dict[str, Any]) -> None:
    """Every field of two same-keyed record maps; at most a few mismatches reported."""
    check.equal(f"{label}: record count", len(other), len(original))
    bad = []
    for key, row in original.items():
        theirs = other.get(key)
        if theirs is None:
            bad.append(f"{key} missing")
            continue
        bad.extend(
            f"{key}.{f}: {theirs.get(f)!r} != {v!r}"
            for f, v in row.items()
            if not same(f, theirs.get(f), v)
        )
    check.true(f"{label}: every field equal", not bad, bad[:5])


def verify_org(check: Check, emulator: Emulator, dataset: dict[str, Any]) -> None:
    """The org holds the dataset, with each Contact under the Account the dataset says."""
    accounts = {r["id"]: r for r in dataset["Account"]}
    org_accounts = emulator.query_all(f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM Account")
    compare(
        check,
        "org Accounts",
        {r["AccountNumber"]: {f: r[f] for f in ACCOUNT_FIELDS} for r in dataset["Account"]},
        {r["AccountNumber"]: r for r in org_accounts},
    )
    org_contacts = emulator.query_all(
        f"SELECT {', '.join(CONTACT_FIELDS)}, Account.AccountNumber FROM Contact"
    )
    compare(
        check,
        "org Contacts",
        {
            r["Email"]: {
                **{f: r[f] for f in CONTACT_FIELDS},
                "AccountNumber": accounts[r["AccountId"]]["AccountNumber"],
            }
            for r in dataset["Contact"]
        },
        {
            r["Email"]: {**r, "AccountNumber": (r.get("Account") or {}).get("AccountNumber")}
            for r in org_contacts
        },
    )


def verify_extract(check: Check, dataset: dict[str, Any], extracted: dict[str, Any]) -> None:
    """The extracted dataset is the loaded one: same rows, and lookups to the same rows."""

    def by_key(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        number_of = {r["id"]: r["AccountNumber"] for r in data["Account"]}
        accounts = {r["AccountNumber"]: {f: r[f] for f in ACCOUNT_FIELDS} for r in data["Account"]}
        contacts = {
            r["Email"]: {
                **{f: r[f] for f in CONTACT_FIELDS},
                "AccountNumber": number_of.get(r["AccountId"]),
            }
            for r in data["Contact"]
        }
        return accounts, contacts

    accounts, contacts = by_key(dataset)
    ex_accounts, ex_contacts = by_key(extracted)
    compare(check, "extracted Accounts", accounts, ex_accounts)
    compare(check, "extracted Contacts", contacts, ex_contacts)
    check.true(
        "extracted ids are CumulusCI's local keys, not Salesforce ids",
        all(r["id"].startswith("Account-") for r in extracted["Account"]),
        [r["id"] for r in extracted["Account"][:3]],
    )


def prepare_project(work: Path, api: str, dataset: dict[str, Any]) -> Path:
    project = work / "project"
    (project / "datasets").mkdir(parents=True)
    (project / "cumulusci.yml").write_text(
        'minimum_cumulusci_version: "4.0.0"\nproject:\n    name: LockstepPeer\n'
        '    package:\n        name: LockstepPeer\n        api_version: "62.0"\n'
    )
    (project / "datasets" / "mapping.yml").write_text(mapping_yaml(api))
    write_sql(dataset, project / "datasets" / "sample.sql")
    # CumulusCI finds its project from the repository root.
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    home = work / "home" / ".cumulusci"
    home.mkdir(parents=True)
    # Skip the once-an-hour "is there a newer CumulusCI on PyPI" call.
    (home / "cumulus_timestamp").write_text(str(time.time()))
    return project


def cci_task(cci: list[str], task: str, sql_path: str) -> list[str]:
    """``cci task run TASK --org emulator`` on the mapping and a SQL dataset file."""
    options = ["-o", "mapping", "datasets/mapping.yml", "-o", "sql_path", sql_path]
    return [*cci, "task", "run", task, "--org", "emulator", *options]


def organization_has_namespace_field(emulator: Emulator) -> bool:
    describe = emulator.call("GET", "sobjects/Organization/describe").json()
    return any(f["name"] == "NamespacePrefix" for f in describe["fields"])


def run(args: argparse.Namespace) -> int:
    dataset = make_dataset(args.accounts, args.contacts)
    work = Path(tempfile.mkdtemp(prefix="lockstep-peer-cci-"))
    check, clock = Check(), Stopwatch()
    summary: dict[str, Any] = {
        "peer": PEER,
        "peer_version": version("cumulusci"),
        "tasks": ["load_dataset", "extract_dataset"],
        "api": args.api,
    }
    try:
        project = prepare_project(work, args.api, dataset)
        with running_emulator() as emulator:
            info = emulator.info
            org = {
                k: info[k]
                for k in ("instance_url", "refresh_token", "client_id", "client_secret", "username")
            }
            env = emulator.peer_env(
                HOME=str(work / "home"),
                CUMULUSCI_KEY="lockstep-peers16",  # 16 chars: no OS keyring needed
                CUMULUSCI_ORG_emulator=json.dumps(org),
            )
            workarounds = []
            cci = [sys.executable, str(HERE / "cci_run.py")]
            if not organization_has_namespace_field(emulator):
                cci.append("--org-info-without-namespace")
                workarounds.append(
                    "Organization has no NamespacePrefix field: cci_run.py reads it as None"
                )
            log = work / "cci.log"
            records = args.accounts + args.contacts

            with emulator.metered() as load_calls, clock.lap("load"):
                run_logged(
                    cci_task(cci, "load_dataset", "datasets/sample.sql"),
                    log,
                    env,
                    project,
                    capture=False,
                )
            verify_org(check, emulator, dataset)

            with emulator.metered() as extract_calls, clock.lap("extract"):
                run_logged(
                    cci_task(cci, "extract_dataset", "datasets/extracted.sql"),
                    log,
                    env,
                    project,
                    capture=False,
                )
            extracted = read_sql(project / "datasets" / "extracted.sql")
            verify_extract(check, dataset, extracted)

            summary.update(
                {
                    "records": {
                        "loaded": records,
                        "extracted": len(extracted["Account"]) + len(extracted["Contact"]),
                        "Account": args.accounts,
                        "Contact": args.contacts,
                    },
                    "seconds": {**clock.laps, "total": clock.total()},
                    "records_per_second": {
                        "load": round(records / clock.laps["load"]),
                        "extract": round(records / clock.laps["extract"]),
                    },
                    # Each cci run also refreshes its token and reads the user and org.
                    "api_calls": {"load": load_calls, "extract": extract_calls},
                    "workarounds": workarounds,
                }
            )
    except (PeerFailure, OSError, subprocess.SubprocessError) as error:
        return fail(PEER, error, work)
    return finish(summary, check, work, keep=args.keep)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=2500)
    parser.add_argument("--api", choices=["rest", "bulk", "smart"], default="rest")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
