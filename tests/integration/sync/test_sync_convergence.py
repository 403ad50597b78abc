"""Sync converges, whatever happens on the way: the acceptance test of issue 10.

Two entities (``tests.support.convergence``): contracts owned by Salesforce, usages
owned by the app (its Salesforce Id, global id and sync status written back), each
usage referencing a contract. For about ``DRIVE_SECONDS`` the driver makes ``CHANGES``
changes on both sides (inserts, the same records updated again and again, deletes in
the owner, a few edits on the side that does not own the record) while:

- the emulator refuses ~20 % of lockstep's writes with 503, drops ~5 % after they
  commit, answers ~5 % UNABLE_TO_LOCK_ROW, expires a session now and then, and goes
  down altogether a few times for a few seconds;
- ``lockstep sync --interval 1`` runs as its own process, and is SIGKILLed at least
  twice while it holds changes in flight (then started again, as a supervisor would).

Then the faults are cleared, waiting retries come due, and ``sync --once`` passes run
until one finds nothing to do. Every system is then read in full and compared with
what the changes say it must hold: **0 lost, 0 duplicated** (by name, by global id, by
Salesforce Id), **0 stale** (each record holds its owner's last values, the write-back
is ``Success`` with the right ids, the golden record is the owner's), **0
resurrected** (deleted in the owner, gone everywhere), the queue empty of pending, in
flight, failed and dead changes, the sync loop never dead by itself, and
``lockstep reconcile`` clean. On SQLite, and on PostgreSQL (the app's database and the
ledger both), with a few seeds.

The assertion message names what is wrong, with counts and example records (``C<n>``
a contract, ``U<n>`` a usage by its app key); the whole picture (changes made by kind,
kills, the settling passes) is printed, so ``pytest -s`` shows it.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce.api import Salesforce

from lockstep.ledger import Ledger
from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
from lockstep.reports.progress import Progress
from tests.conftest import POSTGRES_ADMIN
from tests.support.convergence import Driver, Verdict, config, fault_rules, judge
from tests.support.sync_world import WORKER, World, create_app

CHANGES = 2_200
DRIVE_SECONDS = 80.0
KILLS = 3  # SIGKILLs of the running loop during the drive (and one more at its end)
OUTAGE_EVERY = 25.0  # seconds, about
OUTAGE_SECONDS = 3.0
SETTLE_PASSES = 15

pytestmark = [pytest.mark.slow]


# -- the databases ---------------------------------------------------------------------


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the app's database, the ledger): two SQLite files, or two fresh PostgreSQL
    databases."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    names = [f"lockstep_conv_{os.getpid()}_{random.randrange(16**8):08x}_{s}" for s in "al"]
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield tuple(f"postgresql+psycopg://postgres@127.0.0.1:5432/{n}" for n in names)  # type: ignore[misc]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class ConvergenceWorld(World):
    """The sync world, its ledger anywhere (``ledger_at``)."""

    ledger_at: str = ""

    @property
    def ledger_url(self) -> str:
        return self.ledger_at


# -- the loop under test, in its own process -------------------------------------------


@dataclass
class SyncProcess:
    """``lockstep sync --interval 1`` (``python -m lockstep``), which the test kills and
    starts again; every start and every end it was not asked for is kept."""

    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    kills_in_flight: int = 0  # kills that landed while changes were in flight
    died: list[str] = field(default_factory=list)  # ends on its own: code, last lines

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"\n=== start {self.starts + 1} ===\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "lockstep", "sync", "-c", str(self.config)),
                    *("--interval", "1", "--worker", WORKER),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "COLUMNS": "200"},
            )
        self.starts += 1

    def check(self) -> None:
        """Start it again if it ended by itself (and keep why)."""
        if self._ended_by_itself():
            self.start()

    def kill(self, ledger: Ledger, *, wait_in_flight: float = 4.0) -> None:
        """SIGKILL, as soon as it holds changes in flight (within ``wait_in_flight``
        seconds; else anyway); not started again."""
        assert self.process is not None
        deadline = time.monotonic() + wait_in_flight
        in_flight = False
        while time.monotonic() < deadline and self.process.poll() is None:
            if ledger.queue_counts()["in_flight"]:
                in_flight = True
                break
            time.sleep(0.02)
        if self._ended_by_itself():
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self.kills += 1
        self.kills_in_flight += in_flight

    def _ended_by_itself(self) -> bool:
        assert self.process is not None
        code = self.process.poll()
        if code is None:
            return False
        tail = self.log.read_text(errors="replace").strip().splitlines()[-3:]
        self.died.append(f"exit {code}: {' | '.join(tail)[-300:]}")
        return True

    def stop(self, ledger: Ledger) -> None:
        self.kill(ledger)
        self.process = None


# -- the test --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [11, 23])
def test_sync_converges_under_faults_and_kills(
    seed: int,
    databases: tuple[str, str],
    tmp_path: Path,
    org: EmulatorInfo,
    admin: AdminClient,
    sf: Salesforce,
) -> None:
    app_url, ledger_url = databases
    create_app(app_url)
    world = ConvergenceWorld(tmp_path, app_url, org, sf, admin, ledger_at=ledger_url)
    world.config = config(org, app_url, ledger_url, tmp_path)
    first = world.sync()
    assert first.status == "done", first.notes

    verdict = Verdict()
    started = time.monotonic()
    driver = Driver(seed, sf, app_url)
    loop = SyncProcess(world.config_path, tmp_path / "sync.log")
    try:
        with Ledger.open(ledger_url) as ledger:
            fired = drive(driver, loop, admin, ledger, seed)
            loop.stop(ledger)
    finally:
        driver.close()
        if loop.process is not None:
            loop.process.kill()
            loop.process.wait()
        admin.clear_faults()
    drove = time.monotonic() - started

    passes, quiet = settle(world, verdict)
    reconciled = reconcile(
        world.write_config(), ReconcileOptions(worker=WORKER), progress=Progress()
    )
    judge(driver.expected, sf, app_url, ledger_url, verdict)

    counts = reconciled.counts
    if counts.created or counts.updated or counts.skipped or counts.failed:
        differing = [
            f"{r['entity']} {r['source_system']}:{r['source_key']} -> "
            f"{r['target_system']}:{r['target_key']} ({r['global_id']}): "
            f"{r['action']} {r['reason']}"
            for r in diff_rows(reconciled.reports)
            if r["action"] != "unchanged"
        ]
        verdict.add(
            "reconcile not clean",
            f"created {counts.created}, updated {counts.updated}, skipped {counts.skipped}, "
            f"failed {counts.failed}: " + "; ".join(differing[:6]),
        )
    for death in loop.died:
        verdict.add("sync loop died by itself", death)
    if not quiet:
        verdict.add("never quiet", f"still busy after {SETTLE_PASSES} passes")
    verdict.figures = {
        "seed": seed,
        "databases": f"app {app_url.split(':')[0]}, ledger {ledger_url.split(':')[0]}",
        "changes made": f"{driver.expected.changes} {dict(driver.expected.made)}",
        "drive": f"{drove:.0f} s; loop started {loop.starts}x, SIGKILLed {loop.kills}x "
        f"({loop.kills_in_flight} with changes in flight)",
        "settling passes": passes,
        "emulator faults fired": dict(fired),
        **verdict.figures,
    }
    print(f"\nconvergence, seed {seed}:\n{verdict.report(examples=12)}")

    assert verdict.clean, "sync did not converge:\n" + verdict.report()
    # what the test promises to have put sync through
    assert loop.kills >= 2 and loop.kills_in_flight >= 1, verdict.report()
    assert driver.expected.changes >= 2_000, verdict.report()


def drive(
    driver: Driver, loop: SyncProcess, admin: AdminClient, ledger: Ledger, seed: int
) -> Counter[str]:
    """``CHANGES`` changes spread over ``DRIVE_SECONDS``, the loop running; faults on,
    outages now and then (a thread of their own: the driver waits for the end of one),
    the loop killed ``KILLS`` times at random moments. Returns how often each kind of
    fault fired."""
    rng = random.Random(seed * 7919)
    kills = sorted(rng.uniform(0.1, 0.9) * DRIVE_SECONDS for _ in range(KILLS))
    outages: list[tuple[float, float]] = []
    at = rng.uniform(5, OUTAGE_EVERY)
    while at < DRIVE_SECONDS - 10:
        outages.append((at, at + rng.uniform(1.0, OUTAGE_SECONDS)))
        at += rng.uniform(0.6, 1.4) * OUTAGE_EVERY
    faults = Faults(admin, seed, outages)
    faults.start()
    loop.start()
    t0 = time.monotonic()
    try:
        for i in range(CHANGES):
            time.sleep(max(0.0, t0 + i * DRIVE_SECONDS / CHANGES - time.monotonic()))
            driver.step()
            if kills and time.monotonic() - t0 >= kills[0]:
                kills.pop(0)
                loop.kill(ledger)
                loop.start()
            loop.check()
    finally:
        faults.finish()
    return faults.fired


class Faults(threading.Thread):
    """The emulator's fault rules through the drive: always the usual ones, and every
    data call refused during each outage (seconds since the start)."""

    def __init__(self, admin: AdminClient, seed: int, outages: list[tuple[float, float]]):
        super().__init__(daemon=True)
        self.admin, self.seed, self.outages = admin, seed, outages
        self.fired: Counter[str] = Counter()
        self.done = threading.Event()
        self._set(outage=False)

    def run(self) -> None:
        t0 = time.monotonic()
        for n, (begin, end) in enumerate(self.outages):
            if self.done.wait(max(0.0, t0 + begin - time.monotonic())):
                return
            self._set(outage=True, seed=self.seed + n)
            self.done.wait(max(0.0, t0 + end - time.monotonic()))
            self._set(outage=False, seed=self.seed + 100 + n)

    def finish(self) -> None:
        self.done.set()
        self.join(30)
        self._set(outage=False)

    def _set(self, *, outage: bool, seed: int | None = None) -> None:
        for rule in self.admin.faults().get("rules", []):
            self.fired[str(rule["kind"])] += int(rule["fired"])
        self.admin.set_faults(fault_rules(outage=outage), seed=seed or self.seed)


def settle(world: World, verdict: Verdict) -> tuple[list[str], bool]:
    """Retries due, then ``sync --once`` passes until one finds nothing: what each did,
    and whether one found nothing."""
    passes: list[str] = []
    for _ in range(SETTLE_PASSES):
        world.let_retries_come_due()
        try:
            summary = world.sync()
        except Exception as exc:  # a pass that raises is a finding, not the end
            passes.append(f"raised {type(exc).__name__}")
            verdict.add("settling pass raised", f"{type(exc).__name__}: {exc}"[:300])
            continue
        c = summary.counts
        passes.append(
            f"{summary.status} sel {c.selected} cre {c.created} upd {c.updated} "
            f"del {c.deleted} unch {c.unchanged} skip {c.skipped} fail {c.failed}"
        )
        with world.ledger() as ledger:
            left = ledger.queue_counts()
        if c.selected == 0 and left["pending"] == 0 and left["in_flight"] == 0:
            return passes, True
    return passes, False


def diff_rows(reports: str) -> list[dict[str, str]]:
    with (Path(reports) / "diff.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))
