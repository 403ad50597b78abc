"""Change Data Capture through aiosfstream-ng, a Salesforce streaming client lockstep
did not write: it logs in over OAuth, handshakes, subscribes with its replay
extension and long-polls, exactly as it would against a real org."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
import requests
from aiosfstream_ng import Client, ReplayMarker, ReplayOption
from aiosfstream_ng.exceptions import ServerError
from cdc_helpers import (
    EmulatorAuthenticator,
    InProcess,
    quiet_cancelled_connects,
    summary,
    trusting,
)
from lockstep_emulator.client import EmulatorInfo, connect
from simple_salesforce import Salesforce

T = TypeVar("T")
Markers = dict[str, ReplayMarker]


def run(test: Callable[[], Awaitable[T]]) -> T:
    async def guarded() -> T:
        quiet_cancelled_connects(asyncio.get_running_loop())
        return await asyncio.wait_for(test(), 60)

    return asyncio.run(guarded())


def streaming_client(
    info: EmulatorInfo, replay: Any = ReplayOption.NEW_EVENTS, **options: Any
) -> Client:
    client = Client(EmulatorAuthenticator(info), replay=replay, **options)
    client.ssl = trusting(info)  # the CometD transport's TLS trust (aiocometd's ``ssl``)
    return client


async def receive(client: Client, count: int) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(client.receive(), 20) for _ in range(count)]


async def off_loop(call: Callable[..., T], *args: Any) -> T:
    """simple-salesforce blocks; the streaming client keeps polling meanwhile."""
    return await asyncio.to_thread(call, *args)


def test_creates_updates_and_deletes_arrive(emulator: EmulatorInfo, sf: Salesforce) -> None:
    async def go() -> None:
        async with streaming_client(emulator) as client:
            await client.subscribe("/data/ChangeEvents")
            rid = (await off_loop(sf.Account.create, {"Name": "streamed"}))["id"]
            await off_loop(sf.Account.update, rid, {"Phone": "555"})
            records = [{"attributes": {"type": "Contact"}, "LastName": "Batch"}]
            batch = await off_loop(
                lambda: sf.restful("composite/sobjects", method="POST", json={"records": records})
            )
            contact = batch[0]["id"]
            await off_loop(lambda: sf.restful(f"composite/sobjects?ids={contact}", method="DELETE"))
            await off_loop(sf.Account.delete, rid)
            events = await receive(client, 5)
        assert summary(events) == [
            ("Account", "CREATE", (rid,)),
            ("Account", "UPDATE", (rid,)),
            ("Contact", "CREATE", (contact,)),
            ("Contact", "DELETE", (contact,)),
            ("Account", "DELETE", (rid,)),
        ]
        assert events[0]["data"]["payload"]["Name"] == "streamed"
        assert events[1]["data"]["payload"]["Phone"] == "555"
        assert events[1]["data"]["payload"]["ChangeEventHeader"]["changedFields"] == [
            "Phone",
            "LastModifiedDate",
        ]

    run(go)


def test_replay_from_stored_ids_gives_exactly_the_missed_events(
    emulator: EmulatorInfo, sf: Salesforce
) -> None:
    channel = "/data/AccountChangeEvent"
    markers: Markers = {}

    async def go() -> None:
        async with streaming_client(emulator, replay=markers) as client:
            await client.subscribe(channel)
            await off_loop(sf.Account.create, {"Name": "before the outage"})
            await receive(client, 1)
        stored = markers[channel].replay_id
        missed = [(await off_loop(sf.Account.create, {"Name": f"m{i}"}))["id"] for i in range(3)]
        await off_loop(sf.Account.update, missed[1], {"Name": "m1 again"})
        async with streaming_client(emulator, replay=markers) as client:
            await client.subscribe(channel)
            events = await receive(client, 4)
            sentinel = (await off_loop(sf.Account.create, {"Name": "sentinel"}))["id"]
            (after,) = await receive(client, 1)
        assert events[0]["data"]["event"]["replayId"] > stored
        assert summary(events) == [
            ("Account", "CREATE", (missed[0],)),
            ("Account", "CREATE", (missed[1],)),
            ("Account", "CREATE", (missed[2],)),
            ("Account", "UPDATE", (missed[1],)),
        ]
        assert summary([after]) == [("Account", "CREATE", (sentinel,))]
        assert markers[channel].replay_id == after["data"]["event"]["replayId"]

    run(go)


def test_an_expired_replay_id_is_reported_and_the_client_can_fall_back(
    own_emulator: InProcess,
) -> None:
    info, org = own_emulator.info, own_emulator.org
    channel = "/data/ChangeEvents"
    markers: Markers = {}
    with requests.Session() as http:
        http.verify, http.trust_env = info.ca_cert, False
        sf = connect(info, http)

        async def go() -> None:
            async with streaming_client(info, replay=markers) as client:
                await client.subscribe(channel)
                await off_loop(sf.Account.create, {"Name": "will expire"})
                await receive(client, 1)
            org.clock.advance(timedelta(hours=73))
            fresh = await off_loop(connect, info, http)  # the old session expired too
            kept = (await off_loop(fresh.Account.create, {"Name": "kept"}))["id"]
            async with streaming_client(info, replay=markers) as client:
                with pytest.raises(ServerError) as refused:
                    await client.subscribe(channel)
            assert refused.value.error_code == 400
            stored = markers[channel].replay_id
            assert refused.value.error == (
                f"400::The replayId {{{stored}}} you provided was invalid. Please provide a "
                "valid ID, -2 to replay all events, or -1 to replay only new events."
            )
            fallback = ReplayOption.ALL_EVENTS
            async with streaming_client(info, replay=markers, replay_fallback=fallback) as client:
                await client.subscribe(channel)
                (event,) = await receive(client, 1)
            assert summary([event]) == [("Account", "CREATE", (kept,))]

        run(go)


def test_a_dropped_client_handshakes_again_and_misses_nothing(own_emulator: InProcess) -> None:
    info = own_emulator.info
    channel = "/data/AccountChangeEvent"
    markers: Markers = {}
    with requests.Session() as http:
        http.verify, http.trust_env = info.ca_cert, False
        sf = connect(info, http)
        drop = f"{info.instance_url}/_emulator/cdc/drop-clients"
        auth = {"Authorization": f"Bearer {sf.session_id}"}

        async def go() -> None:
            async with streaming_client(info, replay=markers) as client:
                await client.subscribe(channel)
                first = (await off_loop(sf.Account.create, {"Name": "first"}))["id"]
                await receive(client, 1)
                dropped = await off_loop(lambda: http.post(drop, headers=auth).json())
                assert dropped == {"dropped": 1}
                later = (await off_loop(sf.Account.create, {"Name": "later"}))["id"]
                (event,) = await receive(client, 1)
            assert summary([event]) == [("Account", "CREATE", (later,))]
            assert first != later

        run(go)
