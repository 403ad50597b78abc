"""The AMS example (seed 003) on any SQL database, its config pointed at a test org, and
the few looks at both sides the migration tests need.

``create_ams`` builds the AMS tables and rows of ``lockstep.demo.ams_data`` on any
SQLAlchemy URL: on SQLite it is the generator itself; elsewhere the generator writes a
scratch SQLite file and its rows are copied into equivalent tables (the same columns,
keys, references and check, in types every dialect has).
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from lockstep_emulator.admin_client import AdminClient
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce.api import Salesforce

from lockstep.cli.app import main
from lockstep.demo import ams_data
from tests.support.emulators import OrgSpec
from tests.support.looks import soql

EXAMPLE = Path(__file__).parents[3] / "examples" / "ams-migration"
AMS_ORG = OrgSpec(EXAMPLE / "org.yaml", "migrate-tests-secret")

# The flaws of ams_data with its default size (60 companies, 200 individuals).
SOURCE_DUPLICATES = ("7", "8")  # company 8 repeats company 7
REFUSED = "13"  # negative dues: Salesforce's validation rule refuses it
PRE_EXISTING = "3"
SHARED_EMAIL = ("21", "22")
PARENT_OF = {"20": "11", "30": "21", "40": "31", "50": "41", "60": "51"}  # every 10th


def employees(company: int, companies: int = 60, individuals: int = 200) -> list[str]:
    """The individuals ``ams_data`` makes employees of ``company``."""
    return [str(n) for n in range(1, individuals + 1) if 1 + (n * 7) % companies == company]


def ams_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """``ams_data.SCHEMA`` in portable types."""
    company = sa.Table(
        "company",
        metadata,
        sa.Column("company_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("parent_company_id", sa.Integer, sa.ForeignKey("company.company_id")),
        sa.Column("city", sa.String(80)),
        sa.Column("country", sa.String(80)),
        sa.Column("phone", sa.String(40)),
        sa.Column("website", sa.String(200)),
        sa.Column("member_type", sa.String(20)),
        sa.Column("annual_dues", sa.Numeric(16, 2)),
        sa.Column("sf_account_id", sa.String(18)),
        sa.Column("global_id", sa.String(40)),
        sa.Column("sync_status", sa.String(20)),
        sa.CheckConstraint(
            "member_type IN ('CORP', 'ASSOC', 'NONMEMBER')", name="company_member_type"
        ),
    )
    individual = sa.Table(
        "individual",
        metadata,
        sa.Column("customer_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("first_name", sa.String(80)),
        sa.Column("last_name", sa.String(80), nullable=False),
        sa.Column("email", sa.String(200)),
        sa.Column("phone", sa.String(40)),
        sa.Column("title", sa.String(80)),
        sa.Column("employer_id", sa.Integer, sa.ForeignKey("company.company_id")),
        sa.Column("sf_contact_id", sa.String(18)),
        sa.Column("sync_status", sa.String(20)),
    )
    return company, individual


def create_ams(url: str, companies: int = 60, individuals: int = 200) -> None:
    """The AMS database of ``ams_data`` at ``url`` (which must be empty)."""
    target = sa.make_url(url)
    if target.get_backend_name() == "sqlite":
        assert target.database, url
        ams_data.create(Path(target.database), companies, individuals)
        return
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "ams.db"
        ams_data.create(path, companies, individuals)
        source = sa.create_engine(f"sqlite:///{path}")
        engine = sa.create_engine(url)
        try:
            metadata = sa.MetaData()
            tables = ams_tables(metadata)
            metadata.create_all(engine)
            with source.connect() as read, engine.begin() as write:
                for table in tables:
                    rows = [
                        dict(r._mapping)
                        for r in read.execute(sa.text(f"SELECT * FROM {table.name}"))
                    ]
                    for start in range(0, len(rows), 2000):
                        write.execute(table.insert(), rows[start : start + 2000])
        finally:
            source.dispose()
            engine.dispose()


def sql_rows(url: str, table: str) -> dict[str, dict[str, Any]]:
    """Every row of ``table`` by its key, values as text (NULL as ``None``)."""
    key = {"company": "company_id", "individual": "customer_id"}[table]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).mappings().all()
    finally:
        engine.dispose()
    return {str(r[key]): {k: None if v is None else str(v) for k, v in r.items()} for r in rows}


def sql_execute(url: str, statement: str, **params: Any) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement), params)
    finally:
        engine.dispose()


def write_config(
    directory: Path,
    info: EmulatorInfo,
    sql_url: str,
    *,
    bulk_threshold: int | None = None,
    login_url: str | None = None,
) -> Path:
    """The example's ``lockstep.yaml`` pointed at ``info``'s org and ``sql_url``, its
    ledger and reports inside ``directory``."""
    config = yaml.safe_load((EXAMPLE / "lockstep.yaml").read_text())
    crm = config["systems"]["crm"]
    crm["login_url"] = login_url or info.login_url
    crm["ca_cert"] = info.ca_cert
    crm["auth"].update(
        client_id=info.client_id,
        client_secret=info.client_secret,
        username=info.username,
        password=info.password + info.security_token,
    )
    if bulk_threshold is not None:
        crm["bulk_threshold"] = bulk_threshold
    config["systems"]["ams"]["url"] = sql_url
    config["run"]["ledger"] = f"sqlite:///{directory / 'ledger.db'}"
    config["run"]["reports"] = str(directory / "reports")
    path = directory / "lockstep.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def by_external_id(sf: Salesforce, obj: str, fields: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every record of ``obj`` with an ``External_Id__c``, by it."""
    names = ", ".join(dict.fromkeys(["Id", "External_Id__c", *fields]))
    rows = soql(sf, f"SELECT {names} FROM {obj} WHERE External_Id__c != null")
    return {r["External_Id__c"]: r for r in rows}


def quoted(keys: Sequence[str]) -> str:
    return ", ".join(f"'{k}'" for k in keys)


def org_calls(stats: Mapping[str, Any]) -> int:
    """The calls the emulator counted that use the org's API allocation: not logins,
    not its admin API."""
    families = stats["by_family"]
    return int(stats["total"] - families["auth"] - families["admin"])


@dataclass(frozen=True)
class Result:
    """One in-process CLI run: its exit code and, when it wrote them, its reports."""

    code: int
    reports: Path | None
    summary: dict[str, Any] | None

    def counts(self, entity: str | None = None) -> dict[str, int]:
        assert self.summary is not None, "the run wrote no summary.json"
        counts: dict[str, int] = (
            self.summary["counts"] if entity is None else self.summary["by_entity"][entity]
        )
        return counts

    def csv(self, name: str) -> list[dict[str, str]]:
        assert self.reports is not None, "the run wrote no reports"
        with (self.reports / name).open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))


@dataclass
class Workspace:
    """A config in a temporary folder (ledger and reports beside it), the AMS database
    it migrates from and the org it migrates into."""

    directory: Path
    config: Path
    sql_url: str
    info: EmulatorInfo
    sf: Salesforce
    admin: AdminClient

    @property
    def reports(self) -> Path:
        return self.directory / "reports"

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.directory / 'ledger.db'}"

    def cli(self, command: str, *args: str) -> Result:
        """``lockstep <command> -c <config> <args>`` in-process."""
        before = set(self.reports.iterdir()) if self.reports.exists() else set()
        try:
            main([command, "-c", str(self.config), *args])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        else:
            raise AssertionError("lockstep's main() returned instead of exiting")
        after = set(self.reports.iterdir()) if self.reports.exists() else set()
        new = sorted(after - before)
        assert len(new) <= 1, new
        directory = new[0] if new else None
        summary = None
        if directory is not None and (directory / "summary.json").exists():
            summary = json.loads((directory / "summary.json").read_text())
        return Result(code, directory, summary)

    def rows(self, table: str) -> dict[str, dict[str, Any]]:
        return sql_rows(self.sql_url, table)

    def execute(self, statement: str, **params: Any) -> None:
        sql_execute(self.sql_url, statement, **params)

    def tables(self) -> dict[str, list[str]]:
        """The SQL side's tables and their triggers (SQLite and MariaDB)."""
        engine = sa.create_engine(self.sql_url)
        try:
            with engine.connect() as conn:
                names = sa.inspect(conn).get_table_names()
                if engine.dialect.name == "sqlite":
                    query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                else:
                    query = "SELECT trigger_name FROM information_schema.triggers"
                    query += " WHERE trigger_schema = DATABASE()"
                triggers = [r[0] for r in conn.execute(sa.text(query))]
        finally:
            engine.dispose()
        return {"tables": sorted(names), "triggers": sorted(triggers)}

    def table_count(self, table: str) -> int:
        """Rows in one of the ledger's tables (``ls_runs``, ``ls_xrefs``…)."""
        engine = sa.create_engine(self.ledger_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
        finally:
            engine.dispose()

    def xrefs(self, entity: str) -> dict[str, dict[str, str]]:
        """The ledger's links of ``entity``: system -> {global id: native id}."""
        engine = sa.create_engine(self.ledger_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text("SELECT system, global_id, native_id FROM ls_xrefs WHERE entity = :e"),
                    {"e": entity},
                ).all()
        finally:
            engine.dispose()
        links: dict[str, dict[str, str]] = {}
        for system, gid, native in rows:
            links.setdefault(system, {})[gid] = native
        return links
