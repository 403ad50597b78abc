"""The services that later tiers rely on answer their own protocol on loopback."""

from __future__ import annotations

import socket

import pytest


def _exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3.0) as sock:
        if payload:
            sock.sendall(payload)
        return sock.recv(256)


@pytest.mark.redis
def test_redis_answers_ping() -> None:
    assert _exchange(6379, b"PING\r\n").startswith(b"+PONG")


@pytest.mark.mariadb
def test_mariadb_sends_its_handshake() -> None:
    greeting = _exchange(3306, b"")
    assert greeting[4] == 10  # protocol version 10 handshake
    assert b"MariaDB" in greeting or b"5.5" in greeting


@pytest.mark.postgres
def test_postgres_answers_ssl_request() -> None:
    # SSLRequest: length 8, code 80877103; the server answers one byte, 'S' or 'N'.
    answer = _exchange(5432, (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))
    assert answer[:1] in (b"S", b"N")
