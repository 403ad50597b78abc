"""ORDER BY, LIMIT/OFFSET, and the cursor: pages, ``done``, ``total_size``, and the
snapshot a query keeps while it is open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from lockstep_emulator.errors import SalesforceError
from lockstep_emulator.schema.model import Schema
from lockstep_emulator.soql import execute
from lockstep_emulator.store.layout import create_table_sql
from soql_db import NOW, Db


@pytest.fixture
def ranked(db: Db) -> Db:
    for name, rating, revenue in [
        ("b", "Warm", 20.0),
        ("A", None, 30.0),
        ("c", "Hot", None),
        ("D", "Cold", 10.0),
        ("e", None, 30.0),
    ]:
        db.add("Account", Name=name, Rating=rating, AnnualRevenue=revenue)
    return db


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("Name", ["A", "b", "c", "D", "e"]),
        ("Name DESC", ["e", "D", "c", "b", "A"]),
        ("Rating, Name", ["A", "e", "D", "c", "b"]),
        ("Rating NULLS LAST, Name", ["D", "c", "b", "A", "e"]),
        ("Rating DESC, Name", ["b", "c", "D", "A", "e"]),
        ("Rating DESC NULLS FIRST, Name DESC", ["e", "A", "b", "c", "D"]),
        ("AnnualRevenue DESC, Name DESC", ["e", "A", "b", "D", "c"]),
        ("AnnualRevenue ASC NULLS LAST, Name", ["D", "b", "A", "e", "c"]),
        ("Owner.Name, Name DESC", ["e", "D", "c", "b", "A"]),
    ],
)
def test_order_by(ranked: Db, order: str, expected: list[str]) -> None:
    assert ranked.values(f"SELECT Name FROM Account ORDER BY {order}") == expected


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("LIMIT 2", ["A", "b"]),
        ("LIMIT 0", []),
        ("OFFSET 3", ["D", "e"]),
        ("LIMIT 2 OFFSET 1", ["b", "c"]),
        ("LIMIT 10 OFFSET 4", ["e"]),
        ("OFFSET 2000", []),
    ],
)
def test_limit_and_offset(ranked: Db, clause: str, expected: list[str]) -> None:
    cursor = ranked.query(f"SELECT Name FROM Account ORDER BY Name {clause}")
    assert cursor.total_size == len(expected)
    assert [r["Name"] for r in cursor.fetch(100)] == expected
    assert cursor.done


def test_offset_above_2000_is_out_of_range(ranked: Db) -> None:
    with pytest.raises(SalesforceError) as caught:
        ranked.query("SELECT Name FROM Account OFFSET 2001")
    assert caught.value.error_code == "NUMBER_OUTSIDE_VALID_RANGE"


def test_pages_and_done(db: Db) -> None:
    for i in range(7):
        db.add("Account", Name=f"n{i}")
    cursor = db.query("SELECT Name FROM Account ORDER BY Name")
    assert cursor.total_size == 7
    assert not cursor.done
    assert [r["Name"] for r in cursor.fetch(3)] == ["n0", "n1", "n2"]
    assert not cursor.done
    assert [r["Name"] for r in cursor.fetch(0)] == []
    assert [r["Name"] for r in cursor.fetch(3)] == ["n3", "n4", "n5"]
    assert not cursor.done
    assert [r["Name"] for r in cursor.fetch(3)] == ["n6"]
    assert cursor.done
    assert cursor.fetch(3) == []


def test_done_as_soon_as_the_last_row_is_fetched(db: Db) -> None:
    for i in range(4):
        db.add("Account", Name=f"n{i}")
    cursor = db.query("SELECT Name FROM Account")
    assert len(cursor.fetch(4)) == 4
    assert cursor.done
    assert not db.conn.in_transaction


def test_empty_result(db: Db) -> None:
    cursor = db.query("SELECT Name FROM Account")
    assert cursor.total_size == 0
    assert cursor.done
    assert cursor.fetch(10) == []
    assert not db.conn.in_transaction


def test_close_releases_the_snapshot(db: Db) -> None:
    for i in range(5):
        db.add("Account", Name=f"n{i}")
    cursor = db.query("SELECT Name FROM Account")
    cursor.fetch(2)
    assert db.conn.in_transaction
    cursor.close()
    assert cursor.done
    assert cursor.fetch(2) == []
    assert not db.conn.in_transaction
    cursor.close()


def test_a_callers_transaction_is_left_alone(db: Db) -> None:
    db.add("Account", Name="n0")
    db.conn.execute("BEGIN")
    db.conn.execute(
        'INSERT INTO "Account" ("Id", "Name") VALUES (\'001000000000077AAA\', \'mine\')'
    )
    cursor = db.query("SELECT Name FROM Account ORDER BY Name")
    assert [r["Name"] for r in cursor.fetch(10)] == ["mine", "n0"]
    assert cursor.done
    assert db.conn.in_transaction
    db.conn.rollback()


def test_a_query_sees_one_snapshot_across_pages(schema: Schema, tmp_path: Path) -> None:
    account = schema.get("Account")
    assert account is not None
    path = tmp_path / "org.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    for stmt in create_table_sql(account):
        writer.execute(stmt)
    rows = [(f"001000000000{i:03}AAA", f"n{i:02}") for i in range(10)]
    writer.executemany('INSERT INTO "Account" ("Id", "Name") VALUES (?, ?)', rows)
    reader = sqlite3.connect(path, check_same_thread=False)

    def write_between_count_and_rows(statement: str) -> None:
        if statement.startswith("SELECT") and "COUNT(*)" not in statement:
            reader.set_trace_callback(None)
            writer.execute(
                'INSERT INTO "Account" ("Id", "Name") VALUES (?, ?)', ("001000000000400AAA", "n40")
            )

    reader.set_trace_callback(write_between_count_and_rows)
    cursor = execute(reader, schema, "SELECT Name FROM Account ORDER BY Name", now=NOW)
    first = [r["Name"] for r in cursor.fetch(4)]
    writer.execute(
        'INSERT INTO "Account" ("Id", "Name") VALUES (?, ?)', ("001000000000500AAA", "n50")
    )
    writer.execute('DELETE FROM "Account" WHERE "Name" = ?', ("n09",))
    rest = [r["Name"] for r in cursor.fetch(100)]
    assert cursor.total_size == 10
    assert first + rest == [name for _, name in rows]
    assert cursor.done

    later = execute(reader, schema, "SELECT Name FROM Account ORDER BY Name", now=NOW)
    names = [r["Name"] for r in later.fetch(100)]
    assert names[-3:] == ["n08", "n40", "n50"]
    reader.close()
    writer.close()


def test_total_size_ignores_joins_the_where_does_not_need(db: Db) -> None:
    acct = db.add("Account", Name="Acme")
    db.add("Contact", LastName="a", AccountId=acct)
    db.add("Contact", LastName="b")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    cursor = db.query("SELECT LastName, Account.Name FROM Contact WHERE LastName != 'z'")
    db.conn.set_trace_callback(None)
    assert cursor.total_size == 2
    count = next(s for s in statements if "COUNT(*)" in s)
    assert "JOIN" not in count
    assert len(cursor.fetch(5)) == 2


def test_many_rows_page_through(db: Db) -> None:
    rows = [(f"001000000{i:06}AAA", f"n{i:05}", i % 2) for i in range(5000)]
    db.conn.executemany('INSERT INTO "Account" ("Id", "Name", "IsDeleted") VALUES (?, ?, ?)', rows)
    db.conn.commit()
    cursor = db.query("SELECT Id, Name FROM Account")
    assert cursor.total_size == 2500
    seen = []
    while not cursor.done:
        page = cursor.fetch(2000)
        assert len(page) <= 2000
        seen.extend(r["Name"] for r in page)
    assert seen == [name for _, name, deleted in rows if not deleted]


def test_a_connection_row_factory_does_not_change_records(db: Db) -> None:
    acct = db.add("Account", Name="Acme")
    db.add("Contact", LastName="Smith", AccountId=acct)
    db.conn.row_factory = sqlite3.Row
    [rec] = db.records("SELECT Name, (SELECT LastName FROM Contacts) FROM Account")
    assert rec["Name"] == "Acme"
    assert rec["Contacts"]["records"][0]["LastName"] == "Smith"
    [agg] = db.records("SELECT COUNT(Id) n FROM Account")
    assert agg["n"] == 1
    assert db.query("SELECT COUNT() FROM Account").total_size == 1
