"""The batch writes Bulk uses give every record what ``RecordStore`` gives it.

Each case runs twice on twin orgs with the same data: record by record through
``RecordStore`` (each in its own savepoint, as sObject Collections do) and as one
chunk through ``store.batch*``. Outcomes (errorCode, message, fields), stored rows and
change notifications must agree; only generated ids and stamps may differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from lockstep_emulator import ids
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.org import Org, OrgSettings
from lockstep_emulator.schema.model import ObjectDef
from lockstep_emulator.store.batch import Outcome, create_many
from lockstep_emulator.store.batch_upsert import upsert_many
from lockstep_emulator.store.batch_values import id_maker
from lockstep_emulator.store.batch_write import delete_many, update_many
from lockstep_emulator.store.records import Change

SCHEMA = Path(__file__).with_name("batch_schema.yaml")
ID = re.compile(r"\b[a-zA-Z0-9]{18}\b")
STAMPS = {"CreatedDate", "LastModifiedDate", "SystemModstamp"}


class Twin:
    """An org, the changes its store reports, and a map of its ids to stable names."""

    def __init__(self) -> None:
        self.org = Org(OrgSettings(schema_file=SCHEMA), None)
        self.changes: list[Change] = []
        self.org.store.listeners.append(self.changes.append)
        self.names: dict[str, str] = {self.org.user_id: "<user>"}

    def obj(self, name: str) -> ObjectDef:
        found = self.org.schema.get(name)
        assert found is not None
        return found

    def name_ids(self, ids: Sequence[str | None], prefix: str) -> None:
        for i, rid in enumerate(ids):
            if rid:
                self.names.setdefault(rid, f"<{prefix}{i}>")

    def plain(self, value: Any) -> Any:
        """``value`` with this org's ids replaced by their stable names."""
        if isinstance(value, str):
            return ID.sub(lambda m: self.names.get(m.group(0), "<id>"), value)
        if isinstance(value, dict):
            return {k: self.plain(v) for k, v in value.items() if k not in STAMPS}
        if isinstance(value, list | tuple):
            return [self.plain(v) for v in value]
        return value

    def outcome(self, outcome: Outcome) -> Any:
        error = outcome.error
        if error is None:
            return ("ok", self.plain(outcome.id), outcome.created)
        return (error.error_code, self.plain(error.message), error.fields)

    def rows(self, name: str) -> list[Any]:
        cur = self.org.db.conn.execute(f'SELECT * FROM "{name}" ORDER BY "Id"')
        cols = [d[0] for d in cur.description]
        return sorted((self.plain(dict(zip(cols, row, strict=True))) for row in cur), key=repr)

    def change_log(self) -> list[Any]:
        return [
            (
                c.kind,
                c.object,
                self.plain(c.record_id),
                self.plain(dict(c.values)),
                sorted(c.changed_fields),
            )
            for c in self.changes
        ]


@pytest.fixture
def twins() -> Iterator[tuple[Twin, Twin]]:
    one, two = Twin(), Twin()
    yield one, two
    one.org.close()
    two.org.close()


def seed(twin: Twin) -> dict[str, str]:
    """The same starting data in both twins, named alike."""
    org, store = twin.org, twin.org.store
    made: dict[str, str] = {}
    with org.db.transaction():
        for key in ("taken", "other", "doomed"):
            made[key] = store.create(
                twin.obj("Account"), {"Name": key, "External_Id__c": key}, org.user_id
            )
        made["contract"] = store.create(
            twin.obj("Contract__c"), {"Account__c": made["other"]}, org.user_id
        )
        made["usage"] = store.create(
            twin.obj("Usage__c"), {"Contract__c": made["contract"], "Units__c": 1}, org.user_id
        )
        store.delete(twin.obj("Account"), made["doomed"], org.user_id)
    for key, rid in made.items():
        twin.names[rid] = f"<{key}>"
    twin.changes.clear()
    return made


def one_by_one(
    twin: Twin, write: Callable[[Any], str | None], items: Sequence[Any]
) -> list[Outcome]:
    out = []
    with twin.org.db.transaction():
        for item in items:
            try:
                with twin.org.db.transaction():
                    rid = write(item)
                out.append(Outcome(rid, created=rid is not None))
            except SalesforceError as exc:
                out.append(Outcome(None, exc))
    return out


def account_bodies(made: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"Name": "fine", "NumberOfEmployees": "12", "AnnualRevenue": "1000.5"},
        {"NumberOfEmployees": "3"},
        {"Name": "x" * 256},
        {"Name": "n", "NumberOfEmployees": "many"},
        {"Name": "n", "NumberOfEmployees": "1.5"},
        {"Name": "n", "NumberOfEmployees": "-4"},
        {"Name": "n", "Nope__c": "1"},
        {"Name": "n", "CreatedDate": "2020-01-01T00:00:00Z"},
        {"Name": "n", "ParentId": "bogus"},
        {"Name": "n", "ParentId": "003000000000000AAA"},
        {"Name": "n", "ParentId": made["doomed"]},
        {"Name": "n", "ParentId": made["taken"], "Type": "Customer"},
        {"Name": "n", "External_Id__c": "TAKEN"},
        {"Name": "n", "External_Id__c": "fresh"},
        {"Name": "n", "External_Id__c": "FRESH"},
        {"Name": "n", "External_Id__c": "doomed"},
        {"Name": "n", "External_Id__c": None, "Description": None, "Website": ""},
        {"Name": "n", "AnnualRevenue": "1e30"},
        {"Name": "n", "AnnualRevenue": "nan"},
    ]


def compare(one: Twin, two: Twin, slow: list[Outcome], fast: list[Outcome], *tables: str) -> None:
    one.name_ids([o.id for o in slow], "new")
    two.name_ids([o.id for o in fast], "new")
    assert [two.outcome(o) for o in fast] == [one.outcome(o) for o in slow]
    for table in tables:
        assert two.rows(table) == one.rows(table)
    assert two.change_log() == one.change_log()


def test_create_many_matches_record_by_record(twins: tuple[Twin, Twin]) -> None:
    one, two = twins
    made_one, made_two = seed(one), seed(two)
    account = one.obj("Account")
    bodies = account_bodies(made_one)
    slow = one_by_one(one, lambda b: one.org.store.create(account, b, one.org.user_id), bodies)
    with two.org.db.transaction():
        fast = create_many(
            two.org.store, two.obj("Account"), account_bodies(made_two), two.org.user_id
        )
    assert sum(o.ok for o in fast) == 5
    compare(one, two, slow, fast, "Account")


def test_update_many_matches_record_by_record(twins: tuple[Twin, Twin]) -> None:
    one, two = twins
    seeded = seed(one), seed(two)

    def items(made: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
        return [
            (made["taken"], {"Description": "changed", "NumberOfEmployees": "7"}),
            (made["other"], {"Name": None}),
            (made["other"], {"Description": "again"}),
            (made["doomed"], {"Description": "ghost"}),
            ("001000000000000AAA", {"Description": "nobody"}),
            ("bogus", {"Description": "x"}),
            (made["contract"], {"Description": "wrong object"}),
            (made["taken"][:15].lower() + "xyz", {"Description": "bad case"}),
        ]

    account = one.obj("Account")
    slow_items = items(seeded[0])
    # A second update of the same id in one list fails in a batch (Salesforce's
    # "Duplicate id in list"); record by record it would apply, so it is left out here.
    slow = one_by_one(
        one,
        lambda it: one.org.store.update(account, it[0], it[1], one.org.user_id),
        [it for i, it in enumerate(slow_items) if i != 2],
    )
    slow.insert(2, Outcome(slow_items[2][0], SalesforceError("DUPLICATE_VALUE", "")))
    with two.org.db.transaction():
        fast = update_many(two.org.store, two.obj("Account"), items(seeded[1]), two.org.user_id)
    assert fast[2].error is not None and fast[2].error.error_code == "DUPLICATE_VALUE"
    assert [two.outcome(o)[0] for o in fast] == [
        one.outcome(o)[0] if o.error else "ok" for o in slow
    ]
    for s, f in zip(slow, fast, strict=True):
        if s.error is not None and s.error.message:
            assert f.error is not None
            assert two.plain(f.error.message) == one.plain(s.error.message)
    assert two.rows("Account") == one.rows("Account")
    assert two.change_log() == one.change_log()


def test_upsert_many_creates_updates_and_refuses(twins: tuple[Twin, Twin]) -> None:
    _, two = twins
    made = seed(two)
    account = two.obj("Account")
    key = account.field("External_Id__c")
    assert key is not None
    bodies = [
        {"External_Id__c": "Taken", "Description": "updated"},
        {"External_Id__c": "brand-new", "Name": "New"},
        {"External_Id__c": "BRAND-NEW", "Name": "Again"},
        {"External_Id__c": "", "Name": "No key"},
        {"External_Id__c": "doomed", "Name": "Back from the bin"},
        {"External_Id__c": "x" * 21, "Name": "Too long a key"},
    ]
    with two.org.db.transaction():
        out = upsert_many(two.org.store, account, key, bodies, two.org.user_id)
    assert out[0].id == made["taken"] and out[0].ok and not out[0].created
    assert out[1].ok and out[1].created
    assert out[2].error is not None and out[2].error.error_code == "DUPLICATE_VALUE"
    assert out[3].error is not None and out[3].error.error_code == "MISSING_ARGUMENT"
    assert out[4].ok and out[4].created  # the recycled record does not match
    assert out[5].error is not None and out[5].error.error_code == "STRING_TOO_LONG"
    row = two.org.store.get(account, made["taken"])
    assert row["Description"] == "updated" and row["Name"] == "taken"


def test_delete_many_cascades_and_hard_delete_purges(twins: tuple[Twin, Twin]) -> None:
    _, two = twins
    made = seed(two)
    contract = two.obj("Contract__c")
    with two.org.db.transaction():
        out = delete_many(
            two.org.store,
            contract,
            [made["contract"], made["contract"], "junk", made["taken"]],
            two.org.user_id,
        )
    assert [o.error.error_code if o.error else "ok" for o in out] == [
        "ok", "DUPLICATE_VALUE", "MALFORMED_ID", "MALFORMED_ID",
    ]  # fmt: skip
    assert [(c.kind, c.object) for c in two.changes] == [
        ("DELETE", "Contract__c"),
        ("DELETE", "Usage__c"),
    ]
    with two.org.db.transaction():
        again = delete_many(two.org.store, contract, [made["contract"]], two.org.user_id, hard=True)
    assert again[0].error is not None and again[0].error.error_code == "ENTITY_IS_DELETED"
    account = two.obj("Account")
    with two.org.db.transaction():
        gone = delete_many(two.org.store, account, [made["other"]], two.org.user_id, hard=True)
    assert gone[0].ok
    assert two.org.store.exists(made["other"], include_deleted=True) is None
    assert (
        two.org.db.conn.execute(
            "SELECT count(*) FROM _deleted WHERE id = ?", (made["other"],)
        ).fetchone()[0]
        == 0
    )


@pytest.mark.parametrize("start", [0, 61, 62**2 - 3, 62**5 - 3, 62**6 - 2])
def test_batch_ids_are_the_ids_record_store_would_draw(start: int) -> None:
    org = Org(OrgSettings(), None)
    try:
        account = org.schema.get("Account")
        assert account is not None
        with org.db.transaction():
            org.db.next_counter("001")
            org.db._counters["001"] = start  # draw from just before a carry
            draw = id_maker(org.store, account)
            drawn = [draw() for _ in range(10)]
        assert drawn == [ids.make_id("001", org.store.pod, start + i) for i in range(1, 11)]
    finally:
        org.close()
