"""Trigger capture: every insert, update and delete, in order, read in pages."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lockstep.connectors.base import CaptureSpec
from lockstep.connectors.sql import SqlConnector
from lockstep.core.records import Change
from lockstep.errors import ConfigError, Terminal

TRIGGERS = CaptureSpec("triggers")


def read_all(
    sql: SqlConnector, cursor: str | None = None, *, limit: int = 10_000, want: int = 0
) -> tuple[list[Change], str | None, int]:
    """Every change after ``cursor``, page by page: (changes, cursor, pages). Waits up
    to 30 s for ``want`` changes: on PostgreSQL, a transaction in the middle of its
    commit can hold back changes committed after it for a moment (capture/postgres.py)."""
    changes: list[Change] = []
    pages = 0
    deadline = time.monotonic() + 30
    while True:
        batch = sql.changes("widgets", ["name", "amount"], cursor, TRIGGERS, limit=limit)
        changes += batch.changes
        cursor = batch.cursor
        pages += 1 if batch.changes else 0
        if batch.more:
            continue
        if len(changes) >= want or time.monotonic() > deadline:
            return changes, cursor, pages
        time.sleep(0.1)


def change_log(db: sa.Engine) -> list[tuple[str, str]]:
    with db.connect() as conn:
        return [
            (op, pk)
            for op, pk in conn.exec_driver_sql("SELECT op, pk FROM lockstep_changes ORDER BY id")
        ]


def test_every_insert_update_and_delete_is_captured_in_order(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    sql.install_capture("widgets", TRIGGERS)
    with db.begin() as conn:
        keys = list(
            conn.execute(
                sa.insert(widgets).returning(widgets.c.id, sort_by_parameter_order=True),
                [{"name": f"w{n}", "ext": f"E{n}"} for n in range(1000)],
            ).scalars()
        )
    order = keys[::-1]  # update and delete in another order than inserted
    with db.begin() as conn:
        conn.execute(
            sa.update(widgets).where(widgets.c.id == sa.bindparam("key")),
            [{"key": key, "name": f"renamed {key}"} for key in order],
        )
    with db.begin() as conn:
        conn.execute(
            sa.delete(widgets).where(widgets.c.id == sa.bindparam("key")),
            [{"key": key} for key in order],
        )

    changes, cursor, pages = read_all(sql, limit=400, want=3000)

    assert len(changes) == 3000 and pages == 8
    expected = [str(k) for k in keys] + [str(k) for k in order] * 2
    assert [c.native_id for c in changes] == expected
    assert [c.kind for c in changes] == ["upsert"] * 2000 + ["delete"] * 1000
    assert all(c.values is None for c in changes)  # every row is gone by now
    versions = [int(c.version) for c in changes]
    assert versions == sorted(versions) and len(set(versions)) == 3000
    assert [op for op, _ in change_log(db)] == ["I"] * 1000 + ["U"] * 1000 + ["D"] * 1000
    assert read_all(sql, cursor)[0] == []


def test_changes_carry_the_row_as_it_is_when_read(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    sql.install_capture("widgets", TRIGGERS)
    with db.begin() as conn:
        conn.execute(sa.insert(widgets), [{"name": "a", "amount": 1}, {"name": "b", "amount": 2}])
        conn.execute(sa.update(widgets).where(widgets.c.name == "a").values(amount=5))
    changes, cursor, _ = read_all(sql, want=3)
    assert [(c.native_id, c.kind) for c in changes] == [
        ("1", "upsert"),
        ("2", "upsert"),
        ("1", "upsert"),
    ]
    assert changes[0].values == {"id": 1, "name": "a", "amount": Decimal(5)}
    assert changes[1].values == {"id": 2, "name": "b", "amount": Decimal(2)}
    assert all(c.obj == "widgets" for c in changes)
    with db.begin() as conn:
        conn.execute(sa.delete(widgets).where(widgets.c.name == "b"))
    (gone,), _, _ = read_all(sql, cursor, want=1)
    assert (gone.native_id, gone.kind, gone.values) == ("2", "delete", None)


def test_a_key_change_is_a_delete_of_the_old_key_and_an_upsert_of_the_new(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    with db.begin() as conn:
        conn.execute(sa.insert(widgets).values(id=1, name="a"))
    sql.install_capture("widgets", TRIGGERS)
    with db.begin() as conn:
        conn.execute(sa.update(widgets).values(id=2))
    changes, _, _ = read_all(sql, want=2)
    assert [(c.native_id, c.kind) for c in changes] == [("1", "delete"), ("2", "upsert")]


def test_install_and_remove_are_idempotent_and_removal_stops_capture(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    sql.install_capture("widgets", TRIGGERS)
    sql.install_capture("widgets", TRIGGERS)
    with db.begin() as conn:
        conn.execute(sa.insert(widgets).values(name="once"))
    assert change_log(db) == [("I", "1")]  # one trigger, not two

    sql.remove_capture("widgets")
    sql.remove_capture("widgets")
    with db.begin() as conn:
        conn.execute(sa.insert(widgets).values(name="unseen"))
        conn.execute(sa.update(widgets).values(name="unseen"))
        conn.execute(sa.delete(widgets))
    assert change_log(db) == [("I", "1")]  # the change table stays

    sql.install_capture("widgets", TRIGGERS)
    with db.begin() as conn:
        again = conn.execute(sa.insert(widgets).values(name="again").returning(widgets.c.id))
        key = again.scalar_one()
    assert change_log(db) == [("I", "1"), ("I", str(key))]


def test_each_table_reads_its_own_changes(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE gadgets (code VARCHAR(10) PRIMARY KEY)")
    sql.install_capture("widgets", TRIGGERS)
    sql.install_capture("gadgets", TRIGGERS)
    with db.begin() as conn:
        conn.exec_driver_sql("INSERT INTO gadgets (code) VALUES ('g-1')")
        conn.execute(sa.insert(widgets).values(name="w"))
    gadgets = sql.changes("gadgets", ["code"], None, TRIGGERS)
    assert [(c.obj, c.native_id, c.values) for c in gadgets.changes] == [
        ("gadgets", "g-1", {"code": "g-1"})
    ]
    widget_changes, _, _ = read_all(sql, want=1)
    assert [c.native_id for c in widget_changes] == ["1"]


def test_a_cursor_that_is_not_ours_is_refused(sql: SqlConnector) -> None:
    sql.install_capture("widgets", TRIGGERS)
    with pytest.raises(Terminal, match="cursor"):
        sql.changes("widgets", ["name"], "yesterday", TRIGGERS)


def test_salesforce_capture_modes_are_refused(sql: SqlConnector) -> None:
    with pytest.raises(ConfigError, match="poll"):
        sql.install_capture("widgets", CaptureSpec("poll", "SystemModstamp"))
    with pytest.raises(ConfigError, match="cdc"):
        sql.changes("widgets", ["name"], None, CaptureSpec("cdc"))


def test_wait_for_changes_wakes_on_a_change(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table
) -> None:
    sql.install_capture("widgets", TRIGGERS)
    assert sql.wait_for_changes(0) is False  # starts listening
    assert sql.wait_for_changes(0.3) is False  # nothing happened

    def write() -> None:
        time.sleep(0.3)
        with db.begin() as conn:
            conn.execute(sa.insert(widgets), [{"name": f"w{n}"} for n in range(50)])

    writer = threading.Thread(target=write)
    started = time.monotonic()
    writer.start()
    try:
        assert sql.wait_for_changes(20) is True
    finally:
        writer.join()
    assert time.monotonic() - started < 5
    assert sql.wait_for_changes(0.2) is False  # one wake-up for the statement


def test_an_update_of_no_watched_column_is_not_captured(
    sql: SqlConnector, db: sa.Engine, widgets: sa.Table, dialect: str
) -> None:
    """With ``watched`` (sync's bound fields), an update that changes none of them nor
    the key (lockstep writing back a status or an id, the application touching a
    column nothing reads, or setting a watched one to what it holds) writes no change
    row on PostgreSQL and SQLite; one that changes one of them, a NULL among them, or
    the key does. MariaDB records every update (see capture/mariadb.py)."""
    watching = CaptureSpec("triggers", watched=("name", "AMOUNT"))  # names as config spells them
    sql.install_capture("widgets", watching)
    with db.begin() as conn:
        rows = [{"id": n, "name": f"w{n}", "amount": n} for n in (1, 2, 3)]
        conn.execute(sa.insert(widgets), rows)
    base = len(change_log(db))
    quiet = [
        {"category": "status"},
        {"ext": "SF-1", "updated_at": None, "active": True},
        {"name": "w1", "amount": 1},
    ]
    for values in quiet:
        with db.begin() as conn:
            conn.execute(sa.update(widgets).where(widgets.c.id == 1).values(**values))
    expected = [("U", "1")] * 3 if dialect == "mariadb" else []
    assert change_log(db)[base:] == expected
    base = len(change_log(db))
    loud = [
        (2, {"name": "w2 renamed"}),
        (3, {"amount": None}),
        (3, {"amount": 7, "category": "x"}),
        (1, {"id": 10}),
    ]
    for key, values in loud:
        with db.begin() as conn:
            conn.execute(sa.update(widgets).where(widgets.c.id == key).values(**values))
    assert change_log(db)[base:] == [("U", "2"), ("U", "3"), ("U", "3"), ("D", "1"), ("U", "10")]
    assert (
        sql.inspect_capture("widgets", watching) == sql.inspect_capture("widgets", TRIGGERS)
    ) == (dialect == "mariadb")


@pytest.mark.parametrize("dialect", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_postgres_lets_the_application_drop_a_watched_column(
    sql: SqlConnector, db: sa.Engine
) -> None:
    """The watched columns are compared by name through ``to_jsonb``: once the
    application drops one, its updates still go through, and are captured when another
    watched column changes."""
    sql.install_capture("widgets", CaptureSpec("triggers", watched=("name", "category")))
    with db.begin() as conn:
        conn.exec_driver_sql("INSERT INTO widgets (id, name, category) VALUES (1, 'a', 'x')")
        conn.exec_driver_sql("ALTER TABLE widgets DROP COLUMN category")
    with db.begin() as conn:
        conn.exec_driver_sql("UPDATE widgets SET amount = 3 WHERE id = 1")
        conn.exec_driver_sql("UPDATE widgets SET name = 'b' WHERE id = 1")
    assert change_log(db) == [("I", "1"), ("U", "1")]
