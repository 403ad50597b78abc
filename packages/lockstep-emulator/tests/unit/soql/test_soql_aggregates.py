"""GROUP BY, aggregate functions, HAVING, and SELECT COUNT()."""

from __future__ import annotations

import pytest
from lockstep_emulator.errors import SalesforceError
from soql_db import Db

AGG = {"type": "AggregateResult"}


@pytest.fixture
def deals(db: Db) -> Db:
    acme = db.add("Account", Name="Acme")
    beta = db.add("Account", Name="Beta")
    rows = [
        ("d1", "Prospecting", 100.0, 10, "2024-01-10", acme),
        ("d2", "Prospecting", 300.0, 20, "2024-03-01", acme),
        ("d3", "Closed Won", 50.0, 100, "2024-02-01", beta),
        ("d4", "Closed Won", None, None, "2024-02-02", None),
        ("d5", "Closed Lost", 25.0, 0, "2023-12-31", beta),
    ]
    for name, stage, amount, probability, close, acct in rows:
        db.add(
            "Opportunity",
            Name=name,
            StageName=stage,
            Amount=amount,
            Probability=probability,
            CloseDate=close,
            AccountId=acct,
        )
    db.add(
        "Opportunity",
        Name="gone",
        StageName="Prospecting",
        Amount=1e6,
        CloseDate="2024-01-01",
        IsDeleted=True,
    )
    return db


def test_group_by_with_unaliased_and_aliased_aggregates(deals: Db) -> None:
    rows = deals.records(
        "SELECT StageName, COUNT(Id), SUM(Amount) total, MAX(CloseDate) FROM Opportunity "
        "GROUP BY StageName ORDER BY StageName"
    )
    assert rows == [
        {
            "attributes": AGG,
            "StageName": "Closed Lost",
            "expr0": 1,
            "total": 25.0,
            "expr1": "2023-12-31",
        },
        {
            "attributes": AGG,
            "StageName": "Closed Won",
            "expr0": 2,
            "total": 50.0,
            "expr1": "2024-02-02",
        },
        {
            "attributes": AGG,
            "StageName": "Prospecting",
            "expr0": 2,
            "total": 400.0,
            "expr1": "2024-03-01",
        },
    ]


def test_aggregates_without_group_by_give_one_row(deals: Db) -> None:
    [row] = deals.records(
        "SELECT COUNT(Id), COUNT(Amount), COUNT_DISTINCT(StageName), AVG(Amount), MIN(Amount), "
        "MAX(Name), SUM(Probability) FROM Opportunity"
    )
    assert row == {
        "attributes": AGG,
        "expr0": 5,
        "expr1": 4,
        "expr2": 3,
        "expr3": 118.75,
        "expr4": 25.0,
        "expr5": "d5",
        "expr6": 130.0,
    }
    assert type(row["expr0"]) is int


def test_aggregates_over_nothing(deals: Db) -> None:
    [row] = deals.records("SELECT COUNT(Id) c, SUM(Amount) s FROM Opportunity WHERE Name = 'none'")
    assert row == {"attributes": AGG, "c": 0, "s": None}


def test_group_by_parent_path_uses_the_field_name(deals: Db) -> None:
    rows = deals.records(
        "SELECT Account.Name, SUM(Amount) FROM Opportunity GROUP BY Account.Name "
        "ORDER BY Account.Name NULLS LAST"
    )
    assert [(r["Name"], r["expr0"]) for r in rows] == [
        ("Acme", 400.0),
        ("Beta", 75.0),
        (None, None),
    ]


def test_having_and_order_by_aggregate(deals: Db) -> None:
    rows = deals.records(
        "SELECT StageName s, COUNT(Id) n FROM Opportunity GROUP BY StageName "
        "HAVING COUNT(Id) > 1 AND StageName != 'Closed Won' ORDER BY COUNT(Id) DESC"
    )
    assert rows == [{"attributes": AGG, "s": "Prospecting", "n": 2}]
    top = deals.records(
        "SELECT StageName, SUM(Amount) FROM Opportunity GROUP BY StageName "
        "ORDER BY SUM(Amount) DESC LIMIT 2"
    )
    assert [r["StageName"] for r in top] == ["Prospecting", "Closed Won"]


def test_group_by_without_aggregates_and_with_where(deals: Db) -> None:
    rows = deals.records(
        "SELECT StageName FROM Opportunity WHERE CloseDate >= 2024-01-01 GROUP BY StageName "
        "ORDER BY StageName"
    )
    assert [r["StageName"] for r in rows] == ["Closed Won", "Prospecting"]


def test_aggregates_see_deleted_rows_only_with_query_all(deals: Db) -> None:
    [row] = deals.records("SELECT MAX(Amount) FROM Opportunity", include_deleted=True)
    assert row["expr0"] == 1e6


def test_aggregate_paging(deals: Db) -> None:
    cursor = deals.query("SELECT Name FROM Opportunity GROUP BY Name ORDER BY Name")
    assert cursor.total_size == 5
    assert [r["Name"] for r in cursor.fetch(3)] == ["d1", "d2", "d3"]
    assert not cursor.done
    assert [r["Name"] for r in cursor.fetch(3)] == ["d4", "d5"]
    assert cursor.done
    assert cursor.fetch(3) == []


@pytest.mark.parametrize(
    ("soql", "total"),
    [
        ("SELECT COUNT() FROM Opportunity", 5),
        ("SELECT count() FROM Opportunity WHERE StageName = 'Prospecting'", 2),
        ("SELECT COUNT() FROM Opportunity WHERE Account.Name = 'Beta'", 2),
        ("SELECT COUNT() FROM Opportunity LIMIT 3", 3),
        ("SELECT COUNT() FROM Opportunity LIMIT 10 OFFSET 4", 1),
        ("SELECT COUNT() FROM Opportunity GROUP BY StageName", 3),
        ("SELECT COUNT() c FROM Opportunity", 5),
    ],
)
def test_count_gives_total_size_only(deals: Db, soql: str, total: int) -> None:
    cursor = deals.query(soql)
    assert cursor.total_size == total
    assert cursor.done
    assert cursor.fetch(10) == []


def test_count_includes_deleted_with_query_all(deals: Db) -> None:
    assert deals.query("SELECT COUNT() FROM Opportunity", include_deleted=True).total_size == 6


@pytest.mark.parametrize(
    ("soql", "fragment"),
    [
        ("SELECT Name, COUNT(Id) FROM Opportunity", "Field must be grouped or aggregated: Name"),
        (
            "SELECT Name, StageName FROM Opportunity GROUP BY StageName",
            "Field must be grouped or aggregated: Name",
        ),
        (
            "SELECT StageName FROM Opportunity GROUP BY StageName HAVING Name = 'x'",
            "Field must be grouped or aggregated: Name",
        ),
        (
            "SELECT StageName FROM Opportunity GROUP BY StageName ORDER BY Name",
            "Ordered field must be grouped or aggregated: Name",
        ),
        ("SELECT SUM(Name) FROM Opportunity", "does not support aggregate operator SUM"),
        ("SELECT AVG(CloseDate) FROM Opportunity", "does not support aggregate operator AVG"),
        ("SELECT COUNT(), Name FROM Opportunity", "COUNT() must be the only element"),
        ("SELECT MEDIAN(Amount) FROM Opportunity", "MEDIAN() is not supported"),
        ("SELECT COUNT(Id, Name) FROM Opportunity", "COUNT() is not supported"),
        (
            "SELECT CALENDAR_YEAR(CloseDate) FROM Opportunity GROUP BY CALENDAR_YEAR(CloseDate)",
            "GROUP BY",
        ),
        (
            "SELECT StageName, (SELECT Id FROM Accounts) FROM Opportunity GROUP BY StageName",
            "subqueries",
        ),
    ],
)
def test_bad_aggregate_queries(deals: Db, soql: str, fragment: str) -> None:
    with pytest.raises(SalesforceError) as caught:
        deals.query(soql)
    assert caught.value.error_code == "MALFORMED_QUERY"
    assert fragment in caught.value.message
