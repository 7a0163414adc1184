"""Followers copy their leader; the high watermark is what every in-sync replica has."""

from __future__ import annotations

from pathlib import Path

from kafkatui.common.clock import ManualClock
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.log.records import iter_headers
from tests.conftest import fast_producer
from tests.engine.test_produce_consume import read_all


async def replica_bytes(cluster: Cluster, topic: str, partition: int) -> dict[int, bytes]:
    """Each replica's whole log, as the bytes it stores."""
    out = {}
    for broker_id in cluster.describe_topic(topic).partitions[partition].replicas:
        broker = cluster.brokers[broker_id]
        log = broker._log(topic, partition)
        assert log is not None
        stored = await log.read(0, 1 << 30, log.log_end_offset)
        out[broker_id] = b"".join(b.data for b in stored)
    return out


async def test_followers_hold_byte_identical_logs(cluster: Cluster) -> None:
    await cluster.create_topic("t", 2, 3)
    async with fast_producer(cluster, acks="all", batch_size=300) as producer:
        for i in range(40):
            await producer.send("t", f"value-{i}", key=f"k{i % 5}")
    for partition in (0, 1):
        logs = await replica_bytes(cluster, "t", partition)
        assert len(set(logs.values())) == 1, "replicas differ"
        desc = cluster.describe_topic("t").partitions[partition]
        assert {s.log_end_offset for s in desc.replica_states} == {desc.log_end_offset}
        assert desc.high_watermark == desc.log_end_offset
        # Offsets and leader epochs are the leader's, unchanged by copying.
        headers = iter_headers(next(iter(logs.values())))
        assert [h.partition_leader_epoch for h in headers] == [0] * len(headers)


async def test_acks_one_answers_before_followers_and_they_catch_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with await Cluster.open(data, brokers=3, clock=ManualClock(), seed=5) as cluster:
        await cluster.create_topic("t", 1, 3)
        async with fast_producer(cluster, acks="1") as producer:
            for i in range(10):
                await producer.send("t", f"v{i}")
    # However far the followers got before the process ended, they catch up on start.
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        async with fast_producer(cluster, acks="all") as producer:
            await producer.send_and_wait("t", "after restart")
        [p] = cluster.describe_topic("t").partitions
        assert {s.log_end_offset for s in p.replica_states} == {11}
        assert p.high_watermark == 11
        assert len(await read_all(cluster, "t")) == 11
