"""Reflection: kinds, key, external ids, and the tables lockstep cannot bind."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from lockstep.config.systems import SqlSystem
from lockstep.connectors.base import Connector
from lockstep.connectors.sql import SqlConnector
from lockstep.errors import AuthFailed, ConfigError, SchemaError, Unreachable

if TYPE_CHECKING:
    from conftest import MakeSql  # the sql folder's conftest


def test_the_widget_table_as_lockstep_sees_it(sql: SqlConnector) -> None:
    assert isinstance(sql, Connector)
    shape = sql.describe("widgets")
    kinds = {name: field.kind for name, field in shape.fields.items()}
    assert kinds == {
        "id": "integer",
        "name": "string",
        "amount": "decimal",
        "active": "boolean",
        "due": "date",
        "seen_at": "datetime",
        "ext": "string",
        "category": "string",
        "updated_at": "datetime",
    }
    key = shape.key
    assert key is not None and key.name == "id"
    assert key.external_id and not key.nullable and not key.createable and not key.updateable
    assert [f.name for f in shape.fields.values() if f.external_id] == ["id", "ext"]
    assert shape.fields["name"].length == 80 and shape.fields["name"].nullable


def test_a_unique_index_makes_an_external_id_and_a_partial_one_does_not(
    sql: SqlConnector, db: sa.Engine, dialect: str
) -> None:
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE UNIQUE INDEX widgets_category ON widgets (category)")
        if dialect != "mariadb":  # MariaDB has no partial indexes
            conn.exec_driver_sql(
                "CREATE UNIQUE INDEX widgets_name ON widgets (name) WHERE name IS NOT NULL"
            )
    shape = sql.describe("widgets")
    assert shape.fields["category"].external_id
    assert not shape.fields["name"].external_id


def test_an_inline_unique_column_is_an_external_id(sql: SqlConnector, db: sa.Engine) -> None:
    with db.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE gadgets (id INTEGER PRIMARY KEY, code VARCHAR(20) UNIQUE, label TEXT)"
        )
    shape = sql.describe("gadgets")
    assert shape.fields["code"].external_id
    assert not shape.fields["label"].external_id


def test_names_are_found_whatever_their_case(sql: SqlConnector) -> None:
    assert sql.describe("Widgets").name == "widgets"


def test_an_unknown_table_is_a_schema_error(sql: SqlConnector) -> None:
    with pytest.raises(SchemaError, match="no table 'gizmos'"):
        sql.describe("gizmos")


@pytest.mark.parametrize(
    "ddl, problem",
    [
        ("CREATE TABLE pairs (a INTEGER, b INTEGER, PRIMARY KEY (a, b))", "composite"),
        ("CREATE TABLE heap (a INTEGER)", "no primary key"),
    ],
)
def test_lockstep_needs_a_single_column_key(
    sql: SqlConnector, db: sa.Engine, ddl: str, problem: str
) -> None:
    with db.begin() as conn:
        conn.exec_driver_sql(ddl)
    table = ddl.split()[2]
    with pytest.raises(SchemaError, match=problem):
        sql.describe(table)


def test_a_describe_sees_columns_added_since(sql: SqlConnector, db: sa.Engine) -> None:
    sql.describe("widgets")
    with db.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE widgets ADD COLUMN colour VARCHAR(12)")
    assert sql.describe("widgets").fields["colour"].kind == "string"


def test_check_connects(sql: SqlConnector) -> None:
    sql.check()
    assert sql.calls.total >= 1


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://lockstep:s3cret@127.0.0.1:1/app",
        "mysql+pymysql://lockstep:s3cret@127.0.0.1:1/app",
        "sqlite:////nonexistent/directory/app.db",
    ],
)
def test_a_database_that_cannot_be_reached_is_unreachable_and_keeps_its_password(
    url: str,
) -> None:
    connector = SqlConnector("app", SqlSystem.model_validate({"kind": "sql", "url": url}))
    try:
        with pytest.raises(Unreachable) as caught:
            connector.check()
    finally:
        connector.close()
    assert "s3cret" not in str(caught.value)
    assert caught.value.system == "app"


def test_a_sqlite_file_that_is_not_there_is_never_created(tmp_path: Path) -> None:
    path = tmp_path / "mistyped.db"
    system = SqlSystem.model_validate({"kind": "sql", "url": f"sqlite:///{path}"})
    connector = SqlConnector("app", system)
    try:
        with pytest.raises(Unreachable):
            connector.check()
    finally:
        connector.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["not a url", "oracle://scott:tiger@db/orcl"])
def test_a_url_lockstep_cannot_use_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SqlConnector("app", SqlSystem.model_validate({"kind": "sql", "url": url}))
    assert "tiger" not in str(caught.value)


def test_make_sql_applies_overrides(make_sql: MakeSql) -> None:
    assert make_sql(batch_size=7).config.batch_size == 7


@pytest.mark.mariadb
def test_refused_credentials_are_an_auth_failure() -> None:
    """(PostgreSQL refuses a login before there is a session, and libpq reports it
    without a SQLSTATE: there it reads as unreachable; see ``classify``.)"""
    url = "mysql+pymysql://lockstep_nobody:s3cret@127.0.0.1:3306/test"
    connector = SqlConnector("app", SqlSystem.model_validate({"kind": "sql", "url": url}))
    try:
        with pytest.raises(AuthFailed) as caught:
            connector.check()
    finally:
        connector.close()
    assert "s3cret" not in str(caught.value)
