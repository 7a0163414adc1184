"""aiokafka (asyncio, older non-flexible versions: Metadata v5, OffsetCommit v2…) against
`WireServer`: what the conformance matrix (`test_conformance.py`) does not already check."""

from __future__ import annotations

import asyncio

import pytest

from tests.wire.conftest import ServedCluster

aiokafka = pytest.importorskip("aiokafka")
from aiokafka.admin import AIOKafkaAdminClient  # noqa: E402


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
