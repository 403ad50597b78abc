"""Looks at an emulator org that the tests of several folders take: its records, and
the write calls it counted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simple_salesforce.api import Salesforce

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


def soql(sf: Salesforce, query: str) -> list[dict[str, Any]]:
    """Every record ``query`` finds, without the ``attributes``."""
    records = sf.query_all(query)["records"]
    return [{k: v for k, v in r.items() if k != "attributes"} for r in records]


def count(sf: Salesforce, obj: str, where: str = "") -> int:
    clause = f" WHERE {where}" if where else ""
    return int(sf.query(f"SELECT COUNT() FROM {obj}{clause}")["totalSize"])


def data_writes(stats: Mapping[str, Any]) -> dict[str, int]:
    """The write calls to the org's data among the emulator's counted routes (a SOQL
    query is a GET, a Bulk API 2.0 query job a POST that reads; logins and the admin
    API are not the org's data)."""
    writes = {}
    for route, n in stats["by_route"].items():
        method, _, path = route.partition(" ")
        reads = "/jobs/query" in path
        if method in WRITE_METHODS and path.startswith("/services/data/") and not reads:
            writes[route] = n
    return writes
