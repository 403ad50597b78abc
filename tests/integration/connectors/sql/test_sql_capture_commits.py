"""Trigger capture reads changes in commit order and never misses a late commit:
a transaction that wrote first and commits last is read when it commits, once; on
PostgreSQL nothing else open in the cluster holds capture back; a truncate stops
capture loudly; a cursor of the earlier lockstep carries over."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lockstep.config.systems import SqlSystem
from lockstep.connectors.base import CaptureSpec
from lockstep.connectors.sql import SqlConnector
from lockstep.connectors.sql.capture import mariadb as mariadb_capture
from lockstep.core.records import Change
from lockstep.errors import CaptureBroken
from tests.conftest import POSTGRES_ADMIN
from tests.support import earlier_postgres_capture as earlier
from tests.support.widgets import create_widgets

TRIGGERS = CaptureSpec("triggers")


def names(changes: list[Change]) -> list[str]:
    return [c.values["name"] if c.values else f"<{c.kind} {c.native_id}>" for c in changes]


def read(sql: SqlConnector, cursor: str | None) -> tuple[list[Change], str | None]:
    batch = sql.changes("widgets", ["name"], cursor, TRIGGERS)
    return list(batch.changes), batch.cursor


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def pg_url(request: pytest.FixtureRequest) -> str:
    found: str = request.getfixturevalue("postgres_url")
    create_widgets(found)
    return found


@pytest.fixture(params=[pytest.param("mariadb", marks=pytest.mark.mariadb)])
def maria_url(request: pytest.FixtureRequest) -> str:
    found: str = request.getfixturevalue("mariadb_url")
    create_widgets(found)
    return found


def connector(url: str) -> Iterator[SqlConnector]:
    sql = SqlConnector("app", SqlSystem.model_validate({"kind": "sql", "url": url}))
    try:
        sql.install_capture("widgets", TRIGGERS)
        yield sql
    finally:
        sql.close()


@pytest.fixture
def pg(pg_url: str) -> Iterator[SqlConnector]:
    yield from connector(pg_url)


@pytest.fixture
def maria(maria_url: str) -> Iterator[SqlConnector]:
    yield from connector(maria_url)


def engine_of(url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[sa.Engine]:
    yield from engine_of(pg_url)


@pytest.fixture
def maria_db(maria_url: str) -> Iterator[sa.Engine]:
    yield from engine_of(maria_url)


def insert(conn: sa.Connection, name: str) -> None:
    conn.exec_driver_sql(f"INSERT INTO widgets (name) VALUES ('{name}')")


# -- a late commit: both captured, once, in commit order ------------------------------


def late_commit(sql: SqlConnector, db: sa.Engine) -> None:
    with db.connect() as slow, db.connect() as fast:
        slow.begin()
        insert(slow, "slow")  # takes the lower change id
        with fast.begin():
            insert(fast, "fast")
        first, cursor = read(sql, None)
        slow.commit()
    assert names(first) == ["fast"]
    later, cursor = read(sql, cursor)
    assert names(later) == ["slow"]
    assert read(sql, cursor)[0] == []


def test_postgres_late_commit_is_read_once_in_commit_order(
    pg: SqlConnector, pg_db: sa.Engine
) -> None:
    late_commit(pg, pg_db)


def test_mariadb_late_commit_is_read_once_in_commit_order(
    maria: SqlConnector, maria_db: sa.Engine
) -> None:
    late_commit(maria, maria_db)


def test_mariadb_hole_of_a_rolled_back_transaction_is_let_go(
    maria: SqlConnector, maria_db: sa.Engine
) -> None:
    with maria_db.connect() as gone:
        gone.begin()
        insert(gone, "never")
        gone.rollback()
    with maria_db.begin() as conn:
        insert(conn, "kept")
    changes, cursor = read(maria, None)
    assert names(changes) == ["kept"] and cursor is not None and "|" in cursor  # a hole
    time.sleep(mariadb_capture.HOLE_AGE_SECONDS + 0.2)
    changes, cursor = read(maria, cursor)
    assert changes == [] and cursor == "2"  # no row, no lock: rolled back


def test_mariadb_hole_of_a_transaction_still_open_is_kept_however_old(
    maria: SqlConnector, maria_db: sa.Engine
) -> None:
    with maria_db.connect() as slow:
        slow.begin()
        insert(slow, "slow")
        with maria_db.begin() as conn:
            insert(conn, "fast")
        changes, cursor = read(maria, None)
        assert names(changes) == ["fast"]
        time.sleep(mariadb_capture.HOLE_AGE_SECONDS + 0.2)
        changes, cursor = read(maria, cursor)  # old, but locked: kept
        assert changes == [] and cursor is not None and cursor.startswith("2|1@")
        slow.commit()
    changes, cursor = read(maria, cursor)
    assert names(changes) == ["slow"] and cursor == "2"


def test_mariadb_a_large_open_transaction_is_read_whole_when_it_commits(
    maria: SqlConnector, maria_db: sa.Engine
) -> None:
    with maria_db.connect() as bulk:
        bulk.begin()
        bulk.execute(
            sa.text("INSERT INTO widgets (name) VALUES (:n)"), [{"n": f"b{i}"} for i in range(3000)]
        )
        with maria_db.begin() as conn:
            insert(conn, "fast")
        changes, cursor = read(maria, None)
        assert names(changes) == ["fast"]
        assert cursor is not None and len(cursor) < 100  # one run of 3000 holes
        time.sleep(mariadb_capture.HOLE_AGE_SECONDS + 0.2)
        assert read(maria, cursor) == ([], cursor)  # old, but locked: kept
        bulk.commit()
    changes, cursor = read(maria, cursor)
    assert names(changes) == [f"b{i}" for i in range(3000)]
    assert cursor == "3001" and read(maria, cursor)[0] == []


def test_mariadb_cursor_round_trip() -> None:
    holes = {3: 1.5, 4: 1.5, 5: 2.0, 9: 1.5}
    text = mariadb_capture.render(10, holes)
    assert text == "10|3-4@1.500,5@2.000,9@1.500"
    assert mariadb_capture.parse(text) == (10, holes)
    assert mariadb_capture.parse("42") == (42, {})  # the earlier lockstep's cursor


# -- PostgreSQL: open transactions elsewhere hold nothing back --------------------------


def test_postgres_capture_does_not_wait_for_open_transactions(
    pg: SqlConnector, pg_db: sa.Engine, pg_url: str
) -> None:
    """A transaction with an xid left open in another database and one idle in this
    database: a change committed meanwhile is read at once."""
    other = sa.create_engine(POSTGRES_ADMIN)
    try:
        with other.connect() as elsewhere, pg_db.connect() as idle:
            elsewhere.begin()
            elsewhere.exec_driver_sql("SELECT pg_current_xact_id()")  # takes an xid
            idle.begin()
            idle.exec_driver_sql("CREATE TEMP TABLE scratch (x int)")
            idle.exec_driver_sql("INSERT INTO scratch VALUES (1)")
            with pg_db.begin() as conn:
                insert(conn, "meanwhile")
            started = time.monotonic()
            changes, _ = read(pg, None)
            assert names(changes) == ["meanwhile"]
            assert time.monotonic() - started < 5
            idle.rollback()
            elsewhere.rollback()
    finally:
        other.dispose()


def test_postgres_a_rolled_back_transaction_or_a_burnt_number_leaves_no_stall(
    pg: SqlConnector, pg_db: sa.Engine
) -> None:
    with pg_db.connect() as gone:
        gone.begin()
        insert(gone, "never")
        gone.rollback()
    with pg_db.begin() as conn:  # a number taken and never committed: a gap
        conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('lockstep_changes_commits', 'seq'))"
        )
    with pg_db.begin() as conn:
        insert(conn, "after")
    started = time.monotonic()
    changes, cursor = read(pg, None)
    assert names(changes) == ["after"]
    assert time.monotonic() - started < 5
    assert read(pg, cursor)[0] == []


def test_postgres_a_commit_in_progress_below_a_visible_one_is_waited_for(
    pg: SqlConnector, pg_db: sa.Engine
) -> None:
    """The gap rule: a transaction that took its commit number and has not ended
    holds back the numbers above it, so it is not skipped when it commits."""
    with pg_db.connect() as slow, pg_db.connect() as fast:
        slow.begin()
        insert(slow, "slow")
        slow.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")  # takes its number now
        with fast.begin():
            insert(fast, "fast")
        early, cursor = read(pg, None)
        slow.commit()
    assert early == []
    changes, cursor = read(pg, cursor)
    assert names(changes) == ["slow", "fast"]
    assert read(pg, cursor)[0] == []


def test_postgres_a_savepoint_rolled_back_still_records_the_transaction(
    pg: SqlConnector, pg_db: sa.Engine
) -> None:
    with pg_db.begin() as conn:
        conn.exec_driver_sql("SAVEPOINT s")
        insert(conn, "undone")
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT s")
        insert(conn, "kept")
    changes, _ = read(pg, None)
    assert names(changes) == ["kept"]


# -- TRUNCATE --------------------------------------------------------------------------


def test_postgres_truncate_stops_capture_loudly_after_the_changes_before_it(
    pg: SqlConnector, pg_db: sa.Engine
) -> None:
    with pg_db.begin() as conn:
        insert(conn, "before")
    with pg_db.begin() as conn:
        conn.exec_driver_sql("TRUNCATE widgets")
    with pg_db.begin() as conn:
        insert(conn, "after")
    changes, cursor = read(pg, None)
    assert [c.native_id for c in changes] == ["1"]
    with pytest.raises(CaptureBroken, match="truncated") as broken:
        read(pg, cursor)
    assert broken.value.resume is not None
    changes, _ = read(pg, broken.value.resume)
    assert names(changes) == ["after"]


def test_mariadb_truncate_changes_what_the_check_reads(
    maria: SqlConnector, maria_db: sa.Engine
) -> None:
    before = maria.inspect_capture("widgets", TRIGGERS)
    assert before is not None and before.found is not None
    assert maria.inspect_capture("widgets", TRIGGERS) == before  # stable
    with maria_db.begin() as conn:
        conn.exec_driver_sql("TRUNCATE widgets")
    after = maria.inspect_capture("widgets", TRIGGERS)
    assert after is not None and after.found not in (None, before.found)


# -- the earlier lockstep's cursor -------------------------------------------------------


def test_postgres_cursor_of_the_earlier_lockstep_carries_over(pg_url: str) -> None:
    """Triggers and a ``<tx>:<id>`` cursor left by the earlier lockstep: after the
    install, reading from that cursor gives every change not read yet, once."""
    sql = SqlConnector("app", SqlSystem.model_validate({"kind": "sql", "url": pg_url}))
    engine = sa.create_engine(pg_url)
    try:
        names_ = sql._names(sql._bound("widgets"))
        with engine.begin() as conn:
            for statement in earlier.install(names_):
                conn.exec_driver_sql(statement)
        for name in ("old 1", "old 2", "old 3"):
            with engine.begin() as conn:
                insert(conn, name)
        with engine.connect() as conn:
            # the earlier reader, less its wait for the cluster's xmin (another test's
            # open transaction would hold it up; these three are committed)
            pending = earlier.PENDING.replace(
                "AND tx < pg_snapshot_xmin(pg_current_snapshot())", ""
            )
            query = sa.text(pending.format(changes=names_.changes))
            params = {"table": "widgets", "id": 0, "tx": "0", "limit": 2}
            read_before = conn.execute(query, params).all()
        assert len(read_before) == 2
        last = read_before[-1]
        old_cursor = f"{last[3]}:{last[0]}"
        with engine.begin() as conn:
            insert(conn, "old 4")

        sql.install_capture("widgets", TRIGGERS)
        with engine.begin() as conn:
            insert(conn, "new 5")
        changes, cursor = read(sql, old_cursor)
        assert names(changes) == ["old 3", "old 4", "new 5"]
        assert cursor is not None and cursor.startswith("c")
        assert read(sql, cursor)[0] == []
    finally:
        sql.close()
        engine.dispose()


# -- installing while the application writes ---------------------------------------------


def test_postgres_installing_again_never_fails_the_apps_writes(
    pg: SqlConnector, pg_db: sa.Engine, pg_url: str
) -> None:
    """The install locks the app's table first, as the app's writes do (table, then
    change table): the app waits a moment, never deadlocks."""
    with pg_db.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO widgets (name) SELECT 'w' || g FROM generate_series(1, 20) g")
        )
    errors: list[str] = []
    done = threading.Event()
    count = 0

    def app() -> None:
        nonlocal count
        engine = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                while not done.is_set():
                    try:
                        conn.execute(
                            sa.text("UPDATE widgets SET amount = :n WHERE id = :id"),
                            {"n": count, "id": count % 20 + 1},
                        )
                    except sa.exc.DBAPIError as exc:
                        errors.append(type(exc.orig).__name__)
                    count += 1
        finally:
            engine.dispose()

    writer = threading.Thread(target=app)
    writer.start()
    installs = 0
    deadline = time.monotonic() + 60
    try:  # at least 15 installs, while the app writes (a loaded machine writes slowly)
        while installs < 15 or (count <= 50 and time.monotonic() < deadline):
            pg.install_capture("widgets", TRIGGERS)
            installs += 1
    finally:
        done.set()
        writer.join()
    assert count > 50 and errors == []
