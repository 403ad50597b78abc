"""Seed 003 (Personify360 CUS560), narrated: the AMS database's companies and
individuals go into a Salesforce org.

validate, plan (MIGRATE_TEST), relink refused before migrate, migrate (MIGRATE_DATA),
relink (MIGRATE_UPDATE_RELATIONSHIP), fix the refused record and ``--retry-failed``,
then a second migrate that writes nothing. Every claim is checked with SOQL or SQL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from lockstep_emulator.client import connect, start_emulator

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.demo import ams_data
from lockstep.demo.environment import copy_example, count, emulator_env
from lockstep.demo.narrator import Narrator
from lockstep.errors import ConfigError
from lockstep.migrate.run import Mode, Options, run
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.validation.live import validate


def ams_scenario(n: Narrator, example: Path, work: Path) -> None:
    n.title("Seed 003 — Personify360 CUS560: AMS companies and individuals into Salesforce")
    copy_example(example, work, "lockstep.yaml", "org.yaml")
    ams_data.create(work / "ams.db")
    n.step(
        "AMS database: 60 companies, 200 individuals (one duplicate company, one with "
        "negative dues, a shared e-mail, parent companies)"
    )
    with start_emulator("--schema", str(work / "org.yaml")) as process:
        info = process.info
        env = {**emulator_env("SF", info), "AMS_DATABASE_URL": f"sqlite:///{work / 'ams.db'}"}
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
            count(sf, "SELECT Id FROM Account") == 1,
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
            and count(sf, f"SELECT Id FROM Account WHERE Name = '{ams_data.company_name(7)}'") == 0,
        )
        n.check(
            "every migrated company carries its Global Customer Id",
            count(sf, "SELECT Id FROM Account WHERE Global_Customer_Id__c = null") == 0,
        )

        n.step("lockstep relink (MIGRATE_UPDATE_RELATIONSHIP): parent companies")
        relink = _run(loaded, "relink")
        n.summary(relink)
        n.check(
            "parent companies are linked in Salesforce",
            count(sf, "SELECT Id FROM Account WHERE ParentId != null") == first.deferred,
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


def _run(loaded: LoadedConfig, mode: Mode, **options: Any) -> Summary:
    return run(loaded, Options(mode, **options), progress=Progress())


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig") if path.is_file() else ""
