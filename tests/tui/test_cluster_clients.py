"""The Cluster panel's Clients table: a real Kafka client connects to the workbench's
listeners and shows up with its client id and software."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.serve.host import serve_backend
from tests.tui.conftest import SIZE, make_app

kafka = pytest.importorskip("kafka")


async def test_a_connected_kafka_python_client_appears_in_the_clients_table() -> None:
    bootstrap: list[str] = []

    async def listening(backend: EmbeddedBackend) -> None:
        bootstrap.append(await serve_backend(backend, 0))  # free ports

    app = make_app(listening)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("1")
        await pilot.pause()
        clients = app.query_one("#clients", DataTable)
        assert clients.display and clients.row_count == 0

        def connect() -> object:  # a blocking client: off the app's loop
            consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap[0], client_id="dashboard-7")
            consumer.topics()
            return consumer

        consumer = await asyncio.to_thread(connect)
        try:
            for _ in range(40):  # the panel refreshes its listener line every second
                await pilot.pause(0.1)
                rows = [clients.get_row_at(i) for i in range(clients.row_count)]
                if any(r[0] == "dashboard-7" for r in rows):
                    break
            row = next(r for r in rows if r[0] == "dashboard-7")
            assert row[1].startswith("kafka-python ")
            assert row[2].startswith("127.0.0.1:")
            assert row[5] in ("Metadata", "ApiVersions")
            assert row[6] == "User:ANONYMOUS"  # a PLAINTEXT listener's principal
        finally:
            await asyncio.to_thread(consumer.close)  # type: ignore[attr-defined]


def test_the_clients_table_names_the_principal_and_how_it_logged_in() -> None:
    from kafkatui.common.connections import ConnectedClient
    from kafkatui.tui.panels.cluster import client_row

    client = ConnectedClient(1, "127.0.0.1:5", "app", None, None, 0, 3, "Fetch", "SASL_SSL", "SASL_SSL",
                             "User:alice", "SCRAM-SHA-512")  # fmt: skip
    assert client_row(client)[-1] == "User:alice (SCRAM-SHA-512)"
