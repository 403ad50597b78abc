"""Versions, limits, the usage header, and malformed requests."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce


def raw(sf: Salesforce, method: str, path: str, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {sf.session_id}", "Content-Type": "application/json"}
    return sf.session.request(method, f"{sf.base_url}{path}", headers=headers, **kw)


def test_version_list(sf: Salesforce, emulator: Any) -> None:
    versions = sf.session.get(f"{emulator.instance_url}/services/data/").json()
    numbers = [v["version"] for v in versions]
    assert numbers[0] == "31.0" and "59.0" in numbers
    assert all(v["url"] == f"/services/data/v{v['version']}" for v in versions)
    assert all(v["label"] for v in versions)


def test_every_version_is_routed(sf: Salesforce, emulator: Any) -> None:
    headers = {"Authorization": f"Bearer {sf.session_id}"}
    for version in ("31.0", "45.0", "59.0", "62.0"):
        reply = sf.session.get(
            f"{emulator.instance_url}/services/data/v{version}/sobjects", headers=headers
        )
        assert reply.status_code == 200
    reply = sf.session.get(f"{emulator.instance_url}/services/data/v20.0/sobjects", headers=headers)
    assert reply.status_code == 404


def test_limits_and_usage_header(sf: Salesforce) -> None:
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] > 0
    assert "DailyBulkApiBatches" in limits
    reply = raw(sf, "GET", "limits/")
    header = reply.headers["Sforce-Limit-Info"]
    assert re.fullmatch(r"api-usage=(\d+)/(\d+)", header)
    used_before = int(header.split("=")[1].split("/")[0])
    after = raw(sf, "GET", "limits/").headers["Sforce-Limit-Info"]
    assert int(after.split("=")[1].split("/")[0]) == used_before + 1
    sf.limits()
    assert sf.api_usage["api-usage"].used == used_before + 2


def test_record_count(sf: Salesforce) -> None:
    sf.Account.create({"Name": "Counted"})
    counts = sf.restful("limits/recordCount", params={"sObjects": "Account,Contact"})
    by_name = {c["name"]: c["count"] for c in counts["sObjects"]}
    assert by_name["Account"] >= 1 and "Contact" in by_name


def test_organization_and_is_sandbox(sf: Salesforce) -> None:
    assert sf.is_sandbox() is False
    org = sf.query("SELECT Id, Name FROM Organization")["records"][0]
    assert org["Id"].startswith("00D")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "sobjects/Account/", b"{not json", 400, "JSON_PARSER_ERROR"),
        ("POST", "sobjects/Account/", b"[1, 2]", 400, "JSON_PARSER_ERROR"),
        ("POST", "sobjects/Account/", b"", 400, "JSON_PARSER_ERROR"),
        ("PUT", "sobjects/Account/", b"{}", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "no/such/resource", None, 404, "NOT_FOUND"),
        ("POST", "composite/sobjects", b'{"records": 5}', 400, "JSON_PARSER_ERROR"),
    ],
)
def test_client_mistakes_get_salesforce_errors(
    sf: Salesforce, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    reply = raw(sf, method, path, data=body)
    assert reply.status_code == status
    payload = reply.json()
    assert isinstance(payload, list) and payload[0]["errorCode"] == code
    assert "Traceback" not in reply.text


def test_resources_by_version_lists_identity_and_only_what_is_served(
    sf: Salesforce, emulator: Any
) -> None:
    """Resources by Version: each resource's URL, and ``identity``, the user's identity URL."""
    headers = {"Authorization": f"Bearer {sf.session_id}"}
    listed = raw(sf, "GET", "").json()
    identity = listed.pop("identity")
    assert re.fullmatch(rf"{re.escape(emulator.instance_url)}/id/00D\w{{15}}/005\w{{15}}", identity)
    who = sf.session.get(identity, headers=headers)
    assert who.status_code == 200 and who.json()["id"] == identity
    assert {"search", "recent"} <= set(listed) and "tooling" not in listed
    for name, path in listed.items():
        served = path + "/ingest" if name == "jobs" else path
        reply = sf.session.get(emulator.instance_url + served, headers=headers)
        assert reply.status_code != 404, name


def test_recent_items_are_none_since_nothing_is_viewed(sf: Salesforce) -> None:
    """Recently Viewed Items lists what the user viewed; API reads are not views."""
    rid = sf.Account.create({"Name": "Seen"})["id"]
    sf.Account.get(rid)
    reply = raw(sf, "GET", "recent/", params={"limit": "5"})
    assert reply.status_code == 200 and reply.json() == []
