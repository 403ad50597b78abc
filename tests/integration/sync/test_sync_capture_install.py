"""Capture is installed at the first pass and only checked after: no DDL on the app's
tables during normal passes (the app's own writes never deadlock with lockstep), a
dropped or disabled trigger stops that binding loudly instead of being reinstalled in
silence, a truncate stops it too, and a repair pass puts it right."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.connectors.base import CaptureSpec, Connector
from lockstep.connectors.factory import open_connector
from lockstep.reports.progress import Progress
from lockstep.reports.summary import Summary
from lockstep.sync.install import setting_key
from lockstep.sync.run import Open, Options, sync_once
from tests.conftest import POSTGRES_ADMIN
from tests.support.sync_world import WORKER, World


def counting(installs: Counter[str]) -> Open:
    """``open_connector``, counting each ``install_capture`` call by object."""

    def open_(name: str, config: SalesforceSystem | SqlSystem) -> Connector:
        connector = open_connector(name, config)
        install = connector.install_capture

        def counted(obj: str, capture: CaptureSpec) -> None:
            installs[obj] += 1
            install(obj, capture)

        connector.install_capture = counted  # type: ignore[method-assign]
        return connector

    return open_


def repair(world: World) -> Summary:
    options = Options(worker=WORKER, repair_capture=True)
    return sync_once(world.write_config(), options, progress=Progress())


def drop_trigger(world: World, table: str, suffix: str) -> None:
    name = f"lockstep_{table}_{suffix}"
    dialect = sa.make_url(world.sql_url).get_backend_name()
    on = f" ON {table}" if dialect == "postgresql" else ""
    world.execute(f"DROP TRIGGER {name}{on}")


def test_capture_is_installed_at_the_first_pass_only(any_world: World) -> None:
    world = any_world
    with world.ledger() as ledger:
        assert ledger.setting(setting_key("app", "customers")) is not None  # the first pass
    installs: Counter[str] = Counter()
    for n in range(3):
        world.insert("customers", [{"id": n + 1, "name": f"Acme {n}"}])
        summary = world.sync(connect=counting(installs))
        assert summary.status == "done", summary.notes
    assert installs == Counter()
    assert len(world.sf.query("SELECT Id FROM Account")["records"]) == 3


def test_a_dropped_trigger_stops_its_binding_loudly_and_a_repair_restarts_it(
    any_world: World,
) -> None:
    world = any_world
    drop_trigger(world, "contacts", "ins")
    world.insert("customers", [{"id": 1, "name": "Acme"}])
    installs: Counter[str] = Counter()

    broken = world.sync(connect=counting(installs))

    assert broken.status == "interrupted"
    (note,) = [n for n in broken.notes if "contact (app)" in n]
    assert "dropped" in note and "may have been missed" in note
    assert "--repair-capture" in note and "reconcile --apply" in note
    assert installs == Counter()  # never reinstalled in silence
    assert len(world.sf.query("SELECT Id FROM Account")["records"]) == 1  # the others go on
    assert world.sync().status == "interrupted"  # and it stays stopped

    repaired = repair(world)
    assert repaired.status == "done", repaired.notes
    world.insert("contacts", [{"id": 1, "last_name": "Lovelace", "customer_id": 1}])
    assert world.sync().status == "done"
    assert len(world.sf.query("SELECT Id FROM Contact")["records"]) == 1


@pytest.mark.postgres
def test_a_disabled_trigger_stops_its_binding(new_world, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    world: World = new_world(postgres_url)
    world.execute("ALTER TABLE customers DISABLE TRIGGER lockstep_customers_upd")
    broken = world.sync()
    assert broken.status == "interrupted"
    assert any("disabled" in n for n in broken.notes), broken.notes


def test_a_ledger_of_the_earlier_lockstep_installs_once_then_checks(any_world: World) -> None:
    """The earlier lockstep kept no record (it installed at every pass): the first
    pass installs over its triggers once and records it."""
    world = any_world
    with world.ledger() as ledger:
        for table in ("customers", "contacts", "contracts", "usages"):
            ledger.put_setting(setting_key("app", table), None)
    installs: Counter[str] = Counter()
    first = world.sync(connect=counting(installs))
    assert first.status == "done", first.notes
    assert installs["customers"] == 1
    world.sync(connect=counting(installs))
    assert installs["customers"] == 1


@pytest.mark.postgres
def test_app_updates_never_deadlock_with_sync_passes_on_postgres(
    new_world,  # type: ignore[no-untyped-def]
    postgres_url: str,
) -> None:
    """The repro pg-deadlock: the app updates rows one at a time, autocommit, while
    20 passes run; none of its updates is refused."""
    world: World = new_world(postgres_url)
    world.insert("customers", [{"id": n, "name": f"c{n}"} for n in range(1, 21)])
    world.sync()
    errors: Counter[str] = Counter()
    updates = 0
    stop = threading.Event()

    def app() -> None:
        nonlocal updates
        engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                while not stop.is_set():
                    try:
                        conn.execute(
                            sa.text("UPDATE customers SET phone = :p WHERE id = :id"),
                            {"p": str(updates), "id": updates % 20 + 1},
                        )
                    except sa.exc.DBAPIError as exc:
                        errors[type(exc.orig).__name__] += 1
                    updates += 1
        finally:
            engine.dispose()

    installs: Counter[str] = Counter()
    writer = threading.Thread(target=app)
    writer.start()
    try:
        for _ in range(20):
            world.sync(connect=counting(installs))
    finally:
        stop.set()
        writer.join()
    assert updates > 100
    assert errors == Counter()
    assert installs == Counter()


def test_an_app_write_transaction_held_open_does_not_interrupt_a_pass_on_sqlite(
    world: World,
) -> None:
    engine = sa.create_engine(world.sql_url)
    try:
        with engine.connect() as app:
            app.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, held
            app.exec_driver_sql("UPDATE customers SET name = name")
            started = time.monotonic()
            summary = world.sync()
            took = time.monotonic() - started
            app.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()
    assert summary.status == "done", summary.notes
    assert took < 10


@pytest.mark.postgres
def test_a_truncate_stops_its_binding_until_repaired_on_postgres(
    new_world,  # type: ignore[no-untyped-def]
    postgres_url: str,
) -> None:
    world: World = new_world(postgres_url)
    world.insert("customers", [{"id": 1, "name": "Acme"}])
    world.sync()
    world.execute("TRUNCATE customers")
    world.insert("customers", [{"id": 2, "name": "Globex"}])

    broken = world.sync()
    assert broken.status == "interrupted"
    (note,) = [n for n in broken.notes if "customer (app)" in n]
    assert "truncated" in note and "--repair-capture" in note and "reconcile" in note

    repaired = repair(world)
    assert repaired.status == "done", repaired.notes
    names = {r["Name"] for r in world.sf.query("SELECT Name FROM Account")["records"]}
    assert "Globex" in names  # capture goes on past the truncate


@pytest.mark.mariadb
def test_a_truncate_stops_its_binding_on_mariadb(new_world, mariadb_url: str) -> None:  # type: ignore[no-untyped-def]
    world: World = new_world(mariadb_url)
    world.execute("TRUNCATE customers")
    broken = world.sync()
    assert broken.status == "interrupted"
    assert any("truncated or rebuilt" in n for n in broken.notes), broken.notes
    assert repair(world).status == "done"


@pytest.mark.postgres
def test_open_transactions_elsewhere_do_not_hold_a_pass_back_on_postgres(
    new_world,  # type: ignore[no-untyped-def]
    postgres_url: str,
) -> None:
    """The repro pg-xmin: a transaction left open in another database, and one idle
    in the app's database; a row committed meanwhile is carried by the next pass."""
    world: World = new_world(postgres_url)
    other = sa.create_engine(POSTGRES_ADMIN)
    app = sa.create_engine(postgres_url)
    try:
        with other.connect() as elsewhere, app.connect() as idle:
            elsewhere.begin()
            elsewhere.exec_driver_sql("SELECT pg_current_xact_id()")  # an xid, left open
            idle.begin()
            idle.exec_driver_sql("SELECT pg_current_xact_id()")
            world.insert("customers", [{"id": 1, "name": "Printer on fire"}])
            summary = world.sync()
            idle.rollback()
            elsewhere.rollback()
    finally:
        other.dispose()
        app.dispose()
    assert summary.counts.created == 1, summary.as_dict()
    assert [r["Name"] for r in world.sf.query("SELECT Name FROM Account")["records"]] == [
        "Printer on fire"
    ]
