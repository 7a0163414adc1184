"""aiokafka (asyncio, older non-flexible versions: Metadata v5, OffsetCommit v2…) against `WireServer`."""

from __future__ import annotations

import asyncio

import pytest

from tests.wire.conftest import ServedCluster

aiokafka = pytest.importorskip("aiokafka")
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: E402


async def test_aiokafka_produces_and_a_group_reads_and_commits(served: ServedCluster) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=served.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic("telemetry", 2, 2)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=served.bootstrap, acks="all")
    await producer.start()
    try:
        sent = [
            await producer.send_and_wait("telemetry", key=b"sensor-%d" % (i % 3), value=b"%d" % i)
            for i in range(30)
        ]
    finally:
        await producer.stop()
    assert sorted(m.offset for m in sent if m.partition == 0) == list(
        range(sum(m.partition == 0 for m in sent))
    )
    consumer = AIOKafkaConsumer(
        "telemetry",
        bootstrap_servers=served.bootstrap,
        group_id="dashboards",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        values: list[bytes] = []
        async with asyncio.timeout(20):
            while len(values) < 30:
                batch = await consumer.getmany(timeout_ms=500)
                values += [r.value for records in batch.values() for r in records]
        await consumer.commit()
    finally:
        await consumer.stop()
    assert sorted(values) == sorted(b"%d" % i for i in range(30))
    committed = served.call(served.cluster.fetch_offsets("dashboards"))
    ends = {
        ("telemetry", p.partition): p.high_watermark
        for p in served.cluster.describe_topic("telemetry").partitions
    }
    assert {tp: o.offset for tp, o in committed.items()} == ends


async def test_aiokafka_alter_configs_replaces_every_override(served: ServedCluster) -> None:
    """aiokafka only has AlterConfigs, the legacy whole-resource form (IncrementalAlterConfigs
    came later): the overrides it sends become the topic's only ones, as in Kafka."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(
            served.cluster.create_topic(
                "rates", 1, 1, {"retention.ms": "3600000", "cleanup.policy": "compact"}
            ),
            served.loop,
        )
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=served.bootstrap)
    await admin.start()
    try:
        topic = ConfigResourceType.TOPIC
        (answer,) = await admin.alter_configs([ConfigResource(topic, "rates", {"retention.ms": "60000"})])
        assert [(error, name) for error, _, _, name in answer.resources] == [(0, "rates")]
        assert served.cluster.describe_topic("rates").configs == {"retention.ms": "60000"}
        (answer,) = await admin.alter_configs([ConfigResource(topic, "rates", {"retention.ms": "nope"})])
        assert answer.resources[0][0] == 40  # INVALID_CONFIG, and nothing changed
        assert served.cluster.describe_topic("rates").configs == {"retention.ms": "60000"}
    finally:
        await admin.close()
