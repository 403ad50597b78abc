"""The systems the connector tests run against, and the *widget* every one of them holds
(``tests.support.widgets``). ``subject`` is the same widget in each system, so one
contract suite runs over all of them:

- ``salesforce``: ``Widget__c`` in the widget org (``WIDGET_ORG``, shared with the
  ``validate`` tests, emptied for each test), through simple-salesforce over HTTPS;
- ``sqlite``, ``postgres``, ``mariadb``: a ``widgets`` table in a fresh database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from lockstep_emulator.client import EmulatorInfo

from lockstep.config.systems import SqlSystem
from lockstep.connectors.base import CaptureSpec, Connector
from tests.support.emulators import OrgSpec
from tests.support.widgets import WIDGET_ORG, create_widgets, sf_system


@pytest.fixture(scope="module")
def org_spec() -> OrgSpec:
    return WIDGET_ORG


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

        info: EmulatorInfo = request.getfixturevalue("org")
        request.getfixturevalue("empty_org")
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
