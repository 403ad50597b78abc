"""Database URLs as hosts hand them out (``postgres://``, Heroku's ``DATABASE_URL``) are
taken with the PostgreSQL driver that is installed, in systems and in the ledger."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lockstep.config import Config
from lockstep.config.systems import SqlSystem
from lockstep.config.urls import normalize_url, postgres_scheme


def test_the_installed_driver_is_psycopg_3() -> None:
    assert postgres_scheme() == "postgresql+psycopg"  # lockstep's [postgres] extra


@pytest.mark.parametrize(
    ("given", "taken"),
    [
        ("postgres://u:p%40ss@db.example.com:5432/d1?sslmode=require",
         "postgresql+psycopg://u:p%40ss@db.example.com:5432/d1?sslmode=require"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("POSTGRES://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("mysql+pymysql://root@127.0.0.1/test", "mysql+pymysql://root@127.0.0.1/test"),
        ("sqlite:///postgres://x.db", "sqlite:///postgres://x.db"),
    ],
)  # fmt: skip
def test_only_a_driverless_postgres_scheme_changes(given: str, taken: str) -> None:
    assert normalize_url(given) == taken
    assert (
        sa.make_url(normalize_url(given)).get_backend_name()
        == sa.make_url(taken).get_backend_name()
    )


def test_systems_and_the_ledger_take_postgres_urls() -> None:
    config = Config.model_validate(
        {
            "systems": {"app": {"kind": "sql", "url": "postgres://app:secret@db/app"}},
            "run": {"ledger": "postgres://lockstep@db/ledger"},
        }
    )
    app = config.systems["app"]
    assert isinstance(app, SqlSystem)
    assert app.url.get_secret_value() == "postgresql+psycopg://app:secret@db/app"
    assert config.run.ledger == "postgresql+psycopg://lockstep@db/ledger"
