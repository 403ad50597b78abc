"""The seed scenarios end to end, on emulators and SQLite, narrated.

Seed 003 (Personify360 CUS560): the AMS database's companies and individuals go into a
Salesforce org: validate, plan (MIGRATE_TEST), migrate (MIGRATE_DATA), relink
(MIGRATE_UPDATE_RELATIONSHIP), fix the refused record and ``--retry-failed``, then a
second migrate that writes nothing.

Seed 002 (MuleSoft org sync): a hub database's golden customers and contacts go into two
orgs that already hold some of them; the Global Customer ID ends up in all three.

Seed 001 (service app ↔ Salesforce): two-way ``sync`` passes (``service_app.py``).

Every step runs the same library calls as the commands, against real emulator processes
over HTTPS; every claim the demo prints is checked with SOQL or SQL, and the demo
fails (exit 1) if one does not hold.
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockstep_emulator.client import EmulatorInfo, connect, start_emulator
from rich.console import Console
from rich.table import Table

import lockstep
from lockstep.config.loader import LoadedConfig, load_config
from lockstep.demo import ams_data, hub_data
from lockstep.demo.service_app import service_app_scenario
from lockstep.errors import ConfigError
from lockstep.migrate.run import Mode, Options, run
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.validation.live import validate

COLUMNS = ("selected", "created", "updated", "matched", "unchanged", "failed", "duplicates")


def examples_dir() -> Path:
    """The examples: in the repository (editable install) or inside the package."""
    here = Path(lockstep.__file__).resolve().parent
    for candidate in (here.parent.parent / "examples", here / "examples"):
        if (candidate / "ams-migration" / "lockstep.yaml").is_file():
            return candidate
    raise FileNotFoundError("the examples folder is missing from this installation")


@dataclass
class Narrator:
    console: Console
    checks: list[tuple[str, bool]] = field(default_factory=list)

    def title(self, text: str) -> None:
        self.console.print(f"\n[bold]{text}[/]")

    def step(self, text: str) -> None:
        self.console.print(f"[bold cyan]>[/] {text}")

    def check(self, claim: str, holds: bool) -> None:
        self.checks.append((claim, holds))
        mark = "[bold green]✓[/]" if holds else "[bold red]✗[/]"
        self.console.print(f"  {mark} {claim}")

    def summary(self, summary: Summary) -> None:
        table = Table(box=None, pad_edge=False, show_edge=False)
        table.add_column(summary.mode)
        for column in COLUMNS:
            table.add_column(column, justify="right")
        for name, counts in summary.by_entity.items():
            row = counts.as_dict()
            table.add_row(name, *(f"{row[c]:,}" for c in COLUMNS))
        self.console.print(table)
        calls = ", ".join(f"{s} {n}" for s, n in summary.api_calls.items())
        self.console.print(f"  [dim]API calls: {calls}; reports: {summary.reports}[/]")


def run_migration_demo(console: Console, workdir: Path | None = None) -> int:
    """Every scenario; 0 when every check held."""
    root = workdir or Path(tempfile.mkdtemp(prefix="lockstep-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    narrator = Narrator(console)
    examples = examples_dir()
    ams_scenario(narrator, examples / "ams-migration", root / "ams-migration")
    org_sync_scenario(narrator, examples / "org-sync", root / "org-sync")
    service_app_scenario(narrator, examples / "service-app", root / "service-app", _emulator_env)
    failed = [claim for claim, holds in narrator.checks if not holds]
    narrator.title(
        f"{len(narrator.checks) - len(failed)} of {len(narrator.checks)} checks held. "
        f"Everything the demo wrote is in {root}"
    )
    return 1 if failed else 0


def _copy(example: Path, into: Path, *names: str) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for name in names:
        (into / name).write_text((example / name).read_text())


def _run(loaded: LoadedConfig, mode: Mode, **options: Any) -> Summary:
    return run(loaded, Options(mode, **options), progress=Progress())


def _emulator_env(prefix: str, info: EmulatorInfo) -> dict[str, str]:
    return {
        f"{prefix}_LOGIN_URL": info.login_url,
        f"{prefix}_CA_CERT": info.ca_cert,
        f"{prefix}_CLIENT_ID": info.client_id,
        f"{prefix}_CLIENT_SECRET": info.client_secret,
        f"{prefix}_USERNAME": info.username,
        f"{prefix}_PASSWORD": info.password + info.security_token,
    }


def _count(sf: Any, soql: str) -> int:
    return int(sf.query(soql)["totalSize"])


# -- seed 003 -----------------------------------------------------------------------------


def ams_scenario(n: Narrator, example: Path, work: Path) -> None:
    n.title("Seed 003 — Personify360 CUS560: AMS companies and individuals into Salesforce")
    _copy(example, work, "lockstep.yaml", "org.yaml")
    ams_data.create(work / "ams.db")
    n.step(
        "AMS database: 60 companies, 200 individuals (one duplicate company, one with "
        "negative dues, a shared e-mail, parent companies)"
    )
    with start_emulator("--schema", str(work / "org.yaml")) as process:
        info = process.info
        env = {**_emulator_env("SF", info), "AMS_DATABASE_URL": f"sqlite:///{work / 'ams.db'}"}
        loaded = load_config(work / "lockstep.yaml", environ=env)
        sf: Any = connect(info)  # simple-salesforce's SObjects are dynamic attributes
        name = ams_data.company_name(ams_data.PRE_EXISTING)
        city, _ = ams_data.CITIES[ams_data.PRE_EXISTING % len(ams_data.CITIES)]
        sf.Account.create({"Name": f" {name.upper()}  ", "BillingCity": city})
        n.step(f"the org already holds one of the companies: '{name.upper()}' in {city}")

        outcome = validate(loaded)
        n.check("lockstep validate: the config matches the org and the database", outcome.ok)

        n.step("lockstep plan (MIGRATE_TEST)")
        plan = _run(loaded, "plan")
        n.summary(plan)
        n.check(
            "plan wrote nothing: the org still holds 1 Account",
            _count(sf, "SELECT Id FROM Account") == 1,
        )

        n.step("lockstep relink before migrate")
        try:
            _run(loaded, "relink")
            n.check("relink is refused before migrate", False)
        except ConfigError as exc:  # the refusal is the point
            n.check(f"relink is refused before migrate: {exc}", "relink refused" in str(exc))

        n.step("lockstep migrate (MIGRATE_DATA)")
        first = _run(loaded, "migrate")
        n.summary(first)
        company = first.by_entity["company"]
        n.check(
            "the pre-existing Account was matched and linked, not duplicated", company.matched == 1
        )
        n.check(
            "company 13 was refused by the org's validation rule (exceptions.csv)",
            "FIELD_CUSTOM_VALIDATION_EXCEPTION" in _text(Path(first.reports) / "exceptions.csv"),
        )
        n.check(
            "the duplicate companies went to duplicates.csv, not into the org",
            company.duplicates == 2
            and _count(sf, f"SELECT Id FROM Account WHERE Name = '{ams_data.company_name(7)}'")
            == 0,
        )
        n.check(
            "every migrated company carries its Global Customer Id",
            _count(sf, "SELECT Id FROM Account WHERE Global_Customer_Id__c = null") == 0,
        )

        n.step("lockstep relink (MIGRATE_UPDATE_RELATIONSHIP): parent companies")
        relink = _run(loaded, "relink")
        n.summary(relink)
        n.check(
            "parent companies are linked in Salesforce",
            _count(sf, "SELECT Id FROM Account WHERE ParentId != null") == first.deferred,
        )

        with sqlite3.connect(work / "ams.db") as db:
            db.execute(
                "UPDATE company SET annual_dues = 75 WHERE company_id = ?",
                (ams_data.NEGATIVE_DUES,),
            )
        n.step("fix company 13's dues in the AMS, then lockstep migrate --retry-failed")
        retry = _run(loaded, "migrate", retry_failed=True)
        n.summary(retry)
        n.check(
            "only the failed records were retried; company 13 and its people are in",
            retry.by_entity["company"].selected == 1 and retry.by_entity["company"].created == 1,
        )

        n.step("lockstep migrate again")
        again = _run(loaded, "migrate")
        n.check(
            "a second migrate writes nothing",
            again.counts.created == 0 and again.counts.updated == 0,
        )
        with sqlite3.connect(work / "ams.db") as db:
            missing = db.execute(
                "SELECT COUNT(*) FROM company "
                "WHERE sf_account_id IS NULL AND company_id NOT IN (7, 8)"
            ).fetchone()[0]
        n.check("the Account Id and sync status were written back into the AMS", missing == 0)


# -- seed 002 -----------------------------------------------------------------------------


def org_sync_scenario(n: Narrator, example: Path, work: Path) -> None:
    n.title("Seed 002 — org sync: a golden-record hub and two Salesforce orgs")
    _copy(example, work, "lockstep.yaml", "org.yaml")
    hub_data.create(work / "hub.db")
    n.step("hub database: 40 customers, 100 contacts; each org already holds a few customers")
    schema = str(work / "org.yaml")
    with (
        start_emulator("--schema", schema) as fsc_org,
        start_emulator("--schema", schema) as sales_org,
    ):
        env = {
            **_emulator_env("FSC", fsc_org.info),
            **_emulator_env("SALES", sales_org.info),
            "HUB_DATABASE_URL": f"sqlite:///{work / 'hub.db'}",
        }
        fsc: Any = connect(fsc_org.info)
        sales: Any = connect(sales_org.info)
        for sf, ids in ((fsc, hub_data.IN_FSC), (sales, hub_data.IN_SALES)):
            for account in hub_data.existing_accounts(ids):
                sf.Account.create(account)
        loaded = load_config(work / "lockstep.yaml", environ=env)
        n.check("lockstep validate: two orgs and the hub", validate(loaded).ok)

        n.step("lockstep migrate: Accounts first, then Contacts, into both orgs")
        first = _run(loaded, "migrate")
        n.summary(first)
        n.check(
            "records already in an org were linked, not duplicated",
            first.by_entity["customer"].matched == len(hub_data.IN_FSC) + len(hub_data.IN_SALES),
        )
        with sqlite3.connect(work / "hub.db") as db:
            gcid, fsc_id, sales_id = db.execute(
                "SELECT global_customer_id, fsc_account_id, sales_account_id FROM customers "
                "WHERE customer_id = 5"
            ).fetchone()
        in_fsc = fsc.query(f"SELECT Id FROM Account WHERE Global_Customer_Id__c = '{gcid}'")
        in_sales = sales.query(f"SELECT Id FROM Account WHERE Global_Customer_Id__c = '{gcid}'")
        n.check(
            f"customer 5 has Global Customer ID {gcid} in the hub and in both orgs",
            [r["Id"] for r in in_fsc["records"]] == [fsc_id]
            and [r["Id"] for r in in_sales["records"]] == [sales_id],
        )
        contacts = _count(fsc, "SELECT Id FROM Contact WHERE AccountId != null")
        n.check("every Contact is attached to its Account in the FSC org", contacts == 100)
        again = _run(loaded, "migrate")
        n.check(
            "a second run writes nothing", again.counts.created == 0 and again.counts.updated == 0
        )


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig") if path.is_file() else ""
