"""A tour of the emulator through the unmodified simple-salesforce client.

It starts ``lockstep emulator serve`` as a separate process on a free loopback port,
logs in over OAuth and SOAP, loads the seed-001 shapes (accounts, contacts, contracts
and usages) through sObject Collections, upserts by external id, queries with
relationships, child subqueries, aggregates and paging, deletes and reads the recycle
bin — then says what it did and what it cost in API calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from lockstep_emulator.client import EmulatorInfo, connect, emulator_session, start_emulator
from rich.console import Console
from simple_salesforce.api import Salesforce


@dataclass
class Tour:
    console: Console
    sf: Any  # simple-salesforce's dynamic SObject attributes defeat static typing
    steps: list[tuple[str, str]] = field(default_factory=list)

    def step(self, title: str, action: Callable[[], str]) -> None:
        started = time.perf_counter()
        outcome = action()
        took = (time.perf_counter() - started) * 1000
        self.steps.append((title, outcome))
        self.console.print(f"[bold green]✓[/] {title} [dim]({took:.0f} ms)[/]\n    {outcome}")

    def calls(self) -> int:
        usage = self.sf.api_usage.get("api-usage")
        return int(usage.used) if usage is not None else 0


def _collection(sf: Any, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, len(records), 200):
        chunk = records[start : start + 200]
        out.extend(sf.restful("composite/sobjects", method="POST", json={"records": chunk}))
    return out


def run_emulator_tour(console: Console, accounts: int = 500) -> int:
    """Run the tour; returns a process exit code."""
    schema = Path(str(resources.files("lockstep.demo").joinpath("schema.yaml")))
    console.rule("[bold]lockstep demo[/] — the Salesforce emulator, driven by simple-salesforce")
    with start_emulator("--schema", str(schema)) as process:
        emu = process.info
        console.print(
            f"emulator up at [cyan]{emu.instance_url}[/] (org {emu.org_id}); "
            f"TLS from its own CA at {emu.ca_cert}"
        )
        tour = Tour(console, connect(emu))
        _run_steps(tour, emu, accounts)
        console.rule(f"[bold]{len(tour.steps)} steps done[/]")
        console.print(
            f"API calls counted by the emulator: [bold]{tour.calls()}[/] "
            f"(Sforce-Limit-Info on every response)"
        )
    return 0


def _run_steps(tour: Tour, emu: EmulatorInfo, n: int) -> None:
    sf: Any = tour.sf
    ids: dict[str, list[str]] = {}

    def soap_login() -> str:
        other: Any = Salesforce(
            username=emu.username,
            password=emu.password,
            security_token=emu.security_token,
            session=emulator_session(emu.login_url, emu.ca_cert),
        )
        org = other.query("SELECT Id, Name, IsSandbox FROM Organization")["records"][0]
        return f"SOAP partner login as {emu.username}; org {org['Id']} '{org['Name']}'"

    def load_accounts() -> str:
        records = [
            {
                "attributes": {"type": "Account"},
                "Name": f"Customer {i:04d}",
                "External_Id__c": f"CUST-{i:04d}",
                "Industry": ["Banking", "Energy", "Retail", "Technology"][i % 4],
                "AnnualRevenue": 10_000.0 * (i % 50),
            }
            for i in range(n)
        ]
        results = _collection(sf, records)
        ids["accounts"] = [r["id"] for r in results if r["success"]]
        calls = -(-len(records) // 200)
        return f"{len(ids['accounts'])} Accounts created in {calls} Collections calls"

    def load_contacts() -> str:
        records = [
            {
                "attributes": {"type": "Contact"},
                "LastName": f"Person {i:04d}",
                "FirstName": "Pat",
                "AccountId": acct,
                "Email": f"pat{i}@example.com",
                "External_Id__c": f"PER-{i:04d}",
            }
            for i, acct in enumerate(ids["accounts"])
        ]
        results = _collection(sf, records)
        return f"{sum(r['success'] for r in results)} Contacts, each linked to its Account"

    def contracts_and_usage() -> str:
        contract = sf.Contract__c.create(
            {
                "Name": "Ad package 2026",
                "Account__c": ids["accounts"][0],
                "Status__c": "Active",
                "Units_Purchased__c": 100,
            }
        )["id"]
        for i, units in enumerate((12.5, 30.0, 7.5)):
            sf.Usage__c.upsert(f"App_Key__c/USE-{i}", {"Contract__c": contract, "Units__c": units})
        rec = sf.Contract__c.get(contract)
        return (
            f"Contract with 3 usages upserted by App_Key__c; roll-up "
            f"Units_Consumed__c = {rec['Units_Consumed__c']}"
        )

    def upsert_twice() -> str:
        first = sf.Account.upsert("External_Id__c/CUST-9999", {"Name": "Late Customer"})
        second = sf.Account.upsert("External_Id__c/CUST-9999", {"Name": "Late Customer Ltd"})
        got = sf.Account.get_by_custom_id("External_Id__c", "CUST-9999")
        return (
            f"upsert answered {first} (created) then {second} (updated); Name now '{got['Name']}'"
        )

    def relationship_query() -> str:
        rows = sf.query(
            "SELECT Name, Account.Name, Account.Industry FROM Contact "
            "WHERE Account.Industry = 'Energy' ORDER BY Name LIMIT 3"
        )["records"]
        first = rows[0]
        return (
            f"{len(rows)} Contacts via parent path; first: {first['Name']} @ "
            f"{first['Account']['Name']} ({first['Account']['Industry']})"
        )

    def child_subquery() -> str:
        row = sf.query(
            "SELECT Name, (SELECT LastName FROM Contacts) FROM Account "
            "WHERE External_Id__c = 'CUST-0001'"
        )["records"][0]
        return f"{row['Name']} has {row['Contacts']['totalSize']} Contact(s) in a child subquery"

    def aggregate() -> str:
        rows = sf.query(
            "SELECT Industry, COUNT(Id) n, SUM(AnnualRevenue) revenue FROM Account "
            "WHERE Industry != null GROUP BY Industry ORDER BY Industry"
        )["records"]
        return "; ".join(f"{r['Industry']}: {r['n']}" for r in rows)

    def paging() -> str:
        sf.headers["Sforce-Query-Options"] = "batchSize=200"
        try:
            first = sf.query("SELECT Id FROM Account")
            pages, total = 1, len(first["records"])
            page = first
            while not page["done"]:
                page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
                pages += 1
                total += len(page["records"])
        finally:
            del sf.headers["Sforce-Query-Options"]
        return f"{total} Accounts read in {pages} pages of ≤200 through nextRecordsUrl"

    def delete_and_query_all() -> str:
        victim = ids["accounts"][-1]
        sf.Account.delete(victim)
        live = sf.query(f"SELECT COUNT() FROM Account WHERE Id = '{victim}'")["totalSize"]
        binned = sf.query(
            f"SELECT Id, IsDeleted FROM Account WHERE Id = '{victim}'", include_deleted=True
        )["records"]
        return (
            f"deleted one Account: query sees {live}, queryAll sees it with "
            f"IsDeleted={binned[0]['IsDeleted']} (recycle bin, 15 days)"
        )

    tour.step("SOAP login through an unmodified client", soap_login)
    tour.step("Load Accounts through sObject Collections", load_accounts)
    tour.step("Load Contacts with lookups", load_contacts)
    tour.step("Contracts and usages (seed 001)", contracts_and_usage)
    tour.step("Upsert by external id, twice", upsert_twice)
    tour.step("SOQL with parent relationships", relationship_query)
    tour.step("SOQL child subquery", child_subquery)
    tour.step("SOQL GROUP BY aggregate", aggregate)
    tour.step("Query paging", paging)
    tour.step("Soft delete and queryAll", delete_and_query_all)
