"""The Bayeux engine over a list of events (a second implementation of its
``EventSource`` seam), without sockets or SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from lockstep_emulator.cdc.bayeux import Auth, BayeuxServer
from lockstep_emulator.cdc.channels import Channels
from lockstep_emulator.cdc.clients import ClientRegistry
from lockstep_emulator.cdc.events import ChangeEvent
from lockstep_emulator.cdc.table import Bounds
from lockstep_emulator.cdc.wakeup import Wakeup
from lockstep_emulator.schema.build import build_schema
from lockstep_emulator.schema.builtins import BUILTINS

T = TypeVar("T")
USER = Auth("005000000000001AAA")
SCHEMA = build_schema(BUILTINS)


class ListSource:
    """Events kept in a list; ``floor`` plays retention."""

    def __init__(self) -> None:
        self.events: list[ChangeEvent] = []
        self.floor = 0

    def add(self, replay_id: int, entity: str = "Account", kind: str = "CREATE") -> None:
        header = {"entityName": entity, "recordIds": [f"id{replay_id}"], "changeType": kind}
        self.events.append(ChangeEvent(replay_id, "schema", header, {}))

    def after(self, replay_id: int, entity: str | None, limit: int) -> list[ChangeEvent]:
        found = [
            e
            for e in self.events
            if e.replay_id > max(replay_id, self.floor) and entity in (None, e.entity)
        ]
        return found[:limit]

    def bounds(self) -> Bounds:
        return Bounds(self.floor, max([self.floor, *(e.replay_id for e in self.events)]))


class Rig:
    """A server, its source and its wake-up, and a fake monotonic clock."""

    def __init__(self, poll_seconds: float = 5.0) -> None:
        self.source = ListSource()
        self.wakeup = Wakeup()
        self.time = 0.0
        self.pruned = 0

        async def prune() -> None:
            self.pruned += 1

        self.server = BayeuxServer(
            self.source,
            Channels.of(SCHEMA),
            self.wakeup,
            prune,
            poll_seconds=poll_seconds,
            clients=ClientRegistry(timeout=40.0),
            now=lambda: self.time,
        )

    async def send(self, *messages: dict[str, Any], auth: Auth = USER) -> list[dict[str, Any]]:
        return await self.server.handle(list(messages), auth)

    async def handshake(self) -> str:
        reply = await self.send({"channel": "/meta/handshake", "id": "1", "version": "1.0"})
        client_id = reply[0]["clientId"]
        first = await self.connect(client_id)
        assert first[-1]["successful"]
        return str(client_id)

    async def connect(self, client_id: str) -> list[dict[str, Any]]:
        message = {"channel": "/meta/connect", "clientId": client_id, "id": "c"}
        return await self.send({**message, "connectionType": "long-polling"})

    async def subscribe(self, client_id: str, channel: str, replay: Any = None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "channel": "/meta/subscribe",
            "clientId": client_id,
            "subscription": channel,
            "id": "s",
        }
        if replay is not None:
            message["ext"] = {"replay": {channel: replay}}
        return (await self.send(message))[0]


def run(test: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(test(), 10))


def replay_ids(replies: list[dict[str, Any]]) -> list[int]:
    return [r["data"]["event"]["replayId"] for r in replies if "data" in r]


def test_handshake_gives_a_client_and_says_replay_is_supported() -> None:
    async def go() -> None:
        rig = Rig()
        message = {"channel": "/meta/handshake", "id": "1", "version": "1.0"}
        (reply,) = await rig.send({**message, "supportedConnectionTypes": ["long-polling"]})
        assert reply["successful"] and reply["id"] == "1" and len(reply["clientId"]) == 26
        assert reply["ext"] == {"replay": True, "payload.format": True}
        assert reply["supportedConnectionTypes"] == ["long-polling"]
        assert reply["advice"]["timeout"] == 5000

    run(go)


def test_handshake_without_a_session_is_denied_with_the_reason() -> None:
    async def go() -> None:
        rig = Rig()
        message = {"channel": "/meta/handshake", "version": "1.0"}
        (reply,) = await rig.send(message, auth=Auth(None))
        assert reply["successful"] is False
        assert reply["error"] == "403::Handshake denied"
        assert reply["ext"] == {"sfdc": {"failureReason": "401::Authentication invalid"}}
        assert reply["advice"] == {"reconnect": "none"}

    run(go)


def test_handshake_for_websocket_only_is_refused() -> None:
    async def go() -> None:
        rig = Rig()
        message = {"channel": "/meta/handshake", "supportedConnectionTypes": ["websocket"]}
        (reply,) = await rig.send(message)
        assert reply["successful"] is False
        assert reply["supportedConnectionTypes"] == ["long-polling"]

    run(go)


def test_unknown_client_is_told_to_handshake_again() -> None:
    async def go() -> None:
        (reply,) = await Rig().connect("nosuchclient")
        assert reply["error"] == "403::Unknown client"
        assert reply["advice"]["reconnect"] == "handshake"

    run(go)


def test_every_message_needs_a_live_session() -> None:
    async def go() -> None:
        rig = Rig()
        client_id = await rig.handshake()
        message = {"channel": "/meta/connect", "clientId": client_id}
        (reply,) = await rig.send(message, auth=Auth(None))
        assert reply["error"] == "401::Authentication invalid"
        assert reply["advice"] == {"reconnect": "none"}

    run(go)


def test_a_held_connect_returns_as_soon_as_an_event_commits() -> None:
    async def go() -> None:
        rig = Rig()
        client_id = await rig.handshake()
        assert (await rig.subscribe(client_id, "/data/ChangeEvents"))["successful"]
        poll = asyncio.create_task(rig.connect(client_id))
        await asyncio.sleep(0.05)
        assert not poll.done()
        rig.source.add(3)
        rig.wakeup.notify()
        replies = await poll
        assert replay_ids(replies) == [3]
        assert replies[0]["channel"] == "/data/ChangeEvents"
        assert replies[-1]["channel"] == "/meta/connect" and replies[-1]["successful"]

    run(go)


def test_a_held_connect_times_out_empty() -> None:
    async def go() -> None:
        rig = Rig(poll_seconds=0.05)
        client_id = await rig.handshake()
        replies = await rig.connect(client_id)
        assert replay_ids(replies) == [] and replies[-1]["successful"]

    run(go)


def test_replay_options_minus_one_minus_two_and_an_id() -> None:
    async def go() -> None:
        rig = Rig(poll_seconds=0.01)
        for replay_id in (2, 4, 6):
            rig.source.add(replay_id)
        new_only, everything, after_four = [await rig.handshake() for _ in range(3)]
        assert (await rig.subscribe(new_only, "/data/ChangeEvents", -1))["successful"]
        assert (await rig.subscribe(everything, "/data/ChangeEvents", -2))["successful"]
        assert (await rig.subscribe(after_four, "/data/ChangeEvents", "4"))["successful"]
        assert replay_ids(await rig.connect(new_only)) == []
        assert replay_ids(await rig.connect(everything)) == [2, 4, 6]
        assert replay_ids(await rig.connect(after_four)) == [6]
        assert rig.pruned == 3

    run(go)


@pytest.mark.parametrize("replay", [2, 3, 99, "soon", True])
def test_an_expired_or_unknown_replay_id_is_refused(replay: Any) -> None:
    async def go() -> None:
        rig = Rig()
        for replay_id in (2, 4, 6):
            rig.source.add(replay_id)
        rig.source.floor = 3
        client_id = await rig.handshake()
        reply = await rig.subscribe(client_id, "/data/ChangeEvents", replay)
        assert reply["successful"] is False and reply["subscription"] == "/data/ChangeEvents"
        shown = "True" if replay is True else replay
        assert reply["error"] == (
            f"400::The replayId {{{shown}}} you provided was invalid. Please provide a valid "
            "ID, -2 to replay all events, or -1 to replay only new events."
        )

    run(go)


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("/data/NopeChangeEvent", "does not exist {/data/NopeChangeEvent}"),
        ("data/ChangeEvents", "must start with a leading '/'"),
        ("", "Channel name not specified"),
    ],
)
def test_bad_channels_are_refused(channel: str, error: str) -> None:
    async def go() -> None:
        rig = Rig()
        reply = await rig.subscribe(await rig.handshake(), channel)
        assert reply["successful"] is False and error in reply["error"]

    run(go)


def test_entity_channels_filter_and_each_subscription_gets_its_copy() -> None:
    async def go() -> None:
        rig = Rig(poll_seconds=0.01)
        client_id = await rig.handshake()
        await rig.subscribe(client_id, "/data/ContactChangeEvent")
        await rig.subscribe(client_id, "/data/ChangeEvents")
        rig.source.add(2, "Account")
        rig.source.add(4, "Contact")
        replies = await rig.connect(client_id)
        channels = [(r["channel"], r["data"]["event"]["replayId"]) for r in replies if "data" in r]
        assert sorted(channels) == [
            ("/data/ChangeEvents", 2),
            ("/data/ChangeEvents", 4),
            ("/data/ContactChangeEvent", 4),
        ]
        assert replay_ids(await rig.connect(client_id)) == []

    run(go)


def test_unsubscribe_stops_delivery() -> None:
    async def go() -> None:
        rig = Rig(poll_seconds=0.01)
        client_id = await rig.handshake()
        await rig.subscribe(client_id, "/data/ChangeEvents")
        message = {"channel": "/meta/unsubscribe", "clientId": client_id}
        (reply,) = await rig.send({**message, "subscription": "/data/ChangeEvents"})
        assert reply["successful"]
        rig.source.add(2)
        assert replay_ids(await rig.connect(client_id)) == []

    run(go)


def test_disconnect_ends_a_held_connect_and_forgets_the_client() -> None:
    async def go() -> None:
        rig = Rig()
        client_id = await rig.handshake()
        poll = asyncio.create_task(rig.connect(client_id))
        await asyncio.sleep(0.02)
        (reply,) = await rig.send({"channel": "/meta/disconnect", "clientId": client_id})
        assert reply["successful"]
        (ended,) = await poll
        assert ended["error"] == "403::Unknown client"
        assert len(rig.server.clients) == 0

    run(go)


def test_a_new_connect_releases_the_one_held_before() -> None:
    async def go() -> None:
        rig = Rig()
        client_id = await rig.handshake()
        first = asyncio.create_task(rig.connect(client_id))
        await asyncio.sleep(0.02)
        second = asyncio.create_task(rig.connect(client_id))
        assert (await first)[-1]["successful"]
        await asyncio.sleep(0.02)
        assert not second.done()
        rig.wakeup.close()
        assert (await second)[-1]["successful"]

    run(go)


def test_closing_ends_every_held_connect_at_once() -> None:
    async def go() -> None:
        rig = Rig(poll_seconds=60)
        polls = [asyncio.create_task(rig.connect(await rig.handshake())) for _ in range(3)]
        await asyncio.sleep(0.02)
        rig.wakeup.close()
        done = await asyncio.gather(*polls)
        assert all(replies[-1]["successful"] for replies in done)

    run(go)


def test_a_quiet_client_expires() -> None:
    async def go() -> None:
        rig = Rig()
        client_id = await rig.handshake()
        rig.time += 41
        (reply,) = await rig.connect(client_id)
        assert reply["error"] == "403::Unknown client"

    run(go)


def test_publishing_and_malformed_messages_are_refused() -> None:
    async def go() -> None:
        rig = Rig()
        client_id = await rig.handshake()
        publish, malformed = await rig.send(
            {"channel": "/data/ChangeEvents", "clientId": client_id, "data": {}}, {"id": 1}
        )
        assert publish["error"] == "403::Publish denied"
        assert malformed["error"] == "400::Invalid message"

    run(go)
