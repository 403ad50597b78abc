"""``postgres://`` URLs, as Heroku's ``DATABASE_URL`` and many hosts hand them out, work
for a system and for the ledger: ``validate`` checks the tables through them, and
``plan`` runs with its ledger in PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from lockstep_emulator.client import EmulatorInfo
from test_bad_config_table import APP_SCHEMA, lockstep, write_config


@pytest.mark.postgres
def test_postgres_urls_are_taken_for_systems_and_the_ledger(
    tmp_path: Path, org: EmulatorInfo, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    heroku = postgres_url.replace("postgresql+psycopg://", "postgres://", 1)
    assert heroku.startswith("postgres://postgres@127.0.0.1:5432/")
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            for statement in APP_SCHEMA.split(";"):
                if statement.strip():
                    conn.exec_driver_sql(statement)
        config = write_config(tmp_path, org, None)
        text = config.read_text()
        app_url = f"sqlite:///{tmp_path}/app.db"
        assert text.count(app_url) == 1
        config.write_text(text.replace(app_url, heroku) + f"run:\n  ledger: {heroku}\n")

        validated = lockstep(capsys, "validate", "-c", str(config))
        assert validated.code == 0, validated
        planned = lockstep(capsys, "plan", "-c", str(config))
        assert planned.code == 0, planned

        with engine.connect() as conn:
            modes = conn.exec_driver_sql("SELECT mode, status FROM ls_runs").all()
        assert [tuple(r) for r in modes] == [("plan", "done")]
        assert not (tmp_path / ".lockstep").exists()  # the ledger is in PostgreSQL
    finally:
        engine.dispose()
