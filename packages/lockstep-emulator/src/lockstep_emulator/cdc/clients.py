"""The CometD clients a server knows: each one's subscriptions and replay cursors.

A client exists from its handshake until it disconnects or goes quiet: Salesforce
drops a client that has not come back with a ``/meta/connect`` within 40 seconds of
its last reply, and the client then gets ``403::Unknown client`` and must handshake
again. Each subscription keeps a cursor, the replay id of the last event delivered on
it; a connect delivers what lies beyond.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

CLIENT_TIMEOUT_SECONDS = 40.0


@dataclass
class CometClient:
    """One handshaken client (mutable: it is the server's state about that client)."""

    client_id: str
    user_id: str
    last_seen: float
    subscriptions: dict[str, int] = field(default_factory=dict)  # channel → cursor
    connected: bool = False  # its first /meta/connect has been answered
    poll: int = 0  # the generation of its newest /meta/connect
    polling: bool = False  # a /meta/connect of it is being held


class ClientRegistry:
    """Clients by id, forgetting those that went quiet."""

    def __init__(self, timeout: float = CLIENT_TIMEOUT_SECONDS) -> None:
        self._timeout = timeout
        self._clients: dict[str, CometClient] = {}

    def new(self, user_id: str, now: float) -> CometClient:
        client = CometClient(_new_client_id(), user_id, now)
        self._clients[client.client_id] = client
        return client

    def get(self, client_id: object) -> CometClient | None:
        return self._clients.get(client_id) if isinstance(client_id, str) else None

    def remove(self, client_id: str) -> None:
        self._clients.pop(client_id, None)

    def clear(self) -> int:
        """Forget every client (as when Salesforce drops CometD sessions); how many."""
        count = len(self._clients)
        self._clients.clear()
        return count

    def expire(self, now: float) -> None:
        """Forget clients with no held connect that have been quiet past the timeout."""
        quiet = [
            c.client_id
            for c in self._clients.values()
            if not c.polling and now - c.last_seen > self._timeout
        ]
        for client_id in quiet:
            del self._clients[client_id]

    def __len__(self) -> int:
        return len(self._clients)


def _new_client_id() -> str:
    """Like Salesforce's: 26 lower-case letters and digits."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(26))
