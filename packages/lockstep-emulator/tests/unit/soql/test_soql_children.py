"""Child subqueries: their shape, filters, per-parent LIMIT, soft deletes, and that they
cost one SQL statement per page of parents, not one per parent."""

from __future__ import annotations

import pytest
from lockstep_emulator.errors import MalformedQuery
from soql_db import Db


@pytest.fixture
def family(db: Db) -> tuple[Db, str, str]:
    acme = db.add("Account", Name="Acme")
    beta = db.add("Account", Name="Beta")
    db.add("Account", Name="Lonely")
    for last, acct, email in [
        ("Cole", acme, "c@x"),
        ("Adams", acme, None),
        ("Baker", acme, "b@x"),
        ("Young", beta, "y@x"),
    ]:
        db.add("Contact", LastName=last, AccountId=acct, Email=email)
    db.add("Contact", LastName="Deleted", AccountId=beta, IsDeleted=True)
    return db, acme, beta


def lastnames(rec: dict[str, object]) -> list[str] | None:
    children = rec["Contacts"]
    if children is None:
        return None
    assert isinstance(children, dict)
    assert children["done"] is True
    assert children["totalSize"] == len(children["records"])
    return [c["LastName"] for c in children["records"]]


def test_children_are_nested_or_null(family: tuple[Db, str, str]) -> None:
    db, acme, _ = family
    records = db.records(
        "SELECT Name, (SELECT LastName, AccountId FROM Contacts ORDER BY LastName) FROM Account "
        "ORDER BY Name"
    )
    assert [(r["Name"], lastnames(r)) for r in records] == [
        ("Acme", ["Adams", "Baker", "Cole"]),
        ("Beta", ["Young"]),
        ("Lonely", None),
    ]
    first = records[0]["Contacts"]["records"][0]
    assert first["attributes"]["type"] == "Contact"
    assert first["attributes"]["url"].startswith("/services/data/v59.0/sobjects/Contact/003")
    assert list(records[0]) == ["attributes", "Name", "Contacts"]
    assert {c["AccountId"] for c in records[0]["Contacts"]["records"]} == {acme}


def test_children_where_order_and_per_parent_limit(family: tuple[Db, str, str]) -> None:
    db, _, _ = family
    records = db.records(
        "SELECT Name, (SELECT LastName, Email FROM Contacts WHERE Email != null "
        "ORDER BY LastName DESC LIMIT 1) FROM Account ORDER BY Name"
    )
    assert [lastnames(r) for r in records] == [["Cole"], ["Young"], None]
    offset = db.records(
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName LIMIT 1 OFFSET 1) "
        "FROM Account ORDER BY Name"
    )
    assert [lastnames(r) for r in offset] == [["Baker"], None, None]


def test_deleted_children_only_with_query_all(family: tuple[Db, str, str]) -> None:
    db, _, _ = family
    plain = db.records(
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Name = 'Beta'"
    )
    assert lastnames(plain[0]) == ["Young"]
    everything = db.records(
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account "
        "WHERE Name = 'Beta'",
        include_deleted=True,
    )
    assert lastnames(everything[0]) == ["Deleted", "Young"]


def test_child_parent_paths_and_custom_relationships(db: Db) -> None:
    acct = db.add("Account", Name="Acme")
    db.add("Invoice__c", Name="I2", Account__c=acct, Amount__c=2, Paid__c=True)
    db.add("Invoice__c", Name="I1", Account__c=acct, Amount__c=1)
    [rec] = db.records(
        "SELECT Name, (SELECT Name, Paid__c, Owner.Alias, Account__r.Name FROM Invoices__r "
        "ORDER BY Name) FROM Account"
    )
    invoices = rec["Invoices__r"]["records"]
    assert [(i["Name"], i["Paid__c"]) for i in invoices] == [("I1", False), ("I2", True)]
    assert invoices[0]["Owner"]["Alias"] == "a"
    assert invoices[0]["Account__r"]["Name"] == "Acme"
    assert list(invoices[0]) == ["attributes", "Name", "Paid__c", "Owner", "Account__r"]


def test_relationship_forms_and_aliases(family: tuple[Db, str, str]) -> None:
    db, _, _ = family
    for soql in [
        "SELECT Name, (SELECT Contact.LastName FROM Account.Contacts) FROM Account",
        "SELECT a.Name, (SELECT c.LastName FROM a.Contacts c) FROM Account a",
        "SELECT Name, (select lastname from CONTACTS) FROM Account",
    ]:
        records = db.records(soql + " WHERE Name = 'Beta'")
        assert lastnames(records[0]) == ["Young"], soql


def test_several_subqueries_side_by_side(db: Db) -> None:
    acct = db.add("Account", Name="Acme")
    db.add("Contact", LastName="Smith", AccountId=acct)
    db.add(
        "Opportunity", Name="Deal", StageName="Prospecting", CloseDate="2024-01-01", AccountId=acct
    )
    [rec] = db.records(
        "SELECT (SELECT Name FROM Opportunities), Name, (SELECT LastName FROM Contacts) "
        "FROM Account"
    )
    assert list(rec) == ["attributes", "Opportunities", "Name", "Contacts"]
    assert rec["Opportunities"]["records"][0]["Name"] == "Deal"
    assert lastnames(rec) == ["Smith"]


def test_one_child_query_per_page_of_parents(db: Db) -> None:
    parents = [db.add("Account", Name=f"A{i:02}") for i in range(25)]
    for i, parent in enumerate(parents):
        for j in range(i % 3):
            db.add("Contact", LastName=f"C{i:02}-{j}", AccountId=parent)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    cursor = db.query("SELECT Name, (SELECT LastName FROM Contacts) FROM Account ORDER BY Name")
    pages = []
    while not cursor.done:
        pages.append(cursor.fetch(10))
    db.conn.set_trace_callback(None)
    assert [len(p) for p in pages] == [10, 10, 5]
    child_queries = [s for s in statements if "json_each" in s]
    assert len(child_queries) == 3
    flat = [r for page in pages for r in page]
    for i, rec in enumerate(flat):
        got = lastnames(rec)
        assert (sorted(got) if got else None) == ([f"C{i:02}-{j}" for j in range(i % 3)] or None)


@pytest.mark.parametrize(
    ("soql", "fragment"),
    [
        ("SELECT Id, (SELECT COUNT(Id) FROM Contacts) FROM Account", "only fields"),
        (
            "SELECT Id, (SELECT Id, (SELECT Id FROM Cases) FROM Contacts) FROM Account",
            "only fields",
        ),
        ("SELECT Id, (SELECT Id FROM Contacts GROUP BY Id) FROM Account", "GROUP BY"),
        (
            "SELECT Id, (SELECT Id FROM Contacts), (SELECT Id FROM Contacts) FROM Account",
            "duplicate",
        ),
    ],
)
def test_bad_subqueries(db: Db, soql: str, fragment: str) -> None:
    with pytest.raises(MalformedQuery, match=fragment):
        db.query(soql)
