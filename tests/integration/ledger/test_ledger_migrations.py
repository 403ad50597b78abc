"""A ledger made by the first release keeps every row through the upgrade, and the
migrated schema is exactly ``tables.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from lockstep.ledger import ExceptionEntry, Ledger, current_revision, open_engine, upgrade
from lockstep.ledger.engine import MIGRATIONS
from lockstep.ledger.tables import VERSION_TABLE, metadata

OLD = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
LATER = datetime(2025, 6, 1, 12, 30, 0, tzinfo=UTC)


def stamp(at: datetime, dialect: str) -> str:
    """A timestamp as the first release stored it."""
    if dialect == "sqlite":
        return at.strftime("%Y-%m-%d %H:%M:%S.%f")
    return at.isoformat()


def fill_release_one(engine: Engine, dialect: str) -> None:
    """Rows in the shape of revision 0001, written with plain SQL."""
    old, later = stamp(OLD, dialect), stamp(LATER, dialect)
    statements: list[tuple[str, dict[str, Any]]] = [
        (
            "INSERT INTO ls_xrefs (entity, global_id, system, native_id, created_at,"
            " updated_at) VALUES (:e, :g, :s, :n, :at, :at)",
            {"e": "customer", "g": "01JAAAAAAAAAAAAAAAAAAAAAAA", "s": "sql", "n": "42", "at": old},
        ),
        (
            "INSERT INTO ls_xrefs (entity, global_id, system, native_id, created_at,"
            " updated_at) VALUES (:e, :g, :s, :n, :at, :at)",
            {
                "e": "customer",
                "g": "01JAAAAAAAAAAAAAAAAAAAAAAA",
                "s": "salesforce",
                "n": "001000000000042AAA",
                "at": old,
            },
        ),
        (
            'INSERT INTO ls_golden (entity, global_id, "values", version, updated_at)'
            " VALUES (:e, :g, :v, :version, :at)",
            {
                "e": "customer",
                "g": "01JAAAAAAAAAAAAAAAAAAAAAAA",
                "v": '{"name":"Ada","balance":{"$decimal":"10.50"},'
                '"joined":{"$date":"2020-02-29"}}',
                "version": 3,
                "at": old,
            },
        ),
        (
            "INSERT INTO ls_sync_state (entity, global_id, system, fingerprint, version,"
            " synced_at) VALUES (:e, :g, :s, :f, :version, :at)",
            {
                "e": "customer",
                "g": "01JAAAAAAAAAAAAAAAAAAAAAAA",
                "s": "salesforce",
                "f": "ab" * 32,
                "version": 3,
                "at": old,
            },
        ),
        (
            'INSERT INTO ls_queue (entity, origin, native_id, global_id, kind, "values",'
            " version, state, attempts, available_at, enqueued_at, updated_at, claimed_by,"
            " last_error) VALUES ('customer', 'sql', '42', NULL, 'upsert', :v, '1001',"
            " 'pending', 2, :at, :at, :at, NULL, 'timeout')",
            {"v": '{"name":"Ada B."}', "at": old},
        ),
        (
            'INSERT INTO ls_queue (entity, origin, native_id, global_id, kind, "values",'
            " version, state, attempts, available_at, enqueued_at, updated_at, claimed_by,"
            " last_error) VALUES ('customer', 'salesforce', '001000000000042AAA', :g,"
            " 'delete', NULL, '', 'dead', 8, :at, :at, :at, NULL, 'gone')",
            {"g": "01JAAAAAAAAAAAAAAAAAAAAAAA", "at": old},
        ),
        (
            "INSERT INTO ls_runs (run_id, mode, status, started_at, finished_at, entities,"
            " summary, config_hash) VALUES ('20250601T120000Z-aaaaaa', 'migrate', 'done',"
            " :at, :later, :entities, :summary, 'cfg')",
            {
                "at": old,
                "later": later,
                "entities": '["customer"]',
                "summary": '{"counts":{"created":1}}',
            },
        ),
        (
            "INSERT INTO ls_exceptions (run_id, entity, system, key, code, message,"
            " created_at, resolved_at) VALUES ('20250601T120000Z-aaaaaa', 'customer',"
            " 'salesforce', '43', 'REQUIRED_FIELD_MISSING', 'Name', :at, NULL)",
            {"at": later},
        ),
    ]
    with engine.begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)


def test_a_release_one_ledger_keeps_every_row_through_the_upgrade(
    ledger_url: str, dialect: str
) -> None:
    engine = open_engine(ledger_url)
    try:
        upgrade(engine, "0001_initial")
        columns = {c["name"] for c in inspect(engine).get_columns("ls_exceptions")}
        assert "job_id" not in columns
        assert "ls_telemetry" not in inspect(engine).get_table_names()
        fill_release_one(engine, dialect)
    finally:
        engine.dispose()

    with Ledger.open(ledger_url) as ledger:
        assert current_revision(ledger.engine) == "0006_exceptions_close"
        gid = "01JAAAAAAAAAAAAAAAAAAAAAAA"

        # xrefs
        assert ledger.xrefs("customer", gid) == {"sql": "42", "salesforce": "001000000000042AAA"}
        assert ledger.global_id("customer", "sql", "42") == gid

        # golden and sync state
        golden = ledger.golden("customer", gid)
        assert golden is not None
        assert golden.values == {
            "name": "Ada",
            "balance": Decimal("10.50"),
            "joined": datetime(2020, 2, 29, tzinfo=UTC).date(),
        }
        assert (golden.version, golden.updated_at) == (3, OLD)
        synced = ledger.synced("customer", gid, "salesforce")
        assert synced is not None
        assert (synced.fingerprint, synced.version, synced.synced_at) == ("ab" * 32, 3, OLD)
        assert ledger.put_golden("customer", gid, {"name": "Ada B."}) == 4

        # queue
        assert ledger.queue_counts() == {
            "pending": 1,
            "in_flight": 0,
            "done": 0,
            "failed": 0,
            "dead": 1,
        }
        (pending,) = ledger.claim(10, "worker")
        assert (pending.native_id, pending.values, pending.version) == (
            "42",
            {"name": "Ada B."},
            "1001",
        )
        assert (pending.attempts, pending.last_error, pending.enqueued_at) == (2, "timeout", OLD)
        (dead,) = ledger.queue_items(states=["dead"])
        assert (dead.kind, dead.values, dead.global_id) == ("delete", None, gid)

        # runs and exceptions
        run = ledger.last_run("migrate", entity="customer")
        assert run is not None
        assert run.run_id == "20250601T120000Z-aaaaaa"
        assert (run.started_at, run.finished_at) == (OLD, LATER)
        assert (run.summary, run.config_hash) == ({"counts": {"created": 1}}, "cfg")
        (old_exception,) = ledger.exceptions(run.run_id)
        assert (old_exception.key, old_exception.code, old_exception.job_id) == (
            "43",
            "REQUIRED_FIELD_MISSING",
            None,
        )
        assert old_exception.created_at == LATER

        # what 0002 added works
        ledger.record_exceptions(
            run.run_id, [ExceptionEntry("customer", "salesforce", "44", "X", "y", "750B")]
        )
        assert [e.job_id for e in ledger.exceptions(run.run_id)] == [None, "750B"]
        ledger.record_metric("salesforce", "api_calls", 5)
        assert len(ledger.metrics(ledger.now() - timedelta(minutes=1))) == 1
        ledger.save_cursor("salesforce", "Account", "2025-06-01T12:00:00Z")
        assert ledger.cursor("salesforce", "Account") == "2025-06-01T12:00:00Z"
        ledger.put_setting("paused", ["salesforce"])
        assert ledger.setting("paused") == ["salesforce"]


def test_the_migrated_schema_is_exactly_tables_py(ledger_url: str) -> None:
    with Ledger.open(ledger_url) as ledger, ledger.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        assert compare_metadata(context, metadata) == []


@pytest.mark.parametrize("revision", ["0001_initial", "base"])
def test_downgrades_undo_the_upgrades(ledger_url: str, revision: str) -> None:
    engine = open_engine(ledger_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.downgrade(config, revision)
        expected = None if revision == "base" else revision
        assert current_revision(engine) == expected
        upgrade(engine)
        assert current_revision(engine) == "0006_exceptions_close"
    finally:
        engine.dispose()
