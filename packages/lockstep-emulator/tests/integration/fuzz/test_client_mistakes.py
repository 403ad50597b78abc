"""Whatever a client sends, the emulator answers in Salesforce's shapes and never
with a 500: random methods, paths and bodies through the real ASGI app, in-process
(the same app the server runs; no sockets, so hypothesis can try many inputs)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lockstep_emulator.api.app import build_app
from lockstep_emulator.api.sessions import issue
from lockstep_emulator.org import Org, OrgSettings

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "Name",
        "LastName",
        "AccountId",
        "Email",
        "NumberOfEmployees",
        "Birthdate",
        "Status",
        "CreatedDate",
        "Id",
        "Nope__c",
        "attributes",
        "DoNotCall",
        "AnnualRevenue",
        "ParentId",
    ]
)
record_bodies = st.dictionaries(field_names, json_values, max_size=6)
objects = st.sampled_from(["Account", "Contact", "Case", "Organization", "Nope__c", "account"])
segments = st.text(alphabet="abcXYZ019_-.%", min_size=0, max_size=18)
paths = st.one_of(
    st.builds(lambda o: f"sobjects/{o}", objects),
    st.builds(lambda o, s: f"sobjects/{o}/{s}", objects, segments),
    st.builds(lambda o, f, s: f"sobjects/{o}/{f}/{s}", objects, field_names, segments),
    st.just("composite/sobjects"),
    st.builds(lambda o, f: f"composite/sobjects/{o}/{f}", objects, field_names),
    st.just("composite"),
    st.just("composite/batch"),
    st.builds(lambda s: f"query/{s}", segments),
    st.just("limits/recordCount"),
    segments,
)
methods = st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE"])


def composite_bodies() -> st.SearchStrategy[Any]:
    sub = st.fixed_dictionaries(
        {
            "method": methods,
            "url": st.builds(lambda p: f"/services/data/v59.0/{p}", paths),
            "referenceId": st.text(alphabet="abc1_", max_size=5),
            "body": record_bodies,
        }
    )
    records = st.lists(
        st.builds(lambda o, b: {**b, "attributes": {"type": o}}, objects, record_bodies),
        max_size=4,
    )
    return st.one_of(
        st.fixed_dictionaries(
            {"compositeRequest": st.lists(sub, max_size=4), "allOrNone": st.booleans()}
        ),
        st.fixed_dictionaries({"records": records, "allOrNone": st.booleans()}),
        st.fixed_dictionaries({"batchRequests": st.lists(sub, max_size=3)}),
        json_values,
    )


bodies = st.one_of(
    record_bodies.map(orjson.dumps),
    composite_bodies().map(orjson.dumps),
    st.binary(max_size=40),
    st.just(b""),
    st.sampled_from(
        [
            b'{"Name": "big", "NumberOfEmployees": 123456789012345678901234567890}',
            b'{"Name": "deep", "Description": ' + b"[" * 600 + b"]" * 600 + b"}",
            b'{"records": [{"attributes": {"type": "Account"}, "Name": 1e400}]}',
            b'{"Name": "\\ud800"}',
        ]
    ),
)


class InProcess:
    """An httpx client on the app's ASGI interface, driven from one event loop."""

    def __init__(self, app: Any, token: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://127.0.0.1:8443"
        )
        self.token = token

    def request(self, method: str, url: str, body: bytes) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        return self.loop.run_until_complete(
            self.http.request(method, url, content=body, headers=headers)
        )

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def client() -> Iterator[InProcess]:
    org = Org(OrgSettings(), None)
    in_process = InProcess(build_app(org), issue(org).token)
    yield in_process
    in_process.close()
    org.close()


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(method="GET", path="query/%0a0", body=b"", version="v59.0")
@given(
    method=methods, path=paths, body=bodies, version=st.sampled_from(["v59.0", "v45.0", "v31.0"])
)
def test_no_client_input_produces_a_500(
    client: InProcess, method: str, path: str, body: bytes, version: str
) -> None:
    reply = client.request(method, f"/services/data/{version}/{path}", body)
    assert reply.status_code < 500, reply.text
    assert "Traceback" not in reply.text
    if reply.status_code >= 400:
        payload = reply.json()
        assert isinstance(payload, list) and payload, payload
        assert all("errorCode" in e and "message" in e for e in payload), payload
