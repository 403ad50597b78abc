"""CometD at /cometd/VER over HTTPS, message by message with a raw Bayeux client:
every DML path emits, long polls wake on commit, errors are Salesforce's."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import requests
from cdc_helpers import Bayeux, InProcess, header, summary
from lockstep_emulator.client import EmulatorInfo, connect, start_emulator
from simple_salesforce import Salesforce

NewBayeux = Callable[[], Bayeux]


def test_rest_composite_and_collections_writes_all_arrive(
    bayeux: NewBayeux, sf: Salesforce
) -> None:
    client = bayeux().open("/data/ChangeEvents")
    rest = sf.Account.create({"Name": "REST", "AccountNumber": "A1"})["id"]
    sf.Account.update(rest, {"Name": "REST 2", "AccountNumber": None})
    sf.Account.delete(rest)
    records = [{"attributes": {"type": "Contact"}, "LastName": f"C{i}"} for i in range(2)]
    made = sf.restful("composite/sobjects", method="POST", json={"records": records})
    contacts = tuple(r["id"] for r in made)
    composite = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Account",
                "referenceId": "acc",
                "body": {"Name": "Composite"},
            },
            {
                "method": "PATCH",
                "url": "/services/data/v59.0/sobjects/Account/@{acc.id}",
                "referenceId": "upd",
                "body": {"Name": "Composite 2"},
            },
        ],
    }
    result = sf.restful("composite", method="POST", json=composite)
    composed = result["compositeResponse"][0]["body"]["id"]
    events = client.events(7)
    assert summary(events) == [
        ("Account", "CREATE", (rest,)),
        ("Account", "UPDATE", (rest,)),
        ("Account", "DELETE", (rest,)),
        ("Contact", "CREATE", contacts[:1]),
        ("Contact", "CREATE", contacts[1:]),
        ("Account", "CREATE", (composed,)),
        ("Account", "UPDATE", (composed,)),
    ]
    update = events[1]["data"]["payload"]
    assert update["Name"] == "REST 2" and update["AccountNumber"] is None
    assert header(events[1])["nulledFields"] == ["AccountNumber"]
    collection_keys = {header(m)["transactionKey"] for m in events[3:5]}
    composite_keys = {header(m)["transactionKey"] for m in events[5:7]}
    assert len(collection_keys) == 1 and len(composite_keys) == 1
    assert collection_keys != composite_keys
    assert [header(m)["sequenceNumber"] for m in events[5:7]] == [1, 2]


def test_custom_object_channel_and_cascade_delete(bayeux: NewBayeux, sf: Salesforce) -> None:
    client = bayeux().open("/data/Usage__ChangeEvent")
    contract = sf.Contract__c.create({"Name": "K"})["id"]
    usage = sf.Usage__c.create({"Contract__c": contract, "Units__c": 3})["id"]
    sf.Contract__c.delete(contract)
    events = client.events(2)
    assert summary(events) == [
        ("Usage__c", "CREATE", (usage,)),
        ("Usage__c", "DELETE", (usage,)),
    ]
    assert {m["channel"] for m in events} == {"/data/Usage__ChangeEvent"}
    assert events[0]["data"]["payload"]["Units__c"] == 3.0


def test_a_held_connect_returns_when_a_write_commits(bayeux: NewBayeux, sf: Salesforce) -> None:
    client = bayeux().open("/data/AccountChangeEvent")
    name = uuid.uuid4().hex
    writer = threading.Timer(0.5, lambda: sf.Account.create({"Name": name}))
    started = time.monotonic()
    writer.start()
    replies = client.connect()
    writer.join()
    assert 0.4 < time.monotonic() - started < 5
    (event,) = [m for m in replies if "data" in m]
    assert event["data"]["payload"]["Name"] == name


def test_several_clients_each_get_every_event(bayeux: NewBayeux, sf: Salesforce) -> None:
    clients = [bayeux().open("/data/ContactChangeEvent") for _ in range(3)]
    rid = sf.Contact.create({"LastName": "Shared"})["id"]
    for client in clients:
        assert summary(client.events(1)) == [("Contact", "CREATE", (rid,))]


def test_replay_from_a_stored_id_gives_exactly_the_missed_events(
    bayeux: NewBayeux, sf: Salesforce
) -> None:
    first = bayeux().open("/data/AccountChangeEvent")
    seen = sf.Account.create({"Name": "seen"})["id"]
    (last,) = first.events(1)
    stored = last["data"]["event"]["replayId"]
    first.send({"channel": "/meta/disconnect"})
    missed = [sf.Account.create({"Name": f"missed {i}"})["id"] for i in range(3)]
    sf.Account.delete(missed[0])
    again = bayeux().open("/data/AccountChangeEvent", replay=stored)
    assert summary(again.events(4)) == [
        ("Account", "CREATE", (missed[0],)),
        ("Account", "CREATE", (missed[1],)),
        ("Account", "CREATE", (missed[2],)),
        ("Account", "DELETE", (missed[0],)),
    ]
    assert seen not in missed
    sentinel = sf.Account.create({"Name": "sentinel"})["id"]
    assert summary(again.events(1)) == [("Account", "CREATE", (sentinel,))]


def test_protocol_errors_are_salesforces(
    bayeux: NewBayeux, emulator: EmulatorInfo, http: requests.Session
) -> None:
    client = bayeux()
    client.token = "00Dbogus!token"
    denied = client.handshake()
    assert denied["error"] == "403::Handshake denied"
    assert denied["ext"]["sfdc"]["failureReason"] == "401::Authentication invalid"
    anonymous = http.post(
        f"{emulator.instance_url}/cometd/59.0", json=[{"channel": "/meta/connect"}]
    )
    assert anonymous.json()[0]["error"] == "401::Request requires authentication"
    client = bayeux()
    client.client_id = "unknown"
    (unknown,) = client.connect()
    assert unknown["error"] == "403::Unknown client"
    assert unknown["advice"]["reconnect"] == "handshake"
    client.handshake()
    missing = client.subscribe("/data/NoSuchChangeEvent")
    assert missing["error"].startswith("400::The channel you requested to subscribe to does not")
    old = http.post(f"{emulator.instance_url}/cometd/20.0", json=[{"channel": "/meta/handshake"}])
    assert old.status_code == 400 and "Unsupported API version" in old.json()[0]["error"]
    bare = http.post(f"{emulator.instance_url}/cometd", json=[{"channel": "/meta/handshake"}])
    assert bare.json()[0]["error"].startswith("400::API version in the URI is mandatory")


def test_gap_injection_over_http(bayeux: NewBayeux, sf: Salesforce, http: requests.Session) -> None:
    client = bayeux().open("/data/AccountChangeEvent")
    url = f"{sf.base_url.split('/services')[0]}/_emulator/cdc/gap"
    auth = {"Authorization": f"Bearer {sf.session_id}"}
    body = {"entity": "account", "changeType": "GAP_UPDATE", "recordIds": ["001000000000001AAA"]}
    made = http.post(url, json=body, headers=auth)
    assert made.status_code == 201 and made.json()["replayId"] > 0
    assert http.post(url, json={"gapNext": 1}, headers=auth).json() == {"gapNext": 1}
    rid = sf.Account.create({"Name": "hidden behind a gap"})["id"]
    events = client.events(2)
    assert summary(events) == [
        ("Account", "GAP_UPDATE", ("001000000000001AAA",)),
        ("Account", "GAP_CREATE", (rid,)),
    ]
    assert set(events[1]["data"]["payload"]) == {"ChangeEventHeader"}
    bad = http.post(url, json={**body, "changeType": "UPDATE"}, headers=auth)
    assert bad.status_code == 400 and bad.json()[0]["fields"] == ["changeType"]
    assert http.post(url, json=body).status_code == 401


def test_the_log_can_be_read_over_http(sf: Salesforce, http: requests.Session) -> None:
    rid = sf.Account.create({"Name": "listed"})["id"]
    base = sf.base_url.split("/services")[0]
    auth = {"Authorization": f"Bearer {sf.session_id}"}
    body = http.get(f"{base}/_emulator/cdc/events?entity=Account&after=0", headers=auth).json()
    assert rid in [header(m)["recordIds"][0] for m in body["events"]]
    assert body["bounds"]["latest"] >= body["events"][-1]["data"]["event"]["replayId"]


def test_expiring_events_makes_a_stored_id_an_error(own_emulator: InProcess) -> None:
    info = own_emulator.info
    with requests.Session() as http:
        http.verify, http.trust_env = info.ca_cert, False
        sf = connect(info, http)
        first = Bayeux(http, info, sf.session_id).open("/data/ChangeEvents")
        sf.Account.create({"Name": "old"})
        stored = first.events(1)[0]["data"]["event"]["replayId"]
        base = info.instance_url
        auth = {"Authorization": f"Bearer {sf.session_id}"}
        expired = http.post(f"{base}/_emulator/cdc/expire", json={}, headers=auth).json()
        assert expired == {"expired": 1, "floor": stored}
        kept = sf.Account.create({"Name": "kept"})["id"]
        late = Bayeux(http, info, sf.session_id)
        late.handshake()
        refused = late.subscribe("/data/ChangeEvents", stored)
        assert refused["successful"] is False
        assert refused["error"].startswith(f"400::The replayId {{{stored}}} you provided was")
        assert late.subscribe("/data/ChangeEvents", -2)["successful"]
        assert summary(late.events(1)) == [("Account", "CREATE", (kept,))]


def test_stopping_the_server_ends_held_connects_at_once() -> None:
    with start_emulator() as process, requests.Session() as http:
        info = process.info
        http.verify, http.trust_env = info.ca_cert, False
        sf = connect(info, http)
        client = Bayeux(http, info, sf.session_id).open("/data/ChangeEvents")
        answered: list[float] = []

        def poll() -> None:
            client.connect()
            answered.append(time.monotonic())

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.3)
        stopping = time.monotonic()
        assert process.stop() == 0
        poller.join(10)
        assert answered and answered[0] - stopping < 2
        assert time.monotonic() - stopping < 3
        assert "Cancel" not in process.stderr_text()


def test_after_a_sandbox_refresh_old_replay_ids_name_nothing(own_emulator: InProcess) -> None:
    info = own_emulator.info
    with requests.Session() as http:
        http.verify, http.trust_env = info.ca_cert, False
        sf = connect(info, http)
        first = Bayeux(http, info, sf.session_id).open("/data/ChangeEvents")
        sf.Account.create({"Name": "before"})
        stored = first.events(1)[0]["data"]["event"]["replayId"]
        auth = {"Authorization": f"Bearer {sf.session_id}"}
        refreshed = http.post(f"{info.instance_url}/_emulator/refresh", json={}, headers=auth)
        assert refreshed.status_code == 200, refreshed.text
        sf = connect(info, http)
        late = Bayeux(http, info, sf.session_id)
        late.handshake()
        assert late.subscribe("/data/ChangeEvents", stored)["successful"] is False
        assert late.subscribe("/data/ChangeEvents", -2)["successful"]
        rid = sf.Account.create({"Name": "after"})["id"]
        assert summary(late.events(1)) == [("Account", "CREATE", (rid,))]


def test_the_admin_clock_moves_events_out_of_retention(own_emulator: InProcess) -> None:
    info = own_emulator.info
    with requests.Session() as http:
        http.verify, http.trust_env = info.ca_cert, False
        sf = connect(info, http)
        first = Bayeux(http, info, sf.session_id).open("/data/ChangeEvents")
        sf.Account.create({"Name": "old"})
        stored = first.events(1)[0]["data"]["event"]["replayId"]
        auth = {"Authorization": f"Bearer {sf.session_id}"}
        moved = http.post(
            f"{info.instance_url}/_emulator/clock", json={"advance_hours": 71}, headers=auth
        )
        assert moved.status_code == 200, moved.text
        sf = connect(info, http)  # the token outlived its two hours
        kept = Bayeux(http, info, sf.session_id)
        kept.handshake()
        assert kept.subscribe("/data/ChangeEvents", stored)["successful"]
        auth = {"Authorization": f"Bearer {sf.session_id}"}
        http.post(f"{info.instance_url}/_emulator/clock", json={"advance_hours": 2}, headers=auth)
        sf = connect(info, http)
        late = Bayeux(http, info, sf.session_id)
        late.handshake()
        refused = late.subscribe("/data/ChangeEvents", stored)
        assert refused["error"].startswith(f"400::The replayId {{{stored}}} you provided was")


def test_bulk_api_writes_emit_too(bayeux: NewBayeux, sf: Salesforce) -> None:
    client = bayeux().open("/data/AccountChangeEvent")
    fast = {"wait": 0.05}  # simple-salesforce sleeps this long before its first poll
    records = [{"Name": f"Bulk {i}"} for i in range(3)]
    (inserted,) = sf.bulk2.Account.insert(records=records, **fast)
    assert inserted["numberRecordsProcessed"] == 3
    created = client.events(3)
    ids = [header(m)["recordIds"][0] for m in created]
    assert [header(m)["changeType"] for m in created] == ["CREATE"] * 3
    assert len({header(m)["transactionKey"] for m in created}) == 1
    sf.bulk2.Account.update(records=[{"Id": rid, "Phone": "1"} for rid in ids], **fast)
    sf.bulk2.Account.delete(records=[{"Id": rid} for rid in ids], **fast)
    later = client.events(6)
    assert sorted(summary(later)) == sorted(
        [("Account", "UPDATE", (rid,)) for rid in ids]
        + [("Account", "DELETE", (rid,)) for rid in ids]
    )
    assert {m["data"]["payload"].get("Phone") for m in later[:3]} == {"1"}
