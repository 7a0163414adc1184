"""kafka-python (a pure-Python client with its own codec) against `WireServer`: what the
conformance matrix (`test_conformance.py`) does not already check for every client."""

from __future__ import annotations

import time

import pytest

from kafkatui.engine.clients.partitioner import partition_for_key
from tests.wire.conftest import ServedCluster

kafka = pytest.importorskip("kafka")
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402
from kafka.errors import TopicAlreadyExistsError  # noqa: E402

# Most tests use a plain producer; kafka-python turns idempotence on by default (see
# test_an_idempotent_producer_gets_a_producer_id).
PRODUCER = {"enable_idempotence": False, "linger_ms": 5}


def make_topic(served: ServedCluster, name: str, partitions: int = 3, rf: int = 2) -> None:
    admin = KafkaAdminClient(bootstrap_servers=served.bootstrap)
    try:
        admin.create_topics([NewTopic(name, partitions, rf)])
    finally:
        admin.close()


def read_all(served: ServedCluster, topic: str, expected: int) -> list:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=served.bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=5000
    )
    records = []
    for record in consumer:
        records.append(record)
        if len(records) == expected:
            break
    consumer.close()
    return records


def test_admin_creates_lists_and_deletes_topics(served: ServedCluster) -> None:
    admin = KafkaAdminClient(bootstrap_servers=served.bootstrap)
    try:
        admin.create_topics([NewTopic("orders", 4, 3, topic_configs={"retention.ms": "60000"})])
        assert "orders" in admin.list_topics()
        desc = served.cluster.describe_topic("orders")
        assert len(desc.partitions) == 4 and desc.replication_factor == 3
        assert desc.configs == {"retention.ms": "60000"}
        with pytest.raises(TopicAlreadyExistsError):
            admin.create_topics([NewTopic("orders", 1, 1)])
        admin.delete_topics(["orders"])
        deadline = time.monotonic() + 5
        while "orders" in admin.list_topics() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "orders" not in served.cluster.topic_names()
    finally:
        admin.close()


@pytest.mark.parametrize("acks", [0, 1, "all"])
def test_keyed_records_land_where_murmur2_puts_them_and_read_back_in_order(
    served: ServedCluster, acks: object
) -> None:
    make_topic(served, "sales")
    producer = KafkaProducer(bootstrap_servers=served.bootstrap, acks=acks, **PRODUCER)
    for i in range(60):
        producer.send("sales", key=f"customer-{i % 6}".encode(), value=f"sale {i}".encode())
    producer.flush()
    producer.close()
    records = read_all(served, "sales", 60)
    assert len(records) == 60
    for r in records:
        assert r.partition == partition_for_key(r.key, 3)  # the same partitioner as Java's
    by_key: dict[bytes, list[int]] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(r.key, []).append(int(r.value.split()[1]))
    assert all(values == sorted(values) for values in by_key.values())


def test_keyless_records_spread_and_offsets_are_listed(served: ServedCluster) -> None:
    make_topic(served, "clicks", partitions=2, rf=1)
    producer = KafkaProducer(bootstrap_servers=served.bootstrap, acks=1, **PRODUCER)
    before = int(time.time() * 1000) - 1
    sent = [producer.send("clicks", value=b"click %d" % i).get(timeout=10) for i in range(20)]
    producer.close()
    assert {m.topic for m in sent} == {"clicks"}
    consumer = KafkaConsumer(bootstrap_servers=served.bootstrap)
    partitions = [TopicPartition("clicks", p) for p in range(2)]
    ends = consumer.end_offsets(partitions)
    assert sum(ends.values()) == 20
    assert consumer.beginning_offsets(partitions) == {tp: 0 for tp in partitions}
    found = consumer.offsets_for_times({tp: before for tp in partitions})
    assert all(found[tp] is None or found[tp].offset == 0 for tp in partitions)
    consumer.close()
    assert len(read_all(served, "clicks", 20)) == 20
