"""``GET /_emulator/stats`` counts every call a workload makes, by family and route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lockstep_emulator.admin_client import AdminClient
from simple_salesforce import Salesforce

Login = Callable[[], Salesforce]
QUERY = "GET /services/data/v{version}/query"


def delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, int]:
    keys = set(after) | set(before)
    changed = {k: after.get(k, 0) - before.get(k, 0) for k in keys}
    return {k: v for k, v in changed.items() if v}


def test_a_workload_is_counted_call_by_call(admin: AdminClient, login: Login) -> None:
    before = admin.stats()
    sf = login()  # one OAuth call
    sf.query("SELECT Id FROM Account LIMIT 1")
    sf.query("SELECT Id FROM Contact LIMIT 1")
    rid = sf.Account.create({"Name": "Counted"})["id"]
    sf.Account.get(rid)
    records = [{"attributes": {"type": "Account"}, "Name": "In a collection"}]
    sf.restful("composite/sobjects", method="POST", json={"records": records})
    after = admin.stats()

    assert after["total"] - before["total"] == 7  # 6 above, and this GET stats
    assert delta(after["by_family"], before["by_family"]) == {
        "auth": 1,
        "rest": 4,
        "composite": 1,
        "admin": 1,
    }
    assert delta(after["by_route"], before["by_route"]) == {
        "POST /services/oauth2/token": 1,
        QUERY: 2,
        "POST /services/data/v{version}/sobjects/Account": 1,
        "GET /services/data/v{version}/sobjects/Account/{id}": 1,
        "POST /services/data/v{version}/composite/sobjects": 1,
        "GET /_emulator/stats": 1,
    }
    assert set(after["by_family"]) == {
        "rest", "composite", "bulk2", "bulk1", "cometd", "auth", "admin", "other",
    }  # fmt: skip
