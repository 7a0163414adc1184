"""`WireServer.clients()`: each open connection with its client id, software (KIP-511),
address, requests and last API."""

from __future__ import annotations

import time

import pytest

from tests.wire.conftest import ServedCluster


def test_connected_clients_name_themselves(served: ServedCluster) -> None:
    kafka = pytest.importorskip("kafka")
    ck = pytest.importorskip("confluent_kafka")
    served.call(served.cluster.create_topic("orders", 1, 1))
    python_producer = kafka.KafkaProducer(bootstrap_servers=served.bootstrap, client_id="billing-service")
    c_producer = ck.Producer({"bootstrap.servers": served.bootstrap, "client.id": "shipping-service"})
    try:
        python_producer.send("orders", b"one").get(10)
        c_producer.produce("orders", b"two")
        assert c_producer.flush(10) == 0
        clients = served.server.clients()
        by_id: dict[str | None, list] = {}
        for c in clients:
            by_id.setdefault(c.client_id, []).append(c)
        assert {"billing-service", "shipping-service"} <= set(by_id)
        librdkafka = by_id["shipping-service"]
        assert all(c.software_name == "confluent-kafka-python" for c in librdkafka), librdkafka
        assert any(c.last_api == "Produce" for c in librdkafka)
        python = by_id["billing-service"]
        assert all(c.software_name == "kafka-python" for c in python), python
        assert all(c.software.startswith("kafka-python ") for c in python)
        assert all(c.address.startswith("127.0.0.1:") and c.requests >= 1 for c in clients)
        assert served.server.stats.connections == len(clients)
    finally:
        python_producer.close()
    deadline = time.monotonic() + 10  # the server notices the closed sockets
    while any(c.client_id == "billing-service" for c in served.server.clients()):
        assert time.monotonic() < deadline, served.server.clients()
        time.sleep(0.05)
