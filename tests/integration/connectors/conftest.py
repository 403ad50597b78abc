"""The systems the connector tests run against, and the *widget* every one of them holds.

A widget has a name, an amount (never negative: each system refuses it its own way),
a flag, a date, a timestamp, a unique external key and a category. ``subject`` is the
same widget in each system, so one contract suite runs over all of them:

- ``salesforce``: ``Widget__c`` in an emulator org (``schema.yaml``), through
  simple-salesforce over HTTPS;
- ``sqlite``, ``postgres``, ``mariadb``: a ``widgets`` table in a fresh database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from lockstep_emulator.client import EmulatorInfo, password_grant, start_emulator

from lockstep.config.systems import PasswordAuth, SalesforceSystem, SqlSystem
from lockstep.connectors.base import CaptureSpec, Connector

SCHEMA = Path(__file__).with_name("schema.yaml")


@pytest.fixture(scope="session")
def sf_emulator() -> Iterator[EmulatorInfo]:
    """One emulator org for the connector tests, with ``Widget__c``."""
    with start_emulator("--schema", str(SCHEMA)) as process:
        yield process.info


def sf_system(info: EmulatorInfo, **overrides: Any) -> SalesforceSystem:
    """The config of the emulator org as a ``salesforce`` system (password flow)."""
    settings: dict[str, Any] = {
        "kind": "salesforce",
        "login_url": info.login_url,
        "ca_cert": Path(info.ca_cert),
        "auth": PasswordAuth(
            flow="password",
            client_id=info.client_id,
            client_secret=info.client_secret,  # type: ignore[arg-type]
            username=info.username,
            password=info.password + info.security_token,  # type: ignore[arg-type]
        ),
        **overrides,
    }
    return SalesforceSystem.model_validate(settings)


def admin_post(info: EmulatorInfo, path: str, body: Any = None) -> Any:
    """Call the emulator's admin API (``/_emulator/<path>``) with a fresh token."""
    with requests.Session() as http:
        http.verify, http.trust_env = info.ca_cert, False
        token = http.post(info.token_url, data=password_grant(info), timeout=10).json()
        reply = http.post(
            f"{info.instance_url}/_emulator/{path}",
            json=body,
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=30,
        )
        reply.raise_for_status()
        return reply.json()


def widgets_table(metadata: sa.MetaData) -> sa.Table:
    """The SQL widget table, the same on every dialect."""
    return sa.Table(
        "widgets",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(80)),
        sa.Column("amount", sa.Numeric(16, 2)),
        sa.Column("active", sa.Boolean),
        sa.Column("due", sa.Date),
        sa.Column("seen_at", sa.DateTime(timezone=True)),
        sa.Column("ext", sa.String(40), unique=True),
        sa.Column("category", sa.String(20)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("amount >= 0", name="widgets_amount_not_negative"),
    )


def create_widgets(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        widgets_table(metadata)
        metadata.create_all(engine)
    finally:
        engine.dispose()


@dataclass
class Subject:
    """One system holding widgets, as the contract suite sees it."""

    kind: str
    connector: Connector
    obj: str
    names: Mapping[str, str]  # logical widget field -> native field
    capture: CaptureSpec
    amount_over: Callable[[int], str]  # a native filter: amount > n

    def native(self, **values: Any) -> dict[str, Any]:
        """A row in native names from logical ones."""
        return {self.names[k]: v for k, v in values.items()}

    def fields(self, *logical: str) -> list[str]:
        return [self.names[k] for k in logical]


SF_NAMES = {
    "key": "Id",
    "name": "Name",
    "amount": "Amount__c",
    "active": "Active__c",
    "due": "Due__c",
    "seen": "Seen_At__c",
    "ext": "Ext__c",
    "category": "Category__c",
}
SQL_NAMES = {
    "key": "id",
    "name": "name",
    "amount": "amount",
    "active": "active",
    "due": "due",
    "seen": "seen_at",
    "ext": "ext",
    "category": "category",
}

SUBJECTS = [
    pytest.param("salesforce", id="salesforce"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]


@pytest.fixture(params=SUBJECTS)
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    """The widget system named by the parameter, empty at the start of the test."""
    kind: str = request.param
    if kind == "salesforce":
        from lockstep.connectors.salesforce import SalesforceConnector

        info: EmulatorInfo = request.getfixturevalue("sf_emulator")
        admin_post(info, "reset")
        sf = SalesforceConnector("crm", sf_system(info))
        try:
            yield Subject(
                kind,
                sf,
                "Widget__c",
                SF_NAMES,
                CaptureSpec("poll", "SystemModstamp"),
                lambda n: f"Amount__c > {n}",
            )
        finally:
            sf.close()
        return
    from lockstep.connectors.sql import SqlConnector

    url: str = request.getfixturevalue(f"{kind}_url")
    create_widgets(url)
    sql = SqlConnector("app", SqlSystem(kind="sql", url=url))  # type: ignore[arg-type]
    try:
        yield Subject(
            kind,
            sql,
            "widgets",
            SQL_NAMES,
            CaptureSpec("triggers"),
            lambda n: f"amount > {n}",
        )
    finally:
        sql.close()
