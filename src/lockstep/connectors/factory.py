"""Build the connector for a configured system."""

from __future__ import annotations

from lockstep.config.systems import SalesforceSystem, SqlSystem
from lockstep.connectors.base import Connector


def open_connector(name: str, system: SalesforceSystem | SqlSystem) -> Connector:
    """The connector for ``system``; nothing is contacted until it is used."""
    if isinstance(system, SalesforceSystem):
        from lockstep.connectors.salesforce import SalesforceConnector

        return SalesforceConnector(name, system)
    from lockstep.connectors.sql import SqlConnector

    return SqlConnector(name, system)
