"""SELECT lists against a real database: record shapes, parent paths, FIELDS(), roll-ups,
soft deletes, and the errors for names that do not exist."""

from __future__ import annotations

import pytest
from lockstep_emulator.errors import MalformedQuery, SalesforceError
from soql_db import Db


def url(sobject: str, record_id: str, version: str = "59.0") -> str:
    return f"/services/data/v{version}/sobjects/{sobject}/{record_id}"


def test_plain_fields_come_back_in_their_json_form(db: Db) -> None:
    acct = db.add("Account", Name="Acme", AnnualRevenue=1500, NumberOfEmployees=12, Industry=None)
    records = db.records(
        "SELECT Id, Name, AnnualRevenue, NumberOfEmployees, Industry, IsDeleted, CreatedDate "
        "FROM Account"
    )
    assert records == [
        {
            "attributes": {"type": "Account", "url": url("Account", acct)},
            "Id": acct,
            "Name": "Acme",
            "AnnualRevenue": 1500.0,
            "NumberOfEmployees": 12,
            "Industry": None,
            "IsDeleted": False,
            "CreatedDate": "2024-01-01T00:00:00.000+0000",
        }
    ]
    assert type(records[0]["AnnualRevenue"]) is float
    assert type(records[0]["IsDeleted"]) is bool


def test_names_are_case_insensitive_and_output_is_canonical(db: Db) -> None:
    acct = db.add("Account", Name="Acme")
    [rec] = db.records("select NAME, id, owner.NAME from ACCOUNT", api_version="42.0")
    assert list(rec) == ["attributes", "Name", "Id", "Owner"]
    assert rec["attributes"] == {"type": "Account", "url": url("Account", acct, "42.0")}
    assert rec["Owner"]["Name"] == "Ada Admin"


def test_url_is_present_even_without_id_selected(db: Db) -> None:
    acct = db.add("Account", Name="Acme")
    assert db.records("SELECT Name FROM Account") == [
        {"attributes": {"type": "Account", "url": url("Account", acct)}, "Name": "Acme"}
    ]


def test_parent_fields_nest_where_first_named(db: Db) -> None:
    acct = db.add("Account", Name="Acme", Industry="Retail")
    contact = db.add("Contact", LastName="Smith", AccountId=acct)
    [rec] = db.records(
        "SELECT Id, Account.Name, LastName, Account.Owner.Alias, Account.Industry FROM Contact"
    )
    assert rec == {
        "attributes": {"type": "Contact", "url": url("Contact", contact)},
        "Id": contact,
        "Account": {
            "attributes": {"type": "Account", "url": url("Account", acct)},
            "Name": "Acme",
            "Owner": {
                "attributes": {"type": "User", "url": url("User", db.user)},
                "Alias": "a",
            },
            "Industry": "Retail",
        },
        "LastName": "Smith",
    }
    assert list(rec) == ["attributes", "Id", "Account", "LastName"]


def test_empty_or_dangling_lookup_is_null(db: Db) -> None:
    db.add("Contact", LastName="Orphan")
    db.add("Contact", LastName="Dangling", AccountId="001000000000099AAA")
    records = db.records("SELECT LastName, Account.Name, Account.Owner.Name FROM Contact")
    assert [(r["LastName"], r["Account"]) for r in records] == [
        ("Orphan", None),
        ("Dangling", None),
    ]


def test_parent_booleans_and_rollups_are_converted(db: Db) -> None:
    acct = db.add("Account", Name="Acme")
    inv = db.add("Invoice__c", Name="I1", Account__c=acct, Amount__c=10, Paid__c=True)
    db.add("Line__c", Name="L1", Invoice__c=inv, Quantity__c=3)
    [rec] = db.records(
        "SELECT Name, Quantity__c, Invoice__r.Paid__c, Invoice__r.Account__r.Invoice_Count__c "
        "FROM Line__c"
    )
    assert rec["Quantity__c"] == 3
    assert rec["Invoice__r"]["Paid__c"] is True
    assert rec["Invoice__r"]["Account__r"]["Invoice_Count__c"] == 1


def test_five_levels_of_parents_and_no_more(db: Db) -> None:
    parent = db.add("Account", Name="Parent")
    acct = db.add("Account", Name="Child", ParentId=parent)
    inv = db.add("Invoice__c", Name="I1", Account__c=acct)
    db.add("Line__c", Name="L1", Invoice__c=inv)
    [rec] = db.records("SELECT Invoice__r.Account__r.Parent.Owner.CreatedBy.Name FROM Line__c")
    owner = rec["Invoice__r"]["Account__r"]["Parent"]["Owner"]
    assert owner["CreatedBy"]["Name"] == "Ada Admin"
    with pytest.raises(MalformedQuery, match="5 levels"):
        db.query("SELECT Invoice__r.Account__r.Parent.Parent.Owner.CreatedBy.Name FROM Line__c")


def test_object_name_and_alias_prefixes(db: Db) -> None:
    db.add("Account", Name="Acme", Industry="Retail")
    [rec] = db.records("SELECT a.Name, Account.Industry, a.Owner.Alias FROM Account a")
    assert rec["Name"] == "Acme"
    assert rec["Industry"] == "Retail"
    assert rec["Owner"]["Alias"] == "a"


def test_fields_standard_expands_to_standard_fields(db: Db) -> None:
    db.add("Invoice__c", Name="I1", Amount__c=2)
    [rec] = db.records("SELECT FIELDS(STANDARD) FROM Invoice__c")
    assert "Name" in rec and "OwnerId" in rec and "SystemModstamp" in rec
    assert "Amount__c" not in rec
    [both] = db.records("SELECT Id, FIELDS(STANDARD), Name, Owner.Name FROM Invoice__c")
    assert list(both)[:3] == ["attributes", "Id", "IsDeleted"]
    assert both["Owner"]["Name"] == "Ada Admin"
    [custom] = db.records("SELECT Id, FIELDS(CUSTOM) FROM Invoice__c LIMIT 200")
    assert custom["Amount__c"] == 2.0
    assert custom["Paid__c"] is False
    assert "Name" not in custom


def test_fields_all_needs_a_limit(db: Db) -> None:
    with pytest.raises(MalformedQuery, match="LIMIT"):
        db.query("SELECT FIELDS(ALL) FROM Account")
    with pytest.raises(MalformedQuery, match="LIMIT"):
        db.query("SELECT FIELDS(ALL) FROM Account LIMIT 201")
    db.add("Account", Name="Acme")
    [rec] = db.records("SELECT FIELDS(ALL) FROM Account LIMIT 200")
    assert rec["Name"] == "Acme"
    assert rec["Invoice_Total__c"] == 0.0


def test_tolabel_and_convertcurrency_are_the_field(db: Db) -> None:
    db.add("Account", Name="Acme", Industry="Retail", AnnualRevenue=5)
    [rec] = db.records(
        "SELECT toLabel(Industry), convertCurrency(AnnualRevenue) FROM Account "
        "WHERE toLabel(Industry) = 'retail'"
    )
    assert rec["Industry"] == "Retail"
    assert rec["AnnualRevenue"] == 5.0


def test_rollups_can_be_selected_filtered_and_ordered(db: Db) -> None:
    big = db.add("Account", Name="Big")
    small = db.add("Account", Name="Small")
    db.add("Account", Name="None")
    db.add("Invoice__c", Name="a", Account__c=big, Amount__c=100)
    db.add("Invoice__c", Name="b", Account__c=big, Amount__c=50)
    db.add("Invoice__c", Name="c", Account__c=small, Amount__c=20)
    gone = db.add("Invoice__c", Name="d", Account__c=small, Amount__c=1000)
    db.conn.execute('UPDATE "Invoice__c" SET "IsDeleted" = 1 WHERE "Id" = ?', (gone,))
    db.conn.commit()
    records = db.records(
        "SELECT Name, Invoice_Total__c, Invoice_Count__c FROM Account "
        "WHERE Invoice_Total__c > 10 ORDER BY Invoice_Total__c DESC"
    )
    assert [(r["Name"], r["Invoice_Total__c"], r["Invoice_Count__c"]) for r in records] == [
        ("Big", 150.0, 2),
        ("Small", 20.0, 1),
    ]


def test_soft_deleted_rows_are_hidden_unless_query_all(db: Db) -> None:
    db.add("Account", Name="Live")
    db.add("Account", Name="Gone", IsDeleted=True)
    assert db.values("SELECT Name FROM Account") == ["Live"]
    records = db.records("SELECT Name, IsDeleted FROM Account ORDER BY Name", include_deleted=True)
    assert [(r["Name"], r["IsDeleted"]) for r in records] == [("Gone", True), ("Live", False)]


def test_parents_resolve_even_when_deleted(db: Db) -> None:
    acct = db.add("Account", Name="Gone", IsDeleted=True)
    db.add("Contact", LastName="Smith", AccountId=acct)
    [rec] = db.records("SELECT Account.Name FROM Contact")
    assert rec["Account"]["Name"] == "Gone"


@pytest.mark.parametrize(
    ("soql", "code", "fragment", "where"),
    [
        ("SELECT Id FROM Acount", "INVALID_TYPE", "sObject type 'Acount' is not supported", "1:16"),
        ("SELECT Id FROM Account.Contacts", "INVALID_TYPE", "'Account.Contacts'", "1:16"),
        (
            "SELECT Id, Nmae FROM Account",
            "INVALID_FIELD",
            "No such column 'Nmae' on entity 'Account'",
            "1:12",
        ),
        (
            "SELECT Id FROM Account WHERE Foo__c = 1",
            "INVALID_FIELD",
            "No such column 'Foo__c'",
            "1:30",
        ),
        ("SELECT Id FROM Account ORDER BY Foo", "INVALID_FIELD", "No such column 'Foo'", "1:33"),
        (
            "SELECT Account.Foo FROM Contact",
            "INVALID_FIELD",
            "No such column 'Foo' on entity 'Account'",
            "1:8",
        ),
        (
            "SELECT Acount.Name FROM Contact",
            "INVALID_FIELD",
            "Didn't understand relationship 'Acount' in field path",
            "1:8",
        ),
        (
            "SELECT AccountId.Name FROM Contact",
            "INVALID_FIELD",
            "Didn't understand relationship 'AccountId'",
            "1:8",
        ),
        (
            "SELECT Id, (SELECT Id FROM Contactz) FROM Account",
            "INVALID_TYPE",
            "Didn't understand relationship 'Contactz' in FROM part of query call",
            "1:28",
        ),
        (
            "SELECT Id, (SELECT Id FROM Contacts) FROM Contact",
            "INVALID_TYPE",
            "Didn't understand relationship 'Contacts'",
            "1:28",
        ),
        ("SELECT Id, Id FROM Account", "MALFORMED_QUERY", "duplicate field selected: Id", "1:12"),
        ("SELECT Name n FROM Account", "MALFORMED_QUERY", "unexpected token: 'n'", "1:8"),
        (
            "SELECT TYPEOF Owner WHEN User THEN Name END FROM Account",
            "MALFORMED_QUERY",
            "TYPEOF is not supported",
            "1:15",
        ),
        ("SELECT FORMAT(Name) FROM Account", "MALFORMED_QUERY", "FORMAT() is not supported", "1:8"),
        ("SELECT FIELDS(SOME) FROM Account", "MALFORMED_QUERY", "FIELDS()", "1:8"),
        (
            "SELECT Id FROM Account ORDER BY COUNT(Id)",
            "MALFORMED_QUERY",
            "aggregate",
            "1:33",
        ),
        ("SELECT Id FROM Account OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE", "2000", ""),
    ],
)
def test_names_that_do_not_resolve(db: Db, soql: str, code: str, fragment: str, where: str) -> None:
    with pytest.raises(SalesforceError) as caught:
        db.query(soql)
    assert caught.value.error_code == code
    assert fragment in caught.value.message
    if where:
        row, column = where.split(":")
        assert f"ERROR at Row:{row}:Column:{column}" in caught.value.message
