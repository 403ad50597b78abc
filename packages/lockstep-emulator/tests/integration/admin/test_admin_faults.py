"""Each fault kind, as real clients observe it over HTTPS: simple-salesforce's exceptions,
requests' timeouts and connection errors; and rules that are deterministic, countable
and validated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from lockstep_emulator.admin_client import AdminClient, AdminRefused
from lockstep_emulator.client import EmulatorInfo, EmulatorProcess, connect, emulator_session
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

Login = Callable[[], Salesforce]


@pytest.fixture(autouse=True)
def no_faults_after(admin: AdminClient) -> Iterator[None]:
    yield
    admin.clear_faults()


def ext(sf: Salesforce, value: str) -> list[str]:
    rows = sf.query(f"SELECT Id FROM Account WHERE External_Id__c = '{value}'")["records"]
    return [r["Id"] for r in rows]


def test_http_error_reaches_the_client_as_its_status(admin: AdminClient, login: Login) -> None:
    sf = login()
    admin.set_faults(
        [{"kind": "http_error", "status": 500, "error_code": "SERVER_UNAVAILABLE",
          "message": "down for maintenance", "match": {"method": "GET", "path": "/limits"}}]
    )  # fmt: skip
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.limits()
    assert caught.value.status == 500
    assert caught.value.content == [
        {"errorCode": "SERVER_UNAVAILABLE", "message": "down for maintenance"}
    ]
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] >= 0  # other routes unaffected


def test_latency_delays_the_answer(admin: AdminClient, login: Login) -> None:
    sf = login()
    admin.set_faults([{"kind": "latency", "ms": 400, "match": {"path": "/limits"}}])
    started = time.monotonic()
    assert "DailyApiRequests" in sf.limits()
    assert time.monotonic() - started >= 0.4


def test_hang_holds_the_request_until_the_client_gives_up_while_others_are_served(
    admin: AdminClient, admin_emulator: EmulatorInfo, login: Login
) -> None:
    sf = login()
    admin.set_faults([{"kind": "hang", "match": {"path": "/limits"}}])
    http = requests.Session()
    http.verify, http.trust_env = admin_emulator.ca_cert, False
    url = f"{admin_emulator.instance_url}/services/data/v59.0/limits/"
    outcome: list[BaseException] = []

    def hang() -> None:
        try:
            http.get(url, headers={"Authorization": f"Bearer {sf.session_id}"}, timeout=1.5)
        except requests.exceptions.ReadTimeout as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=hang)
    started = time.monotonic()
    waiting.start()
    time.sleep(0.2)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] >= 0  # served meanwhile
    assert time.monotonic() - started < 1.4
    waiting.join()
    assert len(outcome) == 1 and time.monotonic() - started >= 1.5


def test_drop_after_commit_commits_then_closes_the_connection(
    admin: AdminClient, login: Login
) -> None:
    sf = login()
    admin.set_faults(
        [
            {
                "kind": "drop_after_commit",
                "count": 1,
                "match": {"method": "POST", "object": "Account"},
            }
        ]
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Account.create({"Name": "Lost ack", "External_Id__c": "drop-1"})
    assert len(ext(login(), "drop-1")) == 1  # the write is there all the same


def test_drop_after_commit_on_a_raw_connection_sends_not_one_byte(
    admin: AdminClient, admin_emulator: EmulatorInfo, login: Login
) -> None:
    import socket
    import ssl
    from urllib.parse import urlsplit

    sf = login()
    admin.set_faults([{"kind": "drop_after_commit", "match": {"path": "/limits"}}])
    where = urlsplit(admin_emulator.instance_url)
    context = ssl.create_default_context(cafile=admin_emulator.ca_cert)
    with (
        socket.create_connection((where.hostname, where.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=where.hostname) as tls,
    ):
        tls.sendall(
            f"GET /services/data/v59.0/limits/ HTTP/1.1\r\nHost: {where.netloc}\r\n"
            f"Authorization: Bearer {sf.session_id}\r\n\r\n".encode()
        )
        received = b""
        try:
            while chunk := tls.recv(4096):
                received += chunk
        except (ConnectionError, ssl.SSLError):
            pass
    assert received == b""


def test_expire_session_ends_the_token_first(
    admin: AdminClient, admin_emulator: EmulatorInfo, login: Login
) -> None:
    sf = login()
    admin.set_faults([{"kind": "expire_session", "count": 1, "match": {"path": "/query"}}])
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert caught.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    with pytest.raises(SalesforceExpiredSession):
        sf.limits()  # the token is gone for good, not just for one request
    admin.set_faults([{"kind": "expire_session", "count": 1, "match": {"path": "/query"}}])
    by_password = Salesforce(
        username=admin_emulator.username,
        password=admin_emulator.password,
        security_token=admin_emulator.security_token,
        session=emulator_session(admin_emulator.login_url, admin_emulator.ca_cert),
    )
    assert by_password.query("SELECT COUNT() FROM Account")["totalSize"] >= 0  # logs in again
    assert admin.faults()["rules"][0]["fired"] == 1


def test_unable_to_lock_row_names_the_record(admin: AdminClient, login: Login) -> None:
    sf = login()
    rid = sf.Account.create({"Name": "Locked"})["id"]
    admin.set_faults([{"kind": "UNABLE_TO_LOCK_ROW", "match": {"method": "PATCH"}}])
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.update(rid, {"Name": "Unlocked"})
    assert caught.value.content == [
        {
            "errorCode": "UNABLE_TO_LOCK_ROW",
            "message": f"unable to obtain exclusive access to this record or 1 records: {rid}",
        }
    ]
    assert sf.Account.get(rid)["Name"] == "Locked"


def test_request_limit_exceeded_is_a_403(admin: AdminClient, login: Login) -> None:
    sf = login()
    admin.set_faults([{"kind": "request_limit_exceeded"}])
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.Account.create({"Name": "Over quota"})
    assert caught.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_query_timeout_matches_the_queried_object(admin: AdminClient, login: Login) -> None:
    sf = login()
    admin.set_faults([{"kind": "query_timeout", "match": {"object": "contact"}}])
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Contact")
    assert caught.value.content == [
        {"errorCode": "QUERY_TIMEOUT", "message": "Your query request was running for too long."}
    ]
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] >= 0


def wait_for_end(sf: Salesforce, path: str) -> dict[str, object]:
    for _ in range(200):
        info = sf.restful(path)
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return dict(info)
        time.sleep(0.02)
    raise AssertionError(f"{path} did not end")


def test_job_failed_fails_the_query_job_the_request_starts(
    admin: AdminClient, login: Login
) -> None:
    sf = login()
    admin.set_faults(
        [{"kind": "job_failed", "message": "QUERY_TIMEOUT : too long", "count": 1,
          "match": {"method": "POST", "path": "/jobs/query$"}}]
    )  # fmt: skip
    soql = '{"operation": "query", "query": "SELECT Id FROM Account"}'
    created = sf.restful("jobs/query", method="POST", data=soql)
    assert created["state"] == "UploadComplete"
    info = wait_for_end(sf, f"jobs/query/{created['id']}")
    assert (info["state"], info["errorMessage"]) == ("Failed", "QUERY_TIMEOUT : too long")
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.restful(f"jobs/query/{created['id']}/results")
    assert caught.value.status == 409  # INVALIDJOBSTATE: no results from a failed job
    again = sf.restful("jobs/query", method="POST", data=soql)  # the count is used up
    assert wait_for_end(sf, f"jobs/query/{again['id']}")["state"] == "JobComplete"


def test_job_failed_fails_the_ingest_job_being_closed(admin: AdminClient, login: Login) -> None:
    sf = login()
    admin.set_faults([{"kind": "job_failed", "match": {"method": "PATCH", "path": "/ingest/"}}])
    spec = '{"object": "Account", "operation": "insert", "lineEnding": "LF"}'
    job = sf.restful("jobs/ingest", method="POST", data=spec)
    upload = sf.session.put(
        f"{sf.base_url}jobs/ingest/{job['id']}/batches",
        data=b"Name\nNever written\n",
        headers={**sf.headers, "Content-Type": "text/csv"},
    )
    assert upload.status_code == 201
    sf.restful(f"jobs/ingest/{job['id']}", method="PATCH", data='{"state": "UploadComplete"}')
    info = wait_for_end(sf, f"jobs/ingest/{job['id']}")
    assert info["state"] == "Failed"
    assert info["errorMessage"] == "InternalServerError : An unexpected error occurred."
    admin.clear_faults()
    assert sf.query("SELECT Id FROM Account WHERE Name = 'Never written'")["totalSize"] == 0


def test_object_rules_see_the_records_of_a_collection(admin: AdminClient, login: Login) -> None:
    sf = login()
    admin.set_faults([{"kind": "http_error", "status": 503, "match": {"object": "Contact"}}])

    def collection(kind: str, body: dict[str, str]) -> object:
        records = [{"attributes": {"type": kind}, **body}]
        return sf.restful("composite/sobjects", method="POST", json={"records": records})

    with pytest.raises(SalesforceGeneralError):
        collection("Contact", {"LastName": "Faulted"})
    assert collection("Account", {"Name": "Not faulted"})  # the body read is passed on
    job = {"object": "Contact", "operation": "insert", "lineEnding": "LF"}
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.restful("jobs/ingest", method="POST", json=job)  # a Bulk 2.0 job's object
    assert caught.value.status == 503


def test_a_seed_makes_the_probability_deterministic(admin: AdminClient, login: Login) -> None:
    sf = login()
    rule = {"kind": "http_error", "status": 503, "probability": 0.5, "match": {"path": "/limits"}}

    def pattern() -> list[bool]:
        admin.set_faults([rule], seed=11)
        failed = []
        for _ in range(16):
            try:
                sf.limits()
                failed.append(False)
            except SalesforceGeneralError:
                failed.append(True)
        return failed

    first = pattern()
    assert pattern() == first
    assert 2 <= sum(first) <= 14
    listing = admin.faults()
    assert listing["seed"] == 11
    assert (listing["rules"][0]["matched"], listing["rules"][0]["fired"]) == (16, sum(first))


def test_a_count_is_used_up(admin: AdminClient, login: Login) -> None:
    sf = login()
    admin.set_faults(
        [{"kind": "http_error", "status": 502, "count": 2, "match": {"path": "/limits"}}]
    )
    outcomes = []
    for _ in range(4):
        try:
            sf.limits()
            outcomes.append("ok")
        except SalesforceGeneralError:
            outcomes.append("502")
    assert outcomes == ["502", "502", "ok", "ok"]
    rule = admin.faults()["rules"][0]
    assert (rule["matched"], rule["fired"]) == (4, 2)


def test_a_bad_rule_is_a_400_naming_the_field(
    admin: AdminClient, admin_emulator: EmulatorInfo, login: Login
) -> None:
    with pytest.raises(AdminRefused) as caught:
        admin.set_faults([{"kind": "latency", "ms": 5}, {"kind": "http_error", "status": 99}])
    assert caught.value.status == 400
    assert caught.value.message == (
        "INVALID_FIELD: rules[1].status: Input should be greater than or equal to 400"
    )
    http = requests.Session()
    http.verify, http.trust_env = admin_emulator.ca_cert, False
    reply = http.put(
        f"{admin_emulator.instance_url}/_emulator/faults",
        data=b"[{",
        headers={"Authorization": f"Bearer {login().session_id}"},
    )
    assert reply.status_code == 400
    [error] = reply.json()
    assert error["errorCode"] == "JSON_PARSER_ERROR" and error["fields"] == []
    assert admin.faults() == {"seed": None, "rules": []}  # nothing was installed


def test_admin_calls_are_never_faulted_and_need_the_token(
    admin: AdminClient, admin_emulator: EmulatorInfo
) -> None:
    admin.set_faults([{"kind": "http_error", "status": 500, "match": {"path": ".*"}}])
    assert admin.faults()["rules"][0]["fired"] == 0
    anonymous = requests.Session()
    anonymous.verify, anonymous.trust_env = admin_emulator.ca_cert, False
    reply = anonymous.get(f"{admin_emulator.instance_url}/_emulator/faults")
    assert reply.status_code == 401
    assert reply.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_a_hanging_request_does_not_hold_up_a_stop(fresh_emulator: EmulatorProcess) -> None:
    info = fresh_emulator.info
    AdminClient.for_info(info).set_faults([{"kind": "hang", "match": {"path": "/limits"}}])
    http = requests.Session()
    http.verify, http.trust_env = info.ca_cert, False
    token = connect(info, http).session_id
    outcome: list[BaseException] = []

    def hang() -> None:
        try:
            http.get(
                f"{info.instance_url}/services/data/v59.0/limits/",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
        except requests.exceptions.ConnectionError as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=hang)
    waiting.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert fresh_emulator.stop() == 0
    waiting.join(5)
    assert time.monotonic() - started < 3
    assert len(outcome) == 1  # the client sees the connection go, not an answer
