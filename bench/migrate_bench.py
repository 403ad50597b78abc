"""Migration benchmark (issue 5): an AMS database into a Salesforce org, end to end.

N companies and M individuals (default 100,000 + 200,000) in a generated SQLite
database, each individual with an employer (its Contact's ``AccountId``), are migrated
into a fresh emulator org through lockstep's library (``lockstep.migrate.run.run``, the
code behind ``lockstep plan|migrate``), with a config like examples/ams-migration's
(Bulk API 2.0 from 2,000 records, upserts on ``External_Id__c``, Salesforce ids and
sync status written back into the database).

Sections, run in this order against the same org and ledger:

- ``plan``: ``lockstep plan`` on the data (the org is still empty); target ≤ 30 s.
- ``migrate``: ``lockstep migrate``: wall time and records/s end to end (reads of
  both sides, planning, Bulk jobs, ledger, write-back); target ≥ 5,000 records/s.
- ``again``: a second ``lockstep migrate``, which must write nothing.

For each: the summary's counts and ``api_calls`` (as lockstep counted them: Salesforce
API calls for ``crm``, SQL statements for ``ams``), the emulator's own count of the
calls (``GET /_emulator/stats``, by family and by route, its admin calls left out), the
minimum number of calls the API used needs for that work (see ``minimum_calls``) and
the ratio to it (target ≤ 2), the Bulk 2.0 jobs with the emulator's own processing
time for each, a timeline of the run's stages (reading, planning, writing; seconds
and peak RSS each), and peak memory: lockstep's, ``ru_maxrss`` of this process at the
end of the phase after its high-water mark was reset at the start (Linux
``/proc/self/clear_refs``, which ``ru_maxrss`` follows), so it is the phase's own
peak; the top-level ``lockstep_peak_rss_mb`` is the highest of them. The emulator
process's peak is its ``VmHWM`` (``/proc/<pid>/status``), reset the same way per
phase. Target: lockstep < 1 GB. Prints one JSON object.

    .venv/bin/python bench/migrate_bench.py [--accounts 100000] [--contacts 200000]
        [--sections plan,migrate,again] [--profile FILE]

``--profile FILE`` runs the ``migrate`` section under cProfile and writes its stats
to FILE (the section's times are then not the figures to quote).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import random
import resource
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo, EmulatorProcess, connect, start_emulator

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.demo import ams_data
from lockstep.migrate.run import Options, run
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "ams-migration"
SECTIONS = ("plan", "migrate", "again")
READ_PAGE = 2000  # REST query rows per call (Salesforce's maximum batch size)
BULK_THRESHOLD = 2000  # the config's bulk_threshold
OBJECT_OF = {"company": "Account", "individual": "Contact"}

# -- the data -----------------------------------------------------------------------------

SCHEMA = ams_data.SCHEMA  # the example's AMS tables, the same as the demo's
FIRST = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim",
    "Margaret", "John", "Katherine", "Dennis", "Hedy", "Claude", "Annie", "Niklaus",
]  # fmt: skip
LAST = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
    "Hamilton", "McCarthy", "Johnson", "Ritchie", "Lamarr", "Shannon", "Easley", "Wirth",
]  # fmt: skip
WORDS = [
    "Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware", "Adatum",
    "Proseware", "Woodgrove", "Lucerne", "Margie", "Fourth Coffee", "Alpine Ski", "Humongous",
]  # fmt: skip
KINDS = ["Traders", "Ltd", "Group", "Partners", "Labs", "Works", "Holdings", "Foundation"]
CITIES = [
    ("Leeds", "UK"), ("Seattle", "US"), ("Lyon", "FR"), ("Porto", "PT"), ("Graz", "AT"),
    ("Zürich", "CH"), ("São Paulo", "BR"), ("Osaka", "JP"), ("Kraków", "PL"), ("Austin", "US"),
]  # fmt: skip
TITLES = ["Director", "Member Services", "Treasurer", "Engineer", "Chair", "", "CFO", "Analyst"]
DOMAINS = ["members.example.org", "mail.example.com", "example.net"]


def _companies(n: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        city, country = CITIES[i % len(CITIES)]
        yield (
            i,
            f"{WORDS[i % len(WORDS)]} {KINDS[(i // len(WORDS)) % len(KINDS)]} {i}",
            None,
            city,
            country,
            f"+44 113 {i // 10000 % 1000:03d} {i % 10000:04d}",
            f"https://company{i}.example.org",
            ("CORP", "ASSOC", "NONMEMBER")[i % 3],
            f"{rng.randrange(10_000, 500_000) / 100:.2f}",
        )


def _individuals(n: int, companies: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        first, last = FIRST[i % len(FIRST)], LAST[rng.randrange(len(LAST))]
        yield (
            i,
            first,
            last,
            f"{first.lower()}.{last.lower()}.{i}@{DOMAINS[i % len(DOMAINS)]}",
            f"+44 20 {i // 10000 % 10000:04d} {i % 10000:04d}",
            TITLES[i % len(TITLES)] or None,
            rng.randrange(1, companies + 1),
        )


def generate(path: Path, companies: int, individuals: int) -> None:
    """A fresh AMS database: unique companies (name + city) and people (e-mail), every
    person employed by one of the companies, every value valid for the org."""
    rng = random.Random(5)
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO company (company_id, company_name, parent_company_id, city, country, "
            "phone, website, member_type, annual_dues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _companies(companies, rng),
        )
        db.executemany(
            "INSERT INTO individual (customer_id, first_name, last_name, email, phone, title, "
            "employer_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            _individuals(individuals, companies, rng),
        )
    db.close()


def write_config(work: Path) -> Path:
    """The AMS example's config, its ledger and reports in ``work``."""
    text = (EXAMPLE / "lockstep.yaml").read_text()
    text = text.replace("sqlite:///.lockstep/ledger.db", f"sqlite:///{work / 'ledger.db'}")
    text = text.replace("reports: reports", f"reports: {work / 'reports'}")
    path = work / "lockstep.yaml"
    path.write_text(text)
    return path


def environment(info: EmulatorInfo, database: Path) -> dict[str, str]:
    return {
        "SF_LOGIN_URL": info.login_url,
        "SF_CA_CERT": info.ca_cert,
        "SF_CLIENT_ID": info.client_id,
        "SF_CLIENT_SECRET": info.client_secret,
        "SF_USERNAME": info.username,
        "SF_PASSWORD": info.password + info.security_token,
        "AMS_DATABASE_URL": f"sqlite:///{database}",
    }


# -- measuring ----------------------------------------------------------------------------


def vm_hwm_mb(pid: int | str = "self") -> float:
    """The process's peak resident set size since start or the last reset, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def reset_hwm(pid: int | str = "self") -> bool:
    """Set the process's VmHWM back to its current RSS (Linux ``clear_refs`` 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Timeline(Progress):
    """Where a run's time and memory go: each stage the run announces (reading a side,
    writing a target), and the gaps between them: ``planning`` after a target has been
    read, ``connect`` before the first stage, ``finish`` after the last. Each stage gets
    its seconds and the highest RSS seen in it (sampled every 50 ms)."""

    def __init__(self) -> None:
        self.stages: list[dict[str, Any]] = []
        self._mark = time.perf_counter()
        self._open = ""
        self._reads: dict[str, int] = {}
        self._planning: str | None = None  # the entity whose target was just read
        self._peak = vm_rss_mb()
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            self._peak = max(self._peak, vm_rss_mb())

    def _stage(self, name: str) -> None:
        now = time.perf_counter()
        rss = vm_rss_mb()
        self.stages.append(
            {
                "stage": name,
                "seconds": round(now - self._mark, 2),
                "peak_rss_mb": max(self._peak, rss),
            }
        )
        self._mark, self._peak = now, rss

    def _gap(self, fallback: str) -> None:
        self._stage(f"{self._planning}: planning" if self._planning else fallback)
        self._planning = None

    def open(self, entity: str, total: int | None, label: str = "") -> None:
        self._gap("connect" if not self.stages else f"{entity}: between")
        self._open = f"{entity}: {label}"
        if label.startswith("reading"):
            self._reads[entity] = self._reads.get(entity, 0) + 1

    def close(self, entity: str) -> None:
        self._stage(self._open)
        if self._open.startswith(f"{entity}: reading") and self._reads.get(entity, 0) >= 2:
            self._planning = entity

    def finish(self) -> list[dict[str, Any]]:
        self._gap("finish")
        self._done.set()
        self._sampler.join()
        return [s for s in self.stages if s["seconds"] >= 0.01]


def ru_maxrss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stats_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The calls between two ``/_emulator/stats`` snapshots, admin calls left out."""
    out: dict[str, Any] = {}
    for key in ("by_family", "by_route"):
        old, new = before.get(key, {}), after.get(key, {})
        out[key] = {
            name: count - old.get(name, 0)
            for name, count in new.items()
            if count != old.get(name, 0) and name != "admin" and "/_emulator/" not in name
        }
    out["total"] = sum(n for f, n in out["by_family"].items() if f != "auth")
    return out


def bulk_jobs(routes: dict[str, int]) -> dict[str, int]:
    """Bulk 2.0 ingest calls by kind, from the emulator's routes."""
    kinds = {
        "create": "POST /services/data/v{version}/jobs/ingest",
        "upload": "PUT /services/data/v{version}/jobs/ingest/{id}/batches",
        "close": "PATCH /services/data/v{version}/jobs/ingest/{id}",
        "poll": "GET /services/data/v{version}/jobs/ingest/{id}",
        "successful_results": "GET /services/data/v{version}/jobs/ingest/{id}/successfulResults",
        "failed_results": "GET /services/data/v{version}/jobs/ingest/{id}/failedResults",
    }
    return {kind: routes.get(route, 0) for kind, route in kinds.items()}


def minimum_calls(
    in_org: dict[str, int], written: dict[str, int], jobs: dict[str, int]
) -> dict[str, Any]:
    """The fewest calls this phase's work needs through the APIs lockstep uses.

    Every run: its check (one ``limits`` call; the token is not counted) and one
    describe per object. Reads: REST query ⌈rows/2,000⌉ per object, at least one.
    Writes: an object with ``bulk_threshold`` (2,000) records or more to write is one
    Bulk 2.0 ingest job per 100 MB of CSV (these fit in one), and a job needs create +
    upload + close + one poll (at least one: the job is not done when it is closed) +
    successful results = 5 calls; fewer records go through sObject Collections,
    ⌈n/200⌉ calls.
    """
    reads = sum(max(1, math.ceil(n / READ_PAGE)) for n in in_org.values())
    fixed = 1 + len(in_org)  # limits + describes
    writes = sum(5 if n >= BULK_THRESHOLD else math.ceil(n / 200) for n in written.values())
    return {
        "check_and_describes": fixed,
        "reads": reads,
        "writes": writes,
        "total": fixed + reads + writes,
        "bulk2_jobs_used": jobs.get("create", 0),
        "bulk2_polls_used": jobs.get("poll", 0),
    }


class Meter:
    """Calls, CPU and memory of one phase, on both sides."""

    def __init__(self, process: EmulatorProcess) -> None:
        self.process = process
        self.admin = AdminClient.for_info(process.info)
        self.sf = connect(process.info)
        self.seen_jobs: set[str] = set()

    @contextmanager
    def phase(self) -> Iterator[dict[str, Any]]:
        out: dict[str, Any] = {}
        stats = self.admin.stats()
        reset_self = reset_hwm()
        reset_emulator = reset_hwm(self.process.pid)
        cpu = cpu_seconds(self.process.pid)
        own_cpu = time.process_time()
        started = time.perf_counter()
        yield out
        out["seconds"] = round(time.perf_counter() - started, 2)
        out["lockstep_cpu_s"] = round(time.process_time() - own_cpu, 2)
        out["emulator_cpu_s"] = round(cpu_seconds(self.process.pid) - cpu, 2)
        out["emulator_calls"] = stats_delta(stats, self.admin.stats())
        # With the high-water mark reset at the start, ru_maxrss is this phase's peak.
        out["lockstep_peak_rss_mb"] = ru_maxrss_mb() if reset_self else None
        out["emulator_peak_rss_mb"] = vm_hwm_mb(self.process.pid) if reset_emulator else None
        out["load_average"] = round(os.getloadavg()[0], 2)


def summary_part(summary: Summary) -> dict[str, Any]:
    return {
        "status": summary.status,
        "counts": summary.counts.as_dict(),
        "by_entity": {name: c.as_dict() for name, c in summary.by_entity.items()},
        "api_calls": dict(summary.api_calls),
        "deferred": summary.deferred,
    }


def org_counts(sf: Any) -> dict[str, int]:
    """Accounts and Contacts in the org, one ``COUNT()`` query each (outside the phases)."""
    return {
        name: int(sf.query(f"SELECT COUNT() FROM {name}")["totalSize"])
        for name in ("Account", "Contact")
    }


def ingest_jobs(sf: Any, seen: set[str]) -> list[dict[str, Any]]:
    """The org's Bulk 2.0 ingest jobs not in ``seen``: what each did and how long the
    emulator spent on it (``totalProcessingTime``), to set against lockstep's wait."""
    jobs = []
    for record in sf.restful("jobs/ingest")["records"]:
        if record["id"] in seen:
            continue
        seen.add(record["id"])
        info = sf.restful(f"jobs/ingest/{record['id']}")
        jobs.append(
            {
                "object": info["object"],
                "operation": info["operation"],
                "records": info["numberRecordsProcessed"],
                "failed": info["numberRecordsFailed"],
                "server_processing_s": round(info["totalProcessingTime"] / 1000, 2),
            }
        )
    return jobs


def bench(args: argparse.Namespace) -> dict[str, Any]:
    sections = [s for s in SECTIONS if s in args.sections]
    records = args.accounts + args.contacts
    out: dict[str, Any] = {
        "records": {"Account": args.accounts, "Contact": args.contacts, "total": records},
        "sections": sections,
        "targets": {
            "plan_seconds_max": 30,
            "migrate_records_per_s_min": 5000,
            "api_calls_max_ratio_to_minimum": 2.0,
            "lockstep_peak_rss_mb_max": 1024,
        },
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="lockstep-migrate-bench-") as tmp:
        work = Path(tmp)
        database = work / "ams.db"
        started = time.perf_counter()
        generate(database, args.accounts, args.contacts)
        out["generate_seconds"] = round(time.perf_counter() - started, 1)
        out["database_mb"] = round(database.stat().st_size / 2**20, 1)
        (work / "org.yaml").write_text((EXAMPLE / "org.yaml").read_text())
        config = write_config(work)
        out["lockstep_ru_maxrss_mb_before"] = ru_maxrss_mb()
        with start_emulator("--schema", str(work / "org.yaml"), timeout=60) as process:
            loaded = load_config(config, environ=environment(process.info, database))
            meter = Meter(process)
            out["emulator_rss_at_start_mb"] = vm_hwm_mb(process.pid)
            for section in sections:
                out[section] = run_section(section, loaded, meter, args)
            meter.admin.close()
        peaks = [out[s]["lockstep_peak_rss_mb"] or 0 for s in sections]
        out["lockstep_peak_rss_mb"] = max([ru_maxrss_mb(), *peaks])
    out["verdict"] = verdict(out)
    return out


def run_section(
    section: str, loaded: LoadedConfig, meter: Meter, args: argparse.Namespace
) -> dict[str, Any]:
    mode = "plan" if section == "plan" else "migrate"
    in_org = org_counts(meter.sf)
    profiler = cProfile.Profile() if args.profile and section == "migrate" else None
    timeline = Timeline()
    go: Callable[[], Summary] = lambda: run(loaded, Options(mode), progress=timeline)  # noqa: E731
    with meter.phase() as figures:
        summary = profiler.runcall(go) if profiler else go()
    figures["timeline"] = timeline.finish()
    if profiler is not None:
        profiler.dump_stats(args.profile)
        figures["profiled"] = args.profile
    records = args.accounts + args.contacts
    figures["records_per_s"] = round(records / figures["seconds"])
    figures["summary"] = summary_part(summary)
    figures["org_after"] = org_counts(meter.sf)
    figures["bulk2_jobs"] = ingest_jobs(meter.sf, meter.seen_jobs)
    routes = figures["emulator_calls"]["by_route"]
    jobs = bulk_jobs(routes)
    figures["bulk2_ingest_calls"] = jobs
    written = {  # a plan's counts are what it would write: it writes nothing
        OBJECT_OF[name]: 0 if mode == "plan" else counts.created + counts.updated + counts.matched
        for name, counts in summary.by_entity.items()
    }
    minimum = minimum_calls(in_org, written, jobs)
    figures["minimum_calls"] = minimum
    used = figures["emulator_calls"]["total"]
    figures["calls_ratio_to_minimum"] = round(used / minimum["total"], 2)
    return figures


def verdict(out: dict[str, Any]) -> dict[str, Any]:
    """Each target: met or not."""
    v: dict[str, Any] = {}
    if "plan" in out:
        v["plan_seconds"] = out["plan"]["seconds"] <= out["targets"]["plan_seconds_max"]
    if "migrate" in out:
        m = out["migrate"]
        v["migrate_records_per_s"] = (
            m["records_per_s"] >= out["targets"]["migrate_records_per_s_min"]
        )
        v["migrate_no_failures"] = m["summary"]["counts"]["failed"] == 0
    for section in ("plan", "migrate", "again"):
        if section in out:
            v[f"{section}_calls_within_2x"] = out[section]["calls_ratio_to_minimum"] <= 2.0
    v["lockstep_rss_under_1gb"] = out["lockstep_peak_rss_mb"] < 1024
    if "again" in out:
        counts = out["again"]["summary"]["counts"]
        v["again_writes_nothing"] = counts["created"] == 0 and counts["updated"] == 0
    return v


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument(
        "--sections",
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        default=list(SECTIONS),
        help=f"comma-separated, of {', '.join(SECTIONS)}",
    )
    parser.add_argument("--profile", help="cProfile the migrate section into this file")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    print(json.dumps(bench(args), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
