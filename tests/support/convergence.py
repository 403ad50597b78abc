"""The convergence test's world and judge: two entities of the sync world's org changed
on both sides at once, under faults, while ``lockstep sync`` runs (and is killed), then
every system compared with what the changes say it must hold.

The entities (``config``): **contract**, owned by Salesforce (``Contract__c``; a read
copy in the app's ``contracts``), and **usage**, owned by the app (``usages``, with the
Salesforce Id, the global id and a sync status written back), which references a
contract. The sync world's lock rule is left out: what is under test is convergence,
not refusals.

Every record says who it is in a value no system rewrites: a contract's name begins
``C<n> ``, a usage's ``U<n> `` (its app key). So a record found in Salesforce or in
the app is known to the judge even when lockstep lost its link, made a second one, or
brought a deleted one back.

``Driver`` makes the changes (seeded): contracts created, updated (often the same few
again) and deleted in Salesforce; usages inserted, updated and deleted in the app;
and a few edits on the side that does not own the record, which the owner's value
must overwrite. ``Expected`` is what the changes leave: the owner's last values, and
which records are deleted. ``judge`` reads every system and names each record that is
lost, duplicated, stale or resurrected.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
import sqlalchemy as sa
from lockstep_emulator.client import EmulatorInfo
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceResourceNotFound

from lockstep.ledger import Ledger
from tests.support.looks import soql
from tests.support.sync_world import config_of

T = TypeVar("T")

STATUSES = ("Draft", "Active", "Fulfilled")


def config(info: EmulatorInfo, app_url: str, ledger_url: str, directory: Any) -> dict[str, Any]:
    """The sync world's config with only contracts and usages, without the lock rule,
    the ledger at ``ledger_url``."""
    base = config_of(info, app_url, directory)
    entities = base["entities"]
    usage = dict(entities["usage"])
    usage.pop("lock", None)
    base["entities"] = {"contract": entities["contract"], "usage": usage}
    base["run"]["ledger"] = ledger_url
    return base


# -- faults ------------------------------------------------------------------------------

WRITES = {"path": "composite/sobjects"}  # lockstep's writes; the driver's are not these


def fault_rules(*, outage: bool) -> list[dict[str, Any]]:
    """~20 % 503 on lockstep's writes, ~5 % dropped after commit, ~5 %
    UNABLE_TO_LOCK_ROW, now and then an expired session on a query; and, during an
    outage, every data call refused."""
    rules: list[dict[str, Any]] = [
        {
            "kind": "http_error",
            "status": 503,
            "error_code": "SERVER_UNAVAILABLE",
            "message": "try again later",
            "probability": 0.2,
            "match": WRITES,
        },
        {"kind": "drop_after_commit", "probability": 0.05, "match": WRITES},
        {"kind": "unable_to_lock_row", "probability": 0.05, "match": WRITES},
        {"kind": "expire_session", "probability": 0.03, "match": {"path": "/query"}},
    ]
    if outage:
        down = {
            "kind": "http_error",
            "status": 503,
            "error_code": "SERVER_UNAVAILABLE",
            "message": "down for maintenance",
            "match": {"path": "^/services/data/"},
        }
        rules.insert(0, down)
    return rules


# -- what the changes leave --------------------------------------------------------------


@dataclass
class Contract:
    n: int
    sf_id: str
    name: str
    status: str
    units: int
    deletable: bool  # never referenced by a usage, so it may be deleted
    deleted: bool = False
    app_key: int | None = None  # its key in the app's copy, once seen there


@dataclass
class Usage:
    key: int  # its app key
    ad_name: str
    units: int
    contract: int  # the contract's n
    deleted: bool = False
    sf_id_at_delete: str | None = None  # its Salesforce Id in the app row when deleted


@dataclass
class Expected:
    contracts: dict[int, Contract] = field(default_factory=dict)
    usages: dict[int, Usage] = field(default_factory=dict)
    made: Counter[str] = field(default_factory=Counter)  # changes made, by kind

    @property
    def changes(self) -> int:
        return sum(self.made.values())


def key_of(name: str | None, prefix: str) -> int | None:
    """The record's number from its name (``C12 r3`` → 12), if it is one of ours."""
    if not name or not name.startswith(prefix):
        return None
    head = name[len(prefix) :].split(" ", 1)[0]
    return int(head) if head.isdigit() else None


R = TypeVar("R", Contract, Usage)


# -- the driver ---------------------------------------------------------------------------


class Driver:
    """Makes the changes, one at a time, on both sides, and keeps ``Expected``.

    Salesforce is written through single-record REST calls (``sobjects/...``), which
    the faults on lockstep's writes (``composite/sobjects``) do not match; an outage
    stops them too, so each call is tried again until it goes through (an outage
    refuses a call before doing anything, so a retry is safe)."""

    def __init__(self, seed: int, sf: Salesforce, app_url: str) -> None:
        self.rng = random.Random(seed)
        self.sf = sf
        self.engine = sa.create_engine(app_url, connect_args=_connect_args(app_url))
        self.expected = Expected()
        self.next_usage = 1
        self.hot_contracts: list[int] = []
        self.hot_usages: list[int] = []
        self.app_contract_ids: dict[int, int] = {}  # contract n -> app key, once there

    def close(self) -> None:
        self.engine.dispose()

    # -- one change -------------------------------------------------------------------

    def step(self) -> None:
        """One change, of a kind drawn by weight among those possible now."""
        e = self.expected
        live_contracts = [c for c in e.contracts.values() if not c.deleted]
        live_usages = [u for u in e.usages.values() if not u.deleted]
        stable_in_app = self._stable_contracts_in_app()
        choices: list[tuple[str, float, Callable[[], None]]] = [
            ("sf create contract", 3.0 if len(e.contracts) < 150 else 0.0, self.create_contract),
            ("sf update contract", 6.0 if live_contracts else 0.0, self.update_contract),
            (
                "sf delete contract",
                0.8 if any(c.deletable for c in live_contracts) else 0.0,
                self.delete_contract,
            ),
            (
                "app insert usage",
                4.0 if stable_in_app and len(e.usages) < 320 else 0.0,
                lambda: self.insert_usage(stable_in_app),
            ),
            ("app update usage", 9.0 if live_usages else 0.0, self.update_usage),
            ("app delete usage", 1.0 if len(live_usages) > 20 else 0.0, self.delete_usage),
            ("sf edit usage (not its owner)", 0.6 if live_usages else 0.0, self.edit_usage_in_sf),
            (
                "app edit contract (not its owner)",
                0.6 if self.app_contract_ids else 0.0,
                self.edit_contract_in_app,
            ),
        ]
        weights = [w for _, w, _ in choices]
        kind, _, act = self.rng.choices(choices, weights=weights)[0]
        act()
        e.made[kind] += 1

    def create_contract(self) -> None:
        n = len(self.expected.contracts) + 1
        c = Contract(
            n,
            "",
            f"C{n} r0",
            self.rng.choice(STATUSES),
            self.rng.randint(1, 1000),
            deletable=n % 3 == 0,
        )
        made = self._sf(lambda: self.sf.Contract__c.create(self._contract_fields(c)))
        c.sf_id = made["id"]
        self.expected.contracts[n] = c
        if len(self.hot_contracts) < 8 and not c.deletable:
            self.hot_contracts.append(n)

    def update_contract(self) -> None:
        c = self._pick(self.expected.contracts, self.hot_contracts)
        rev = int(c.name.rsplit("r", 1)[1]) + 1
        c.name, c.status, c.units = f"C{c.n} r{rev}", self.rng.choice(STATUSES), c.units + 1
        self._sf(lambda: self.sf.Contract__c.update(c.sf_id, self._contract_fields(c)))

    def delete_contract(self) -> None:
        c = self.rng.choice(
            [c for c in self.expected.contracts.values() if c.deletable and not c.deleted]
        )
        self._sf(lambda: self.sf.Contract__c.delete(c.sf_id))
        c.deleted = True

    def insert_usage(self, contracts: list[int]) -> None:
        key = self.next_usage
        self.next_usage += 1
        u = Usage(key, f"U{key} r0", self.rng.randint(0, 50), self.rng.choice(contracts))
        self._app(
            "INSERT INTO usages (id, ad_name, units, contract_id) VALUES (:k, :a, :u, :c)",
            {"k": key, "a": u.ad_name, "u": u.units, "c": self.app_contract_ids[u.contract]},
        )
        self.expected.usages[key] = u
        if len(self.hot_usages) < 12:
            self.hot_usages.append(key)

    def update_usage(self) -> None:
        u = self._pick(self.expected.usages, self.hot_usages)
        rev = int(u.ad_name.rsplit("r", 1)[1]) + 1
        u.ad_name, u.units = f"U{u.key} r{rev}", u.units + 1
        params = {"k": u.key, "a": u.ad_name, "u": u.units}
        stable = self._stable_contracts_in_app()
        if stable and self.rng.random() < 0.15:  # now and then another contract
            u.contract = self.rng.choice(stable)
        params["c"] = self.app_contract_ids[u.contract]
        self._app(
            "UPDATE usages SET ad_name = :a, units = :u, contract_id = :c WHERE id = :k", params
        )

    def delete_usage(self) -> None:
        u = self.rng.choice([u for u in self.expected.usages.values() if not u.deleted])
        with self.engine.connect() as conn:
            u.sf_id_at_delete = conn.execute(
                sa.text("SELECT salesforce_id FROM usages WHERE id = :k"), {"k": u.key}
            ).scalar()
        self._app("DELETE FROM usages WHERE id = :k", {"k": u.key})
        u.deleted = True

    def edit_usage_in_sf(self) -> None:
        """A usage edited in Salesforce, which does not own it: the app's values must
        come back over it. Nothing expected changes."""
        u = self.rng.choice([u for u in self.expected.usages.values() if not u.deleted])
        with self.engine.connect() as conn:
            sf_id = conn.execute(
                sa.text("SELECT salesforce_id FROM usages WHERE id = :k"), {"k": u.key}
            ).scalar()
        if not sf_id:
            return
        with contextlib.suppress(SalesforceResourceNotFound):  # deleted meanwhile
            self._sf(lambda: self.sf.Usage__c.update(sf_id, {"Units__c": 9999}))

    def edit_contract_in_app(self) -> None:
        """A contract's app copy edited by the app, which does not own it: Salesforce's
        values must come back over it. Nothing expected changes."""
        n = self.rng.choice(list(self.app_contract_ids))
        c = self.expected.contracts[n]
        if c.deleted:
            return
        self._app(
            "UPDATE contracts SET units = -1, name = :a WHERE id = :k",
            {"k": self.app_contract_ids[n], "a": f"C{n} app-edit"},
        )

    # -- helpers ------------------------------------------------------------------------

    def _pick(self, records: Mapping[int, R], hot: list[int]) -> R:
        """Half the time one of a few hot records (updated again and again)."""
        live_hot = [k for k in hot if not records[k].deleted]
        if live_hot and self.rng.random() < 0.5:
            return records[self.rng.choice(live_hot)]
        return self.rng.choice([r for r in records.values() if not r.deleted])

    def _stable_contracts_in_app(self) -> list[int]:
        """Contracts a usage may reference: never deleted, and already in the app."""
        contracts = self.expected.contracts
        if any(c.app_key is None for c in contracts.values()):
            by_sf = {c.sf_id: c for c in contracts.values() if c.app_key is None}
            with self.engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT id, salesforce_id FROM contracts")).all()
            for app_key, sf_id in rows:
                if sf_id in by_sf:
                    by_sf[sf_id].app_key = int(app_key)
                    if not by_sf[sf_id].deletable:
                        self.app_contract_ids[by_sf[sf_id].n] = int(app_key)
        return sorted(self.app_contract_ids)

    def _contract_fields(self, c: Contract) -> dict[str, Any]:
        return {"Name": c.name, "Status__c": c.status, "Units__c": c.units}

    def _sf(self, call: Callable[[], T]) -> T:
        deadline = time.monotonic() + 60
        while True:
            try:
                return call()
            except SalesforceResourceNotFound:
                raise
            except (SalesforceError, requests.ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _app(self, statement: str, params: Mapping[str, Any]) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                with self.engine.begin() as conn:
                    conn.execute(sa.text(statement), dict(params))
                return
            except sa.exc.OperationalError:  # SQLite busy, a PG deadlock
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def _connect_args(url: str) -> dict[str, Any]:
    return {"timeout": 30} if url.startswith("sqlite") else {}


# -- the judge ----------------------------------------------------------------------------


@dataclass
class Verdict:
    """What is wrong, by kind (lost, duplicated, stale, resurrected, ...): for each,
    the records (as ``C<n>``/``U<n>`` with a word on what was seen)."""

    found: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    figures: dict[str, Any] = field(default_factory=dict)

    def add(self, kind: str, what: str) -> None:
        self.found[kind].append(what)

    @property
    def clean(self) -> bool:
        return not any(self.found.values())

    def report(self, examples: int = 6) -> str:
        lines = [f"  {k}: {v}" for k, v in self.figures.items()]
        for kind, items in sorted(self.found.items()):
            if items:
                shown = "; ".join(items[:examples])
                more = f" (+{len(items) - examples} more)" if len(items) > examples else ""
                lines.append(f"  {kind.upper()} x{len(items)}: {shown}{more}")
        return "\n".join(lines)


def judge(
    expected: Expected, sf: Salesforce, app_url: str, ledger_url: str, verdict: Verdict
) -> Verdict:
    """Compare every system (Salesforce by SOQL, the app by SQL, the ledger) with
    ``expected``; add each disagreement to ``verdict``."""
    _judge_contracts(expected, sf, app_url, verdict)
    _judge_usages(expected, sf, app_url, verdict)
    _judge_ledger(expected, sf, app_url, ledger_url, verdict)
    return verdict


def _judge_contracts(expected: Expected, sf: Salesforce, app_url: str, v: Verdict) -> None:
    in_sf = soql(sf, "SELECT Id, Name, Status__c, Units__c FROM Contract__c")
    in_app = _rows(app_url, "SELECT id, salesforce_id, name, status, units FROM contracts")
    sf_by = _group(in_sf, lambda r: key_of(r["Name"], "C"))
    app_by = _group(in_app, lambda r: key_of(r["name"], "C"))
    app_by_sf_id = _group(in_app, lambda r: r["salesforce_id"])
    for sf_id, rows in app_by_sf_id.items():
        if sf_id is not None and len(rows) > 1:
            v.add("duplicated", f"contract {sf_id}: {len(rows)} app rows")
    for n, c in expected.contracts.items():
        label = f"C{n}"
        sf_rows, app_rows = sf_by.get(n, []), app_by.get(n, [])
        if c.deleted:
            if sf_rows:
                v.add("resurrected", f"{label} (deleted in Salesforce, its owner) is back there")
            if app_rows:
                v.add("resurrected", f"{label} deleted in its owner, still/again in app")
            continue
        want = (c.name, c.status, c.units)
        if len(sf_rows) > 1:
            v.add("duplicated", f"{label}: {len(sf_rows)} in Salesforce")
        if len(app_rows) > 1:
            v.add("duplicated", f"{label}: {len(app_rows)} app rows")
        if not sf_rows:
            v.add("lost", f"{label}: gone from Salesforce, its owner")
        else:
            r = sf_rows[0]
            got = (r["Name"], r["Status__c"], _int(r["Units__c"]))
            if got != want:
                v.add("stale", f"{label} in Salesforce (its owner!) holds {got}, not {want}")
        if not app_rows:
            v.add("lost", f"{label}: never reached the app")
            continue
        r = app_rows[0]
        got = (r["name"], r["status"], _int(r["units"]))
        if got != want:
            v.add("stale", f"{label} in app holds {got}, not {want}")
        if r["salesforce_id"] != c.sf_id:
            v.add("stale", f"{label} in app has salesforce_id {r['salesforce_id']}, not {c.sf_id}")
    for n in set(sf_by) | set(app_by):
        if n not in expected.contracts:
            v.add("duplicated", f"contract {n!r}: one the test never made")


def _judge_usages(expected: Expected, sf: Salesforce, app_url: str, v: Verdict) -> None:
    in_sf = soql(sf, "SELECT Id, Name, Units__c, Contract__c, Lockstep_Id__c FROM Usage__c")
    in_app = _rows(
        app_url,
        "SELECT id, ad_name, units, contract_id, salesforce_id, global_id, sync_status FROM usages",
    )
    contracts_in_app = {
        int(r["id"]): r["salesforce_id"]
        for r in _rows(app_url, "SELECT id, salesforce_id FROM contracts")
    }
    sf_by = _group(in_sf, lambda r: key_of(r["Name"], "U"))
    for gid, rows in _group(in_sf, lambda r: r["Lockstep_Id__c"]).items():
        if gid is None:
            v.add("duplicated", f"{len(rows)} Usage__c without a global id: {rows[0]['Name']}")
        elif len(rows) > 1:
            v.add("duplicated", f"global id {gid}: {len(rows)} Usage__c")
    app_gids = Counter(r["global_id"] for r in in_app if r["global_id"])
    for gid, n in app_gids.items():
        if n > 1:
            v.add("duplicated", f"global id {gid}: {n} app usages")
    app_by = {int(r["id"]): r for r in in_app}
    for key, u in expected.usages.items():
        label = f"U{key}"
        sf_rows, row = sf_by.get(key, []), app_by.get(key)
        if u.deleted:
            for r in sf_rows:
                seen = f"{label} deleted in app (its owner) at r{_rev(u.ad_name)}; Salesforce has"
                if r["Id"] == u.sf_id_at_delete:
                    v.add("delete not carried", f"{seen} {r['Id']} {r['Name']!r}")
                else:
                    v.add(
                        "resurrected",
                        f"{seen} {r['Id']} {r['Name']!r}, not {u.sf_id_at_delete} it had",
                    )
            if row is not None:
                v.add("resurrected", f"{label} deleted in app, its owner, is back there")
            continue
        if row is None:
            v.add("lost", f"{label}: gone from the app, its owner")
        elif (row["ad_name"], _int(row["units"])) != (u.ad_name, u.units):
            v.add(
                "stale",
                f"{label} in app (its owner!) holds {(row['ad_name'], row['units'])}, "
                f"not {(u.ad_name, u.units)}",
            )
        if len(sf_rows) > 1:
            names = ", ".join(f"{r['Id']} {r['Name']!r}" for r in sf_rows)
            v.add("duplicated", f"{label}: {len(sf_rows)} in Salesforce ({names})")
        if not sf_rows:
            v.add("lost", f"{label}: not in Salesforce")
            continue
        r = sf_rows[0]
        contract_sf_id = expected.contracts[u.contract].sf_id
        got = (r["Name"], _int(r["Units__c"]), r["Contract__c"])
        want = (u.ad_name, u.units, contract_sf_id)
        if got != want:
            v.add("stale", f"{label} in Salesforce holds {got}, not {want}")
        if row is None:
            continue
        back = (row["salesforce_id"], row["global_id"], row["sync_status"])
        if back != (r["Id"], r["Lockstep_Id__c"], "Success"):
            v.add(
                "stale write-back",
                f"{label} app (sf id, gid, status) = {back}; Salesforce has "
                f"({r['Id']}, {r['Lockstep_Id__c']})",
            )
        if contracts_in_app.get(row["contract_id"]) != contract_sf_id:
            v.add("stale", f"{label}: app contract_id {row['contract_id']} is not C{u.contract}")
    for key in set(sf_by) - set(expected.usages):
        v.add("duplicated", f"usage {key!r}: one the test never made is in Salesforce")


def _judge_ledger(
    expected: Expected, sf: Salesforce, app_url: str, ledger_url: str, v: Verdict
) -> None:
    with Ledger.open(ledger_url) as ledger:
        counts = ledger.queue_counts()
        v.figures["queue at the end"] = dict(counts)
        gone = _deleted_natives(expected)
        for state in ("pending", "in_flight", "failed", "dead"):
            items = ledger.queue_items(states=[state], limit=100_000)
            if state in ("failed", "dead"):
                # one of a record since deleted in its owner (a write-back that found
                # the row gone) loses nothing: counted, not held against sync
                moot = [i for i in items if (i.entity, i.origin, i.native_id) in gone]
                if moot:
                    v.figures[f"{state}, of records since deleted"] = len(moot)
                items = [i for i in items if (i.entity, i.origin, i.native_id) not in gone]
            if items:
                codes = Counter(i.last_error_code or i.last_error or "-" for i in items)
                sample = "; ".join(
                    f"{i.entity} {i.kind} {i.origin}:{i.native_id} "
                    f"[{i.last_error_code}] {(i.last_error or '')[:90]}"
                    for i in items[:6]
                )
                v.add(
                    f"queue not empty ({state})",
                    f"{len(items)} items, errors {dict(codes.most_common(4))}: {sample}",
                )
        # the golden record of each live record is its owner's last values
        usage_gids = ledger.global_ids("usage", "app", [str(k) for k in expected.usages])
        contract_gids = ledger.global_ids(
            "contract", "crm", [c.sf_id for c in expected.contracts.values()]
        )
        goldens_u = ledger.golden_many("usage", usage_gids.values())
        goldens_c = ledger.golden_many("contract", contract_gids.values())
    for key, u in expected.usages.items():
        gid = usage_gids.get(str(key))
        if u.deleted or gid is None:
            continue
        g = goldens_u.get(gid)
        got = None if g is None else (g.values.get("ad_name"), _int(g.values.get("units")))
        if got != (u.ad_name, u.units):
            v.add("stale golden record", f"U{key} golden {got}, owner has {(u.ad_name, u.units)}")
    for c in expected.contracts.values():
        gid = contract_gids.get(c.sf_id)
        if c.deleted or gid is None:
            continue
        g = goldens_c.get(gid)
        want = (c.name, c.status, c.units)
        got = (
            None
            if g is None
            else (g.values.get("name"), g.values.get("status"), _int(g.values.get("units")))
        )
        if got != want:
            v.add("stale golden record", f"C{c.n} golden {got}, owner has {want}")


def _deleted_natives(expected: Expected) -> set[tuple[str, str, str]]:
    """(entity, system, native id) of every record deleted in its owner."""
    gone: set[tuple[str, str, str]] = set()
    for u in expected.usages.values():
        if u.deleted:
            gone.add(("usage", "app", str(u.key)))
            if u.sf_id_at_delete:
                gone.add(("usage", "crm", u.sf_id_at_delete))
    for c in expected.contracts.values():
        if c.deleted:
            gone.add(("contract", "crm", c.sf_id))
            if c.app_key is not None:
                gone.add(("contract", "app", str(c.app_key)))
    return gone


def _rows(url: str, query: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(query)).mappings()]
    finally:
        engine.dispose()


def _group(
    rows: Iterable[dict[str, Any]], by: Callable[[dict[str, Any]], Any]
) -> dict[Any, list[dict[str, Any]]]:
    """``rows`` by ``by`` of each (``None`` too: a row that is not one of ours)."""
    found: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        found[by(r)].append(r)
    return found


def _rev(name: str) -> str:
    return name.rsplit("r", 1)[-1]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
