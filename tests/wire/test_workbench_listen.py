"""The workbench serves its cluster over the wire too (serve.host.serve_backend), moving to
free ports when the asked ones are taken."""

from __future__ import annotations

import asyncio
import socket

import pytest

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.engine.cluster import Cluster
from kafkatui.serve.host import serve_backend

kafka = pytest.importorskip("kafka")
from kafka import KafkaAdminClient  # noqa: E402


async def test_a_taken_port_moves_the_listeners_to_free_ports_and_says_so() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    backend = EmbeddedBackend(await Cluster.open(None, brokers=2, seed=3))
    try:
        await backend.create_topic("orders", 1, 2)
        bootstrap = await serve_backend(backend, port)
        assert f":{port}," not in bootstrap + ","  # not on the taken port
        assert len(backend.notices) == 1 and "address already in use" in backend.notices[0]
        status = backend.listener_status()
        assert status is not None and bootstrap in status

        def topics() -> set[str]:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap)
            try:
                return set(admin.list_topics())
            finally:
                admin.close()

        assert "orders" in await asyncio.to_thread(topics)
        assert "connection(s) open" in (backend.listener_status() or "")
    finally:
        await backend.close()
        taken.close()
    assert backend.listener_status() is None  # closed with the workbench
