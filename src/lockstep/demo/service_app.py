"""Seed 001 (service app ↔ Salesforce), narrated: two-way sync through the ledger's queue.

Contracts are sold in Salesforce and read into the service app; ads booked in the app
become ``Usage__c`` records against them. Each step is one ``lockstep sync --once``
pass (the same library call), and every claim is checked with SOQL or SQL:

1. the first pass reads the contracts into the app (and installs the app's triggers);
2. ads booked in the app reach Salesforce once, with the Usage__c Id and "Success"
   written back into each ad;
3. a pass with nothing new writes nothing to Salesforce (echoes are recognised);
4. Salesforce is down: ads booked meanwhile wait in the queue ("delayed, not lost");
   back up, they arrive exactly once;
5. an ad corrected in the app flows to Salesforce; the same field edited in
   Salesforce is a conflict, and the app's value (the owner's) is put back;
6. a usage deleted in Salesforce by mistake: ``lockstep reconcile`` finds its link
   broken; ``--apply`` refuses to detach that share of the usages (the mass-delete
   guard), ``--apply --allow-mass-delete`` recreates it (its new Id written back), a
   second reconcile is clean;
7. a contract fulfilled in Salesforce locks its usages: a later edit in the app is
   refused (RECORD_LOCKED, status "Failed") and Salesforce keeps the old value.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import connect, start_emulator

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.demo import app_data
from lockstep.demo.environment import copy_example, count, emulator_env
from lockstep.demo.narrator import Narrator
from lockstep.ledger import Ledger
from lockstep.ledger.rows import QueueState
from lockstep.reconcile.guard import MassDeleteRefused
from lockstep.reconcile.run import Options as ReconcileOptions
from lockstep.reconcile.run import reconcile
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.runs.paths import resolve_paths
from lockstep.sync.run import Options, sync_once

PENDING: tuple[QueueState, ...] = ("pending",)


def service_app_scenario(n: Narrator, example: Path, work: Path) -> None:
    n.title("Seed 001 — a service app and Salesforce, in sync both ways")
    copy_example(example, work, "lockstep.yaml", "org.yaml")
    app = work / "app.db"
    app_data.create(app)
    with start_emulator("--schema", str(work / "org.yaml")) as process:
        info = process.info
        env = {**emulator_env("SF", info), "APP_DATABASE_URL": f"sqlite:///{app}"}
        loaded = load_config(work / "lockstep.yaml", environ=env)
        sf: Any = connect(info)
        for contract in app_data.contracts():
            sf.Contract__c.create(contract)
        n.step(f"sales closed {len(app_data.contracts())} contracts in Salesforce")

        first = _sync(loaded)
        n.summary(first)
        rows = _rows(app, "SELECT COUNT(*) FROM contracts")
        n.check(f"the first pass read the contracts into the app ({rows})", rows == 6)

        booked = app_data.seed_usages(app)
        n.step(f"the service team books {booked} ads in the app")
        second = _sync(loaded)
        n.summary(second)
        in_org = count(sf, "SELECT COUNT() FROM Usage__c")
        n.check(f"each ad is one Usage__c in Salesforce ({in_org})", in_org == booked)
        done = _rows(
            app,
            "SELECT COUNT(*) FROM usages WHERE sync_status = 'Success' "
            "AND salesforce_id IS NOT NULL",
        )
        n.check(
            f"the Usage__c Id and 'Success' are written back into every ad ({done})", done == booked
        )
        linked = count(sf, "SELECT COUNT() FROM Usage__c WHERE Contract__c != null")
        n.check("every usage hangs off its contract in Salesforce", linked == booked)

        admin = AdminClient.for_info(info)
        admin.reset_stats()
        third = _sync(loaded)
        writes = _org_writes(admin)
        n.check(
            f"a pass with nothing new writes nothing to Salesforce ({writes} writes, "
            f"{third.counts.unchanged} echoes recognised)",
            writes == 0,
        )

        _delayed_not_lost(n, loaded, admin, app, sf)
        _conflict(n, loaded, app, sf)
        _reconcile(n, loaded, app, sf)
        _lock(n, loaded, app, sf)


def _delayed_not_lost(
    n: Narrator, loaded: LoadedConfig, admin: AdminClient, app: Path, sf: Any
) -> None:
    before = count(sf, "SELECT COUNT() FROM Usage__c")
    admin.set_faults(
        [
            {
                "kind": "http_error",
                "status": 503,
                "error_code": "SERVER_UNAVAILABLE",
                "match": {"path": "/services/data/"},
            }
        ]
    )
    booked = app_data.seed_usages(app, per_contract=1)
    n.step(f"Salesforce goes down; the service team books {booked} more ads")
    down = _sync(loaded)
    waiting = _queue(loaded).get("pending", 0)
    n.check(
        f"the pass ends '{down.status}', the ads wait in the queue ({waiting} waiting)",
        waiting >= booked and down.status in ("interrupted", "done"),
    )
    admin.clear_faults()
    _make_due(loaded)
    n.step("Salesforce is back")
    _sync(loaded)
    after = count(sf, "SELECT COUNT() FROM Usage__c")
    n.check(
        f"every waiting ad arrived exactly once ({after - before} new Usage__c)",
        after - before == booked,
    )


def _conflict(n: Narrator, loaded: LoadedConfig, app: Path, sf: Any) -> None:
    ad_id, usage_id = _one(app, "SELECT id, salesforce_id FROM usages ORDER BY id LIMIT 1")
    _execute(app, "UPDATE usages SET ad_name = 'Corrected in the app' WHERE id = ?", ad_id)
    n.step("an ad's name is corrected in the app")
    _sync(loaded)
    name = sf.Usage__c.get(usage_id)["Name"]
    n.check(f"Salesforce has the correction ('{name}')", name == "Corrected in the app")
    sf.Usage__c.update(usage_id, {"Name": "Edited in Salesforce"})
    n.step("someone renames the same usage in Salesforce (the app owns usages)")
    summary = _sync(loaded)
    name = sf.Usage__c.get(usage_id)["Name"]
    conflicts = _exceptions(summary, "CONFLICT")
    n.check(
        f"a conflict is reported ({conflicts}) and the owner's name is put back ('{name}')",
        conflicts == 1 and name == "Corrected in the app",
    )


def _reconcile(n: Narrator, loaded: LoadedConfig, app: Path, sf: Any) -> None:
    ad_id, usage_id = _one(app, "SELECT id, salesforce_id FROM usages ORDER BY id DESC LIMIT 1")
    sf.Usage__c.delete(usage_id)
    n.step("a usage is deleted in Salesforce by mistake; no sync runs")
    found = reconcile(loaded, ReconcileOptions(), progress=Progress())
    n.check(
        f"lockstep reconcile finds its link broken ({found.counts.created} to create, "
        f"{found.counts.unchanged} records agree)",
        found.counts.created == 1 and found.counts.updated == 0 and found.found["link_broken"] == 1,
    )
    try:
        reconcile(loaded, ReconcileOptions(apply=True), progress=Progress())
        refused = ""
    except MassDeleteRefused as error:
        refused = str(error)
    n.check(
        "reconcile --apply refuses to detach more than 5% of the usages "
        f"({refused.split(': it would detach ')[-1].split(' (records')[0]})",
        refused.startswith("--apply refused"),
    )
    options = ReconcileOptions(apply=True, allow_mass_delete=True)
    repaired = reconcile(loaded, options, progress=Progress())
    usage = _one(app, "SELECT salesforce_id FROM usages WHERE id = ?", ad_id)[0]
    n.check(
        f"reconcile --apply --allow-mass-delete recreates it and writes its new Id back ({usage})",
        repaired.counts.failed == 0 and usage != usage_id and sf.Usage__c.get(usage)["Id"] == usage,
    )
    clean = reconcile(loaded, ReconcileOptions(), progress=Progress())
    n.check(
        "a second reconcile finds the two systems in agreement",
        clean.counts.created == clean.counts.updated == 0,
    )


def _lock(n: Narrator, loaded: LoadedConfig, app: Path, sf: Any) -> None:
    contract_id, sf_contract = _one(
        app,
        "SELECT c.id, c.salesforce_id FROM contracts c JOIN usages u ON u.contract_id = c.id "
        "ORDER BY c.id LIMIT 1",
    )
    sf.Contract__c.update(sf_contract, {"Status__c": "Fulfilled"})
    n.step("a contract is fulfilled in Salesforce")
    _sync(loaded)
    status = _one(app, "SELECT status FROM contracts WHERE id = ?", contract_id)[0]
    n.check(f"the app reads the new status ('{status}')", status == "fulfilled")
    ad_id, usage_id, units = _one(
        app,
        "SELECT id, salesforce_id, units FROM usages WHERE contract_id = ? LIMIT 1",
        contract_id,
    )
    _execute(app, "UPDATE usages SET units = units + 5 WHERE id = ?", ad_id)
    n.step("the service team edits one of its usages afterwards")
    summary = _sync(loaded)
    status = _one(app, "SELECT sync_status FROM usages WHERE id = ?", ad_id)[0]
    in_org = sf.Usage__c.get(usage_id)["Units__c"]
    n.check(
        f"the edit is refused (RECORD_LOCKED), the ad says '{status}', Salesforce keeps "
        f"{in_org:g} units",
        _exceptions(summary, "RECORD_LOCKED") == 1 and status == "Failed" and in_org == units,
    )


# -- helpers ------------------------------------------------------------------------------


def _sync(loaded: LoadedConfig) -> Summary:
    return sync_once(loaded, Options(), progress=Progress())


def _ledger(loaded: LoadedConfig) -> Ledger:
    url, _ = resolve_paths(loaded)
    return Ledger.open(url)


def _queue(loaded: LoadedConfig) -> dict[str, int]:
    ledger = _ledger(loaded)
    try:
        return ledger.queue_counts()
    finally:
        ledger.close()


def _make_due(loaded: LoadedConfig) -> None:
    """Let the waiting changes be retried now rather than after their back-off."""
    ledger = _ledger(loaded)
    try:
        ledger.requeue(states=PENDING)
    finally:
        ledger.close()


def _exceptions(summary: Summary, code: str) -> int:
    path = Path(summary.reports) / "exceptions.csv"
    return sum(
        1 for line in path.read_text(encoding="utf-8-sig").splitlines() if f",{code}," in line
    )


def _org_writes(admin: AdminClient) -> int:
    routes: dict[str, int] = admin.stats()["by_route"]
    return sum(
        count
        for route, count in routes.items()
        if route.split(" ", 1)[0] in ("POST", "PATCH", "PUT", "DELETE")
        and "/services/data/" in route
    )


def _rows(db: Path, sql: str) -> int:
    return int(_one(db, sql)[0])


def _one(db: Path, sql: str, *params: Any) -> tuple[Any, ...]:
    with sqlite3.connect(db) as conn:
        row = conn.execute(sql, params).fetchone()
    conn.close()
    return tuple(row)


def _execute(db: Path, sql: str, *params: Any) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql, params)
    conn.close()
