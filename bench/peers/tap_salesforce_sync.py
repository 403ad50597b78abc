"""tap-salesforce (Singer) discovery and incremental syncs against the emulator.

    bench/peers/.venv/bin/python bench/peers/tap_salesforce_sync.py \
        [--accounts 1000] [--contacts 2500] [--changes 25] [--api-type REST|BULK] [--keep]

What runs: the ``tap-salesforce`` command (through ``tap_salesforce_routed.py``, which
only routes its hard-coded login host to the emulator) with a config holding the
emulator's connected app and refresh token:

1. ``--discover``: the global describe and one describe per object, turned into a catalog;
2. Account and Contact are selected, every field, INCREMENTAL on ``SystemModstamp``;
3. a first sync from ``start_date`` to stdout;
4. some Contacts are updated and some Accounts created through the REST API, then a
   second sync with the first sync's final STATE.

What is checked: discovery lists both objects with ``SystemModstamp`` as the replication
key; the first sync emits exactly one RECORD per seeded record, with the seeded values,
and a final STATE whose bookmark per stream is the newest ``SystemModstamp`` it emitted;
the second sync emits every changed record (with the new values), nothing older than
the bookmark, and moves the bookmark forward. Prints one JSON line; exits 1 on any
mismatch.

Before each sync the script waits until real time has passed the org's newest
``SystemModstamp`` (the emulator's stamps can run ahead of real time, see README.md,
"Emulator gaps"); ``--no-wait`` syncs at once and shows the effect.

``--api-type REST`` (the default) reads with ``queryAll`` and ``nextRecordsUrl`` paging.
``BULK`` needs Bulk API 1.0 (``/services/async``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import datetime
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
PEER = "tap-salesforce"
STREAMS = ("Account", "Contact")
REPLICATION_KEY = "SystemModstamp"


def parse_time(value: str) -> datetime:
    """Salesforce's ``…T…+0000`` and Singer's ``…T…Z`` alike."""
    return datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))


def seed(emulator: Emulator, accounts: int, contacts: int) -> dict[str, dict[str, Any]]:
    """Accounts and Contacts through sObject Collections; returns the rows by new id."""
    account_rows = [
        {"Name": f"Tap Account {i:05d}", "AccountNumber": f"TA-{i:06d}", "NumberOfEmployees": i}
        for i in range(accounts)
    ]
    account_ids = emulator.insert("Account", account_rows)
    contact_rows = [
        {
            "LastName": f"Tap{i:05d}",
            "Email": f"tap{i}@peer.example",
            "AccountId": account_ids[i % accounts],
        }
        for i in range(contacts)
    ]
    contact_ids = emulator.insert("Contact", contact_rows)
    return {
        **dict(zip(account_ids, account_rows, strict=True)),
        **dict(zip(contact_ids, contact_rows, strict=True)),
    }


def select(catalog: dict[str, Any]) -> dict[str, Any]:
    """Account and Contact selected, incremental on SystemModstamp; the rest left out."""
    streams = []
    for stream in catalog["streams"]:
        if stream["tap_stream_id"] not in STREAMS:
            continue
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"].update(
                    {
                        "selected": True,
                        "replication-method": "INCREMENTAL",
                        "replication-key": REPLICATION_KEY,
                    }
                )
        streams.append(stream)
    return {"streams": streams}


class SyncOutput:
    """The Singer messages one sync wrote to stdout."""

    def __init__(self, stdout: bytes) -> None:
        self.messages = [json.loads(line) for line in stdout.splitlines() if line.strip()]
        self.records: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in self.messages:
            if m["type"] == "RECORD":
                self.records[m["stream"]].append(m["record"])
        self.types = Counter(m["type"] for m in self.messages)
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        self.state: dict[str, Any] = states[-1] if states else {}

    def bookmark(self, stream: str) -> str | None:
        value = self.state.get("bookmarks", {}).get(stream, {}).get(REPLICATION_KEY)
        return str(value) if value is not None else None

    def newest(self, stream: str) -> datetime | None:
        stamps = [parse_time(r[REPLICATION_KEY]) for r in self.records[stream]]
        return max(stamps) if stamps else None


def check_discovery(check: Check, catalog: dict[str, Any]) -> None:
    by_id = {s["tap_stream_id"]: s for s in catalog["streams"]}
    for name in STREAMS:
        stream = by_id.get(name)
        check.true(f"discovery lists {name}", stream is not None, sorted(by_id))
        if stream is None:
            continue
        top = next(e["metadata"] for e in stream["metadata"] if e["breadcrumb"] == [])
        check.equal(
            f"{name} replication keys", top.get("valid-replication-keys"), [REPLICATION_KEY]
        )
        check.equal(f"{name} key properties", top.get("table-key-properties"), ["Id"])
        props = stream["schema"]["properties"]
        check.true(
            f"{name} schema has Id, Name-ish and {REPLICATION_KEY}",
            {"Id", REPLICATION_KEY} <= set(props),
            sorted(props)[:10],
        )


def check_first_sync(
    check: Check, out: SyncOutput, seeded: dict[str, dict[str, Any]], counts: dict[str, int]
) -> None:
    for stream in STREAMS:
        records = out.records[stream]
        ids = [r["Id"] for r in records]
        check.equal(f"first sync: {stream} RECORDs", len(records), counts[stream])
        check.equal(f"first sync: {stream} distinct ids", len(set(ids)), len(ids))
        wrong = [
            (r["Id"], k)
            for r in records
            for k, v in seeded.get(r["Id"], {"missing": True}).items()
            if r.get(k) != v
        ]
        check.true(f"first sync: {stream} values are the seeded ones", not wrong, wrong[:5])
        stamps = [parse_time(r[REPLICATION_KEY]) for r in records]
        check.true(f"first sync: {stream} ordered by {REPLICATION_KEY}", stamps == sorted(stamps))
        bookmark = out.bookmark(stream)
        check.true(
            f"first sync: {stream} bookmark is the newest {REPLICATION_KEY}",
            bookmark is not None and parse_time(bookmark) == out.newest(stream),
            (bookmark, out.newest(stream)),
        )
    check.true("first sync: SCHEMA per stream", out.types["SCHEMA"] >= len(STREAMS), out.types)


def check_second_sync(
    check: Check,
    first: SyncOutput,
    second: SyncOutput,
    changed: dict[str, dict[str, dict[str, Any]]],
) -> None:
    for stream in STREAMS:
        got = {r["Id"]: r for r in second.records[stream]}
        missing = sorted(set(changed[stream]) - set(got))
        check.true(f"second sync: every changed {stream} emitted", not missing, missing[:5])
        stale = [
            i
            for i, fields in changed[stream].items()
            if i in got and any(got[i].get(k) != v for k, v in fields.items())
        ]
        check.true(f"second sync: changed {stream} carry new values", not stale, stale[:5])
        old = first.bookmark(stream)
        if old is None:
            check.true(f"second sync: {stream} has a bookmark to start from", False)
            continue
        too_old = [i for i, r in got.items() if parse_time(r[REPLICATION_KEY]) < parse_time(old)]
        check.true(f"second sync: no {stream} older than the bookmark", not too_old, too_old[:5])
        extra = sorted(set(got) - set(changed[stream]))
        # The tap reads ">= bookmark", so only records stamped exactly at it may repeat.
        repeats = [i for i in extra if parse_time(got[i][REPLICATION_KEY]) != parse_time(old)]
        check.true(
            f"second sync: no unchanged {stream} beyond the boundary", not repeats, repeats[:5]
        )
        new, newest = second.bookmark(stream), second.newest(stream)
        check.true(
            f"second sync: {stream} bookmark moved to the newest change",
            new is not None and newest is not None and parse_time(new) == newest > parse_time(old),
            (old, new),
        )


def make_changes(emulator: Emulator, seeded: dict[str, Any], n: int) -> dict[str, Any]:
    """Update ``n`` Contacts and create ``n`` Accounts; return what the tap must see."""
    contact_ids = sorted(i for i in seeded if i.startswith("003"))[::7][:n]
    updates = [
        {"attributes": {"type": "Contact"}, "Id": i, "Title": f"Changed {k}"}
        for k, i in enumerate(contact_ids)
    ]
    results = emulator.call(
        "PATCH", "composite/sobjects", json={"allOrNone": True, "records": updates}
    ).json()
    if not all(r.get("success") for r in results):
        raise PeerFailure(f"updating Contacts failed: {results[:3]}")
    new_accounts = [{"Name": f"Tap New {k}", "AccountNumber": f"TN-{k:04d}"} for k in range(n)]
    new_ids = emulator.insert("Account", new_accounts)
    return {
        "Contact": {i: {"Title": u["Title"]} for i, u in zip(contact_ids, updates, strict=True)},
        "Account": dict(zip(new_ids, new_accounts, strict=True)),
    }


def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="lockstep-peer-tap-"))
    check, clock = Check(), Stopwatch()
    summary: dict[str, Any] = {
        "peer": PEER,
        "peer_version": version("tap-salesforce"),
        "api_type": args.api_type,
    }
    counts = {"Account": args.accounts, "Contact": args.contacts}
    try:
        with running_emulator() as emulator:
            info = emulator.info
            config = {
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "refresh_token": info["refresh_token"],
                "start_date": "2000-01-01T00:00:00Z",
                "api_type": args.api_type,
                "select_fields_by_default": True,
            }
            (work / "config.json").write_text(json.dumps(config))
            env = emulator.peer_env()
            log = work / "tap.log"
            tap = [
                sys.executable,
                str(HERE / "tap_salesforce_routed.py"),
                info["instance_url"],
                "--config",
                str(work / "config.json"),
            ]
            calls: dict[str, dict[str, Any]] = {}

            with clock.lap("seed"):
                seeded = seed(emulator, args.accounts, args.contacts)

            waits = {"sync": emulator.wait_for_stamps(*STREAMS) if args.wait else 0.0}
            with emulator.metered() as calls["discover"], clock.lap("discover"):
                catalog = json.loads(run_logged([*tap, "--discover"], log, env).stdout)
            check_discovery(check, catalog)
            (work / "catalog.json").write_text(json.dumps(select(catalog)))

            sync = [*tap, "--properties", str(work / "catalog.json")]
            with emulator.metered() as calls["sync"], clock.lap("sync"):
                first = SyncOutput(run_logged(sync, log, env).stdout)
            check_first_sync(check, first, seeded, counts)
            (work / "state.json").write_text(json.dumps(first.state))

            changed = make_changes(emulator, seeded, args.changes)
            waits["incremental_sync"] = emulator.wait_for_stamps(*STREAMS) if args.wait else 0.0
            with emulator.metered() as calls["incremental_sync"], clock.lap("incremental_sync"):
                second = SyncOutput(
                    run_logged([*sync, "--state", str(work / "state.json")], log, env).stdout
                )
            check_second_sync(check, first, second, changed)

            synced = sum(len(first.records[s]) for s in STREAMS)
            summary.update(
                {
                    "streams_discovered": len(catalog["streams"]),
                    "records": {
                        "sync": {s: len(first.records[s]) for s in STREAMS},
                        "incremental_sync": {s: len(second.records[s]) for s in STREAMS},
                        "changed": {s: len(changed[s]) for s in STREAMS},
                    },
                    "messages": {"sync": dict(first.types), "incremental_sync": dict(second.types)},
                    "bookmarks": {
                        "sync": {s: first.bookmark(s) for s in STREAMS},
                        "incremental_sync": {s: second.bookmark(s) for s in STREAMS},
                    },
                    "seconds": {**clock.laps, "total": clock.total()},
                    "records_per_second": {"sync": round(synced / clock.laps["sync"])},
                    # Each tap run also makes its refresh-token login (not an API call).
                    "api_calls": calls,
                    # How far the org's SystemModstamps ran ahead of real time (README.md).
                    "waited_for_stamps_s": waits,
                    "workarounds": [
                        "login.salesforce.com routed to the emulator (tap has no login URL option)",
                        *(
                            ["waited for real time to pass the newest SystemModstamp"]
                            if args.wait and any(waits.values())
                            else []
                        ),
                    ],
                }
            )
    except (PeerFailure, OSError, subprocess.SubprocessError, ValueError) as error:
        return fail(PEER, error, work)
    return finish(summary, check, work, keep=args.keep)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=2500)
    parser.add_argument("--changes", type=int, default=25)
    parser.add_argument("--api-type", choices=["REST", "BULK"], default="REST")
    parser.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="sync at once, even while the org's SystemModstamps are ahead of real time",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
