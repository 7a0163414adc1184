"""RemoteBackend's eligible leader replicas (KIP-966): read with DescribeTopicPartitions
(key 75) when the brokers advertise it, left empty as Metadata gives them when not."""

from __future__ import annotations

import asyncio

import pytest

from kafkatui.backends import remote_partitions
from kafkatui.backends.remote import RemoteBackend
from kafkatui.common.admin import PartitionDescription
from kafkatui.wire.dispatch import APIS
from kafkatui.wire.topic_partitions import API_KEY
from tests.backends.conftest import ServedCluster


def below_min_isr(served: ServedCluster) -> tuple[int, int, int]:
    """RF 3, min.insync.replicas=2, both followers stopped one after the other: the
    second left the ISR below min.insync.replicas, so it is the ELR."""
    served.call(served.cluster.create_topic("t", 1, 3, configs={"min.insync.replicas": "2"}))
    leader, first, second = served.cluster.describe_topic("t").partitions[0].replicas
    served.call(served.cluster.stop_broker(first))
    served.call(served.cluster.stop_broker(second))
    return leader, first, second


async def remote_partition(served: ServedCluster) -> PartitionDescription:
    backend = await RemoteBackend.connect(served.bootstrap)
    try:
        return backend.describe_topic("t").partitions[0]
    finally:
        await backend.close()


async def test_describe_topic_has_the_elr_from_describe_topic_partitions(served: ServedCluster) -> None:
    leader, _, second = await asyncio.to_thread(below_min_isr, served)
    p = await remote_partition(served)
    assert (p.leader, p.isr) == (leader, (leader,))
    assert (p.eligible_leader_replicas, p.last_known_elr) == ((second,), ())


async def test_without_key_75_the_elr_is_left_as_metadata_gives_it() -> None:
    served = ServedCluster(apis={k: a for k, a in APIS.items() if k != API_KEY})
    try:
        leader, _, second = await asyncio.to_thread(below_min_isr, served)
        assert served.cluster.describe_topic("t").partitions[0].eligible_leader_replicas == (second,)
        p = await remote_partition(served)
        assert (p.leader, p.isr, p.eligible_leader_replicas) == (leader, (leader,), ())
    finally:
        await asyncio.to_thread(served.close)


async def test_every_page_is_read_when_the_partitions_do_not_fit_one(
    served: ServedCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One partition a response: the backend follows NextCursor across the topics."""
    monkeypatch.setattr(remote_partitions, "PARTITION_LIMIT", 1)

    def setup() -> dict[tuple[str, int], tuple[int, ...]]:
        for name in ("a", "b"):
            served.call(served.cluster.create_topic(name, 3, 3, configs={"min.insync.replicas": "2"}))
        served.call(served.cluster.stop_broker(2))
        served.call(served.cluster.stop_broker(3))
        return {
            (name, p.partition): p.eligible_leader_replicas
            for name in ("a", "b")
            for p in served.cluster.describe_topic(name).partitions
        }

    engine = await asyncio.to_thread(setup)
    assert all(engine.values())  # every partition has an ELR
    backend = await RemoteBackend.connect(served.bootstrap)
    try:
        remote = {
            (name, p.partition): p.eligible_leader_replicas
            for name in ("a", "b")
            for p in backend.describe_topic(name).partitions
        }
    finally:
        await backend.close()
    assert remote == engine
