"""The quick "nothing listens there" answer before librdkafka's 10 s of retries."""

from __future__ import annotations

import asyncio
import socket

from kafkatui.backends.confluent import bootstrap_addresses, refused_everywhere


def test_bootstrap_addresses_take_librdkafka_forms() -> None:
    assert bootstrap_addresses("a:1, SASL_SSL://b:2,[::1]:3,nonsense") == [("a", 1), ("b", 2), ("::1", 3)]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_refused_only_when_every_address_refuses() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    listening = server.sockets[0].getsockname()[1]
    closed = _closed_port()
    try:
        assert await refused_everywhere(f"127.0.0.1:{closed}")
        assert not await refused_everywhere(f"127.0.0.1:{closed},127.0.0.1:{listening}")
        assert not await refused_everywhere("no-such-host.invalid:9092")  # librdkafka says it
        assert not await refused_everywhere("")
    finally:
        server.close()
        await server.wait_closed()
