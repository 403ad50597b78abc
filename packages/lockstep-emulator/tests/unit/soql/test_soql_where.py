"""WHERE against a real database: operators, nulls, LIKE, IN, multi-select picklists,
semi- and anti-joins, date and datetime literals, relative dates, and type errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from lockstep_emulator.errors import MalformedQuery, SalesforceError
from soql_db import Db


@pytest.fixture
def accounts(db: Db) -> Db:
    """Five accounts; Industry and AnnualRevenue are null on some."""
    rows = [
        ("Acme", "Retail", 100.0, 10),
        ("Beta", "Banking", 250.0, 20),
        ("gamma", None, None, 30),
        ("Delta_1", "Retail", 50.0, None),
        ("Epsilon 100%", "Energy", 0.0, 5),
    ]
    for name, industry, revenue, employees in rows:
        db.add(
            "Account",
            Name=name,
            Industry=industry,
            AnnualRevenue=revenue,
            NumberOfEmployees=employees,
        )
    return db


def names(db: Db, condition: str, sobject: str = "Account", **kw: object) -> list[str]:
    return sorted(db.values(f"SELECT Name FROM {sobject} WHERE {condition}", **kw))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Name = 'ACME'", ["Acme"]),
        ("Name = 'Gamma'", ["gamma"]),
        ("Industry = 'retail'", ["Acme", "Delta_1"]),
        ("Industry != 'Retail'", ["Beta", "Epsilon 100%", "gamma"]),
        ("Industry <> 'Retail'", ["Beta", "Epsilon 100%", "gamma"]),
        ("Industry = null", ["gamma"]),
        ("Industry != null", ["Acme", "Beta", "Delta_1", "Epsilon 100%"]),
        ("AnnualRevenue > 50", ["Acme", "Beta"]),
        ("AnnualRevenue >= 50", ["Acme", "Beta", "Delta_1"]),
        ("AnnualRevenue < 100", ["Delta_1", "Epsilon 100%"]),
        ("AnnualRevenue <= 0", ["Epsilon 100%"]),
        ("AnnualRevenue != 100", ["Beta", "Delta_1", "Epsilon 100%", "gamma"]),
        ("AnnualRevenue = 100.0", ["Acme"]),
        ("NumberOfEmployees > 10", ["Beta", "gamma"]),
        ("Name > 'c'", ["Delta_1", "Epsilon 100%", "gamma"]),
        ("Name IN ('acme', 'BETA', 'nobody')", ["Acme", "Beta"]),
        ("Name NOT IN ('acme', 'BETA')", ["Delta_1", "Epsilon 100%", "gamma"]),
        ("Industry IN ('Energy', null)", ["Epsilon 100%", "gamma"]),
        ("Industry NOT IN ('Retail')", ["Beta", "Epsilon 100%", "gamma"]),
        ("Industry NOT IN ('Retail', null)", ["Beta", "Epsilon 100%"]),
        ("NumberOfEmployees IN (5, 30)", ["Epsilon 100%", "gamma"]),
        ("Name LIKE 'a%'", ["Acme"]),
        ("Name LIKE '%A'", ["Beta", "gamma"]),
        ("Name LIKE '_eta'", ["Beta"]),
        ("Name LIKE '%100\\%'", ["Epsilon 100%"]),
        ("Name LIKE 'Delta\\_%'", ["Delta_1"]),
        ("Name LIKE 'Delt\\_%'", []),
        ("Name LIKE 'Epsilon 1%%'", ["Epsilon 100%"]),
        ("NOT Name LIKE 'a%'", ["Beta", "Delta_1", "Epsilon 100%", "gamma"]),
        ("Industry = 'Retail' AND AnnualRevenue > 60", ["Acme"]),
        ("Industry = 'Banking' OR AnnualRevenue < 60", ["Beta", "Delta_1", "Epsilon 100%"]),
        ("(Industry = 'Retail' OR Industry = 'Energy') AND NumberOfEmployees > 5", ["Acme"]),
        ("NOT (Industry = 'Retail' OR Industry = 'Energy')", ["Beta", "gamma"]),
        ("NOT Industry = 'Retail'", ["Beta", "Epsilon 100%", "gamma"]),
        ("NOT AnnualRevenue > 60", ["Delta_1", "Epsilon 100%", "gamma"]),
        ("NOT (NOT Name = 'Acme')", ["Acme"]),
        ("IsDeleted = false", ["Acme", "Beta", "Delta_1", "Epsilon 100%", "gamma"]),
        ("IsDeleted = TRUE", []),
        ("Name = 'x\\' OR 1=1 --'", []),
    ],
)
def test_operators(accounts: Db, condition: str, expected: list[str]) -> None:
    assert names(accounts, condition) == expected


def test_parent_fields_in_where(db: Db) -> None:
    retail = db.add("Account", Name="Shop", Industry="Retail")
    bank = db.add("Account", Name="Bank", Industry="Banking")
    db.add("Contact", LastName="A", Name="A", AccountId=retail)
    db.add("Contact", LastName="B", Name="B", AccountId=bank)
    db.add("Contact", LastName="C", Name="C")
    assert names(db, "Account.Industry = 'retail'", "Contact") == ["A"]
    assert names(db, "Account.Industry != 'Retail'", "Contact") == ["B", "C"]
    assert names(db, "Account.Owner.Alias = 'a' AND Account.Name LIKE 'B%'", "Contact") == ["B"]
    assert names(db, "AccountId = null", "Contact") == ["C"]


def test_id_literals_accept_15_and_18_characters_in_any_case(db: Db) -> None:
    acct = db.add("Account", Name="Acme")
    db.add("Account", Name="Other")
    assert names(db, f"Id = '{acct[:15]}'") == ["Acme"]
    assert names(db, f"Id = '{acct.lower()}'") == ["Acme"]
    assert names(db, f"Id IN ('{acct}', '{acct[:15]}')") == ["Acme"]
    assert names(db, f"Id != '{acct}'") == ["Other"]
    with pytest.raises(SalesforceError) as caught:
        db.query("SELECT Id FROM Account WHERE Id = 'bogus'")
    assert caught.value.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert "invalid ID field: bogus" in caught.value.message


def test_id_ranges_for_chunking(db: Db) -> None:
    ids = [db.add("Account", Name=f"A{i}") for i in range(6)]
    found = db.values(
        f"SELECT Id FROM Account WHERE Id >= '{ids[1]}' AND Id < '{ids[4]}' ORDER BY Id", "Id"
    )
    assert found == ids[1:4]


def test_multipicklists(db: Db) -> None:
    for name, tags in [("ab", "a;b"), ("c", "c"), ("abc", "a;b;c"), ("none", None), ("ba", "b;a")]:
        db.add("Invoice__c", Name=name, Tags__c=tags)
    assert names(db, "Tags__c INCLUDES ('a')", "Invoice__c") == ["ab", "abc", "ba"]
    assert names(db, "Tags__c INCLUDES ('A;B')", "Invoice__c") == ["ab", "abc", "ba"]
    assert names(db, "Tags__c INCLUDES ('a;c', 'c')", "Invoice__c") == ["abc", "c"]
    assert names(db, "Tags__c EXCLUDES ('a')", "Invoice__c") == ["c", "none"]
    assert names(db, "Tags__c = 'b;a'", "Invoice__c") == ["ab", "ba"]
    assert names(db, "Tags__c != 'a;b'", "Invoice__c") == ["abc", "c", "none"]
    assert names(db, "Tags__c = null", "Invoice__c") == ["none"]


def test_semi_and_anti_joins(db: Db) -> None:
    with_contact = db.add("Account", Name="WithContact")
    with_deleted = db.add("Account", Name="OnlyDeletedContact")
    db.add("Account", Name="Lonely")
    db.add("Contact", LastName="Smith", AccountId=with_contact)
    db.add("Contact", LastName="Gone", AccountId=with_deleted, IsDeleted=True)
    db.add("Contact", LastName="Orphan")
    assert names(db, "Id IN (SELECT AccountId FROM Contact)") == ["WithContact"]
    assert names(db, "Id NOT IN (SELECT AccountId FROM Contact)") == [
        "Lonely",
        "OnlyDeletedContact",
    ]
    assert names(db, "Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 's%')") == [
        "WithContact"
    ]
    assert names(db, "Id IN (SELECT AccountId FROM Contact)", include_deleted=True) == [
        "OnlyDeletedContact",
        "WithContact",
    ]
    both = (
        "Id IN (SELECT AccountId FROM Contact) AND Id NOT IN "
        "(SELECT AccountId FROM Contact WHERE LastName = 'Smith')"
    )
    assert names(db, both) == []


def test_semi_join_on_a_reference_field(db: Db) -> None:
    retail = db.add("Account", Name="Shop", Industry="Retail")
    db.add("Account", Name="Bank", Industry="Banking")
    db.add("Contact", LastName="A", Name="A", AccountId=retail)
    db.add("Contact", LastName="B", Name="B")
    condition = "AccountId IN (SELECT Id FROM Account WHERE Industry = 'Retail')"
    assert names(db, condition, "Contact") == ["A"]
    anti = "AccountId NOT IN (SELECT Id FROM Account WHERE Industry = 'Retail')"
    assert names(db, anti, "Contact") == ["B"]
    parent = "AccountId IN (SELECT Id FROM Account WHERE Owner.Alias = 'a')"
    assert names(db, parent, "Contact") == ["A"]


@pytest.mark.parametrize(
    ("condition", "code", "fragment"),
    [
        ("Name IN (SELECT Id FROM Contact)", "INVALID_FIELD", "semi join"),
        ("Id IN (SELECT LastName FROM Contact)", "INVALID_FIELD", "semi join"),
        ("Id IN (SELECT AccountId, Id FROM Contact)", "MALFORMED_QUERY", "exactly one"),
        ("Id IN (SELECT COUNT(Id) FROM Contact)", "MALFORMED_QUERY", "exactly one"),
        ("Id IN (SELECT AccountId FROM Contactz)", "INVALID_TYPE", "Contactz"),
        ("Id IN (SELECT AccountId FROM Contact WHERE Foo = 1)", "INVALID_FIELD", "'Foo'"),
    ],
)
def test_bad_semi_joins(db: Db, condition: str, code: str, fragment: str) -> None:
    with pytest.raises(SalesforceError) as caught:
        db.query(f"SELECT Id FROM Account WHERE {condition}")
    assert caught.value.error_code == code
    assert fragment in caught.value.message


@pytest.fixture
def stamped(db: Db) -> Db:
    """Accounts created around midnight of NOW's day (2024-05-15, UTC)."""
    for name, created in [
        ("before", "2024-05-14T23:59:59.999+0000"),
        ("midnight", "2024-05-15T00:00:00.000+0000"),
        ("late", "2024-05-15T23:59:59.999+0000"),
        ("tomorrow", "2024-05-16T00:00:00.000+0000"),
        ("old", "2023-06-30T12:00:00.000+0000"),
    ]:
        db.add("Account", Name=name, CreatedDate=created)
    return db


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("CreatedDate = TODAY", ["late", "midnight"]),
        ("CreatedDate != TODAY", ["before", "old", "tomorrow"]),
        ("CreatedDate > TODAY", ["tomorrow"]),
        ("CreatedDate >= TODAY", ["late", "midnight", "tomorrow"]),
        ("CreatedDate < TODAY", ["before", "old"]),
        ("CreatedDate <= TODAY", ["before", "late", "midnight", "old"]),
        ("CreatedDate = YESTERDAY", ["before"]),
        ("CreatedDate = TOMORROW", ["tomorrow"]),
        ("CreatedDate = LAST_N_DAYS:1", ["before", "late", "midnight"]),
        ("CreatedDate = NEXT_N_DAYS:1", ["tomorrow"]),
        ("CreatedDate = THIS_WEEK", ["before", "late", "midnight", "tomorrow"]),
        ("CreatedDate = LAST_YEAR", ["old"]),
        ("CreatedDate = THIS_QUARTER", ["before", "late", "midnight", "tomorrow"]),
        ("CreatedDate IN (YESTERDAY, TOMORROW)", ["before", "tomorrow"]),
        ("CreatedDate NOT IN (TODAY)", ["before", "old", "tomorrow"]),
        ("CreatedDate > 2024-05-15T00:00:00Z", ["late", "tomorrow"]),
        ("CreatedDate >= 2024-05-15T00:00:00Z", ["late", "midnight", "tomorrow"]),
        ("CreatedDate = 2024-05-15T02:00:00+02:00", ["midnight"]),
        ("CreatedDate < 2024-05-14T19:00:00-05:00", ["before", "old"]),
        ("CreatedDate = 2024-05-15T23:59:59.999Z", ["late"]),
    ],
)
def test_datetimes_and_relative_dates_on_datetime_fields(
    stamped: Db, condition: str, expected: list[str]
) -> None:
    assert names(stamped, condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("CloseDate = TODAY", ["today"]),
        ("CloseDate = 2024-05-15", ["today"]),
        ("CloseDate > 2024-05-15", ["next month", "tomorrow"]),
        ("CloseDate < TODAY", ["last week"]),
        ("CloseDate = LAST_WEEK", ["last week"]),
        ("CloseDate = NEXT_MONTH", ["next month"]),
        ("CloseDate = THIS_MONTH", ["last week", "today", "tomorrow"]),
        ("CloseDate = LAST_N_DAYS:10", ["last week", "today"]),
        ("CloseDate > NEXT_N_DAYS:1", ["next month"]),
        ("CloseDate <= TOMORROW", ["last week", "today", "tomorrow"]),
        ("CloseDate != NULL", ["last week", "next month", "today", "tomorrow"]),
    ],
)
def test_dates_and_relative_dates_on_date_fields(
    db: Db, condition: str, expected: list[str]
) -> None:
    for name, close in [
        ("last week", "2024-05-08"),
        ("today", "2024-05-15"),
        ("tomorrow", "2024-05-16"),
        ("next month", "2024-06-03"),
    ]:
        db.add("Opportunity", Name=name, StageName="Prospecting", CloseDate=close)
    assert names(db, condition, "Opportunity") == expected


@pytest.mark.parametrize(
    ("condition", "code", "fragment", "column"),
    [
        ("Name = 5", "INVALID_FIELD", "field 'Name' must be of type string", 37),
        ("AnnualRevenue = '5'", "INVALID_FIELD", "must be of type currency", 46),
        ("NumberOfEmployees > '5'", "INVALID_FIELD", "must be of type integer", 50),
        ("IsDeleted = 'true'", "INVALID_FIELD", "must be of type boolean", 42),
        ("Name = TRUE", "INVALID_FIELD", "must be of type string", 37),
        ("CreatedDate = 2024-01-01", "INVALID_FIELD", "must be of type dateTime", 44),
        ("CreatedDate = '2024-01-01T00:00:00Z'", "INVALID_FIELD", "dateTime", 44),
        ("Name = TODAY", "INVALID_FIELD", "must be of type string", 37),
        ("AnnualRevenue = LAST_N_DAYS:3", "INVALID_FIELD", "currency", 46),
        ("Name LIKE 5", "INVALID_FIELD", "string", 40),
        ("AnnualRevenue LIKE '5%'", "INVALID_FIELD", "LIKE", 30),
        ("Name INCLUDES ('a')", "INVALID_FIELD", "multipicklist", 30),
        ("AnnualRevenue > null", "MALFORMED_QUERY", "null", 46),
        ("Name IN ('a', 5)", "INVALID_FIELD", "string", 44),
        ("COUNT(Id) > 1", "MALFORMED_QUERY", "COUNT() is not supported", 30),
        ("CreatedDate > LAST_N_YEARS:99999", "MALFORMED_QUERY", "outside the calendar", 44),
    ],
)
def test_literal_type_errors(db: Db, condition: str, code: str, fragment: str, column: int) -> None:
    with pytest.raises(SalesforceError) as caught:
        db.query(f"SELECT Id FROM Account WHERE {condition}")
    assert caught.value.error_code == code
    assert fragment in caught.value.message
    assert f"ERROR at Row:1:Column:{column}" in caught.value.message


def test_date_literal_on_a_date_field_with_datetime_is_an_error(db: Db) -> None:
    with pytest.raises(SalesforceError, match="must be of type date and"):
        db.query("SELECT Id FROM Opportunity WHERE CloseDate = 2024-01-01T00:00:00Z")


def test_long_or_chains_stay_within_sqlite_limits(accounts: Db) -> None:
    terms = " OR ".join(f"Name = 'n{i}'" for i in range(3000))
    assert names(accounts, f"{terms} OR Name = 'Beta'") == ["Beta"]
    big_in = ", ".join(f"'n{i}'" for i in range(5000))
    assert names(accounts, f"Name IN ({big_in}, 'Acme')") == ["Acme"]


def test_doubled_quotes_are_not_an_escape(db: Db) -> None:
    with pytest.raises(MalformedQuery, match="unexpected token"):
        db.query("SELECT Id FROM Account WHERE Name = 'x'' OR 1=1 --'")


def test_malformed_where_is_caught_before_touching_the_database(db: Db) -> None:
    db.conn.close()
    with pytest.raises(MalformedQuery):
        db.query("SELECT Id FROM Account WHERE Name = ")


def test_today_is_the_utc_day_of_now(stamped: Db) -> None:
    tokyo = timezone(timedelta(hours=9))
    late_in_tokyo = datetime(2024, 5, 16, 8, 0, tzinfo=tokyo)
    assert names(stamped, "CreatedDate = TODAY", now=late_in_tokyo) == ["late", "midnight"]
