"""The Bayeux protocol as Salesforce's CometD endpoint speaks it, over the change log.

A request is a list of messages; the answer is a list of replies, plus the events a
``/meta/connect`` delivers. Meta channels:

- ``/meta/handshake``: a new client id; ``ext`` says replay is supported. A request
  without a valid session is denied (``403::Handshake denied``, the reason in
  ``ext.sfdc.failureReason``), as Salesforce does.
- ``/meta/subscribe``: ``ext.replay`` maps the channel to ``-1`` (new events only, the
  default), ``-2`` (every retained event) or a replay id (the events after it). An id
  that retention removed is ``400::The replayId {N} you provided was invalid…``.
- ``/meta/connect``: a long poll. The first one after a handshake answers at once; later
  ones are held until events commit or ``poll_seconds`` pass.
- ``/meta/unsubscribe`` and ``/meta/disconnect``.

Every other message needs a live session (``401::Authentication invalid``) and a known
client id (``403::Unknown client``, advice: handshake again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lockstep_emulator.cdc.channels import Channels
from lockstep_emulator.cdc.clients import ClientRegistry, CometClient
from lockstep_emulator.cdc.events import ChangeEvent
from lockstep_emulator.cdc.table import Bounds
from lockstep_emulator.cdc.wakeup import Wakeup

POLL_SECONDS = 110.0
BATCH = 500  # events per subscription per connect reply
LONG_POLLING = "long-polling"
HANDSHAKE, CONNECT, SUBSCRIBE = "/meta/handshake", "/meta/connect", "/meta/subscribe"
UNSUBSCRIBE, DISCONNECT = "/meta/unsubscribe", "/meta/disconnect"

Reply = dict[str, Any]


class EventSource(Protocol):
    """Where events come from: the change log (``table.LogReader``), or a test's list."""

    def after(self, replay_id: int, entity: str | None, limit: int) -> list[ChangeEvent]: ...

    def bounds(self) -> Bounds: ...


@dataclass(frozen=True)
class Auth:
    """Who sent a request: a user, or why the session was refused."""

    user_id: str | None
    failure: str = "401::Authentication invalid"


def replay_error(value: object) -> str:
    return (
        f"400::The replayId {{{value}}} you provided was invalid. Please provide a valid ID, "
        f"-2 to replay all events, or -1 to replay only new events."
    )


class BayeuxServer:
    """Answers Bayeux requests for one org."""

    def __init__(
        self,
        reader: EventSource,
        channels: Channels,
        wakeup: Wakeup,
        prune: Callable[[], Awaitable[None]],
        *,
        poll_seconds: float = POLL_SECONDS,
        clients: ClientRegistry | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = reader
        self._channels = channels
        self._wakeup = wakeup
        self._prune = prune
        self._poll_seconds = poll_seconds
        self.clients = clients or ClientRegistry()
        self._now = now

    async def handle(self, messages: Sequence[Any], auth: Auth) -> list[Reply]:
        """The replies to one request's messages; a connect is answered last."""
        self._wakeup.bind()
        now = self._now()
        self.clients.expire(now)
        replies: list[Reply] = []
        connects: list[tuple[dict[str, Any], CometClient]] = []
        for message in messages:
            if not isinstance(message, dict) or not isinstance(message.get("channel"), str):
                replies.append({"successful": False, "error": "400::Invalid message"})
                continue
            if message["channel"] == HANDSHAKE:
                replies.append(self._handshake(message, auth, now))
                continue
            found = self._client(message, auth, now)
            if not isinstance(found, CometClient):
                replies.append(found)
            elif message["channel"] == CONNECT:
                connects.append((message, found))
            else:
                replies.append(await self._meta(message, found))
        for message, client in connects:
            replies.extend(await self._connect(message, client))
        return replies

    # -- meta channels ----------------------------------------------------------------

    def _handshake(self, message: dict[str, Any], auth: Auth, now: float) -> Reply:
        if auth.user_id is None:
            return reply(
                message,
                False,
                error="403::Handshake denied",
                ext={"sfdc": {"failureReason": auth.failure}},
                advice={"reconnect": "none"},
            )
        types = message.get("supportedConnectionTypes")
        if isinstance(types, list) and LONG_POLLING not in types:
            return reply(
                message,
                False,
                error=f"400::Invalid connection type {types}",
                supportedConnectionTypes=[LONG_POLLING],
                advice={"reconnect": "none"},
            )
        client = self.clients.new(auth.user_id, now)
        return reply(
            message,
            True,
            clientId=client.client_id,
            version="1.0",
            minimumVersion="1.0",
            supportedConnectionTypes=[LONG_POLLING],
            advice=self._advice(),
            ext={"replay": True, "payload.format": True},
        )

    def _client(self, message: dict[str, Any], auth: Auth, now: float) -> CometClient | Reply:
        """The message's client, or the reply refusing it."""
        if auth.user_id is None:
            return reply(message, False, error=auth.failure, advice={"reconnect": "none"})
        client = self.clients.get(message.get("clientId"))
        if client is None:
            advice = {"reconnect": "handshake", "interval": 0}
            return reply(message, False, error="403::Unknown client", advice=advice)
        client.last_seen = now
        return client

    async def _meta(self, message: dict[str, Any], client: CometClient) -> Reply:
        channel = message["channel"]
        if channel == SUBSCRIBE:
            return await self._subscribe(message, client)
        if channel == UNSUBSCRIBE:
            subscription = message.get("subscription")
            client.subscriptions.pop(str(subscription), None)
            return reply(message, True, client, subscription=subscription)
        if channel == DISCONNECT:
            self.clients.remove(client.client_id)
            self._wakeup.notify()
            return reply(message, True, client)
        return reply(message, False, client, error="403::Publish denied")

    async def _subscribe(self, message: dict[str, Any], client: CometClient) -> Reply:
        channel = message.get("subscription")
        error = self._channel_error(channel)
        if error is not None:
            return reply(message, False, client, error=error, subscription=channel)
        assert isinstance(channel, str)
        replay = _requested_replay(message, channel)
        await self._prune()
        bounds = self._reader.bounds()
        if replay == -1:
            cursor = bounds.latest
        elif replay == -2:
            cursor = bounds.floor
        elif isinstance(replay, int) and bounds.valid(replay):
            cursor = replay
        else:
            error = replay_error(replay)
            return reply(message, False, client, error=error, subscription=channel)
        client.subscriptions[channel] = cursor
        self._wakeup.notify()  # a held connect of this client may now have events
        return reply(message, True, client, subscription=channel)

    def _channel_error(self, channel: object) -> str | None:
        if not isinstance(channel, str) or not channel:
            return "400::Channel name not specified"
        if not channel.startswith("/"):
            return "400::Channel subscriptions must start with a leading '/'"
        if not self._channels.exists(channel):
            return f"400::The channel you requested to subscribe to does not exist {{{channel}}}"
        return None

    async def _connect(self, message: dict[str, Any], client: CometClient) -> list[Reply]:
        kind = message.get("connectionType", LONG_POLLING)
        if kind != LONG_POLLING:
            return [reply(message, False, client, error=f"400::Invalid connection type {kind}")]
        client.poll += 1
        generation = client.poll
        if client.connected:
            self._wakeup.notify()  # an older held connect of this client gives way
            client.polling = True
            try:
                events = await self._hold(client, generation)
            finally:
                if client.poll == generation:
                    client.polling = False
                client.last_seen = self._now()
        else:
            client.connected = True
            events = self._pending(client)
        if self.clients.get(client.client_id) is not client:
            advice = {"reconnect": "handshake", "interval": 0}
            return [reply(message, False, client, error="403::Unknown client", advice=advice)]
        delivered = [event.message(channel) for channel, event in events]
        return [*delivered, reply(message, True, client, advice=self._advice())]

    async def _hold(self, client: CometClient, generation: int) -> list[tuple[str, ChangeEvent]]:
        """Events for ``client`` as soon as there are any, else nothing after the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._poll_seconds
        while True:
            token = self._wakeup.token()
            events = self._pending(client)
            gone = self.clients.get(client.client_id) is not client
            if events or gone or self._wakeup.closed or client.poll != generation:
                return events
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await Wakeup.wait(token, remaining)

    def _pending(self, client: CometClient) -> list[tuple[str, ChangeEvent]]:
        """The next events of each subscription, oldest first; cursors move past them."""
        out: list[tuple[str, ChangeEvent]] = []
        for channel, cursor in list(client.subscriptions.items()):
            if not self._channels.exists(channel):
                continue
            events = self._reader.after(cursor, self._channels.entity(channel), BATCH)
            if events:
                client.subscriptions[channel] = events[-1].replay_id
                out.extend((channel, event) for event in events)
        out.sort(key=lambda pair: pair[1].replay_id)
        return out

    def _advice(self) -> dict[str, Any]:
        return {"reconnect": "retry", "interval": 0, "timeout": int(self._poll_seconds * 1000)}


def _requested_replay(message: dict[str, Any], channel: str) -> object:
    """The replay id asked for ``channel``: -1 when none is; an int, or what was sent."""
    ext = message.get("ext")
    replay = ext.get("replay") if isinstance(ext, dict) else None
    value = replay.get(channel, -1) if isinstance(replay, dict) else -1
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)


def reply(
    message: dict[str, Any], successful: bool, client: CometClient | None = None, **extra: Any
) -> Reply:
    reply: Reply = {"channel": message.get("channel"), "successful": successful}
    if "id" in message:
        reply["id"] = message["id"]
    if client is not None:
        reply["clientId"] = client.client_id
    elif "clientId" in message:
        reply["clientId"] = message["clientId"]
    reply.update(extra)
    return reply
