"""Broker stop/crash/start: leader election from the ISR, ISR changes, truncation on return."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import BrokerStopped, IsrExpanded, IsrShrunk, LeaderElected
from kafkatui.engine.cluster import Cluster
from tests.conftest import crash_broker, fast_producer
from tests.engine.test_produce_consume import read_all
from tests.engine.test_replication import replica_bytes


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (in real time: SQLite answers from its own thread) until `check()` holds.

    No cluster-clock time passes: fetchers and ISR requests run without timers.
    """
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    assert check(), "condition not reached"


def replicas_caught_up(cluster: Cluster, topic: str) -> Callable[[], bool]:
    def check() -> bool:
        return all(
            {s.log_end_offset for s in p.replica_states} == {p.log_end_offset}
            and set(p.isr) == {s.broker_id for s in p.replica_states}
            for p in cluster.describe_topic(topic).partitions
        )

    return check


async def test_leader_stop_elects_an_in_sync_follower_and_nothing_acked_is_lost(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("t", 1, 3, configs={"min.insync.replicas": "2"})
    events = cluster.bus.subscribe(LeaderElected, IsrShrunk, BrokerStopped)
    async with fast_producer(cluster, acks="all") as producer:
        for i in range(10):
            await producer.send_and_wait("t", f"v{i}")
        [before] = cluster.describe_topic("t").partitions
        await cluster.stop_broker(before.leader)
        [after] = cluster.describe_topic("t").partitions
        # Clean election: the next replica in assignment order that is in the ISR.
        assert after.leader == before.replicas[1]
        assert after.leader_epoch == before.leader_epoch + 1
        assert before.leader not in after.isr
        for i in range(10, 15):
            await producer.send_and_wait("t", f"v{i}")
    assert [r.value for r in await read_all(cluster, "t")] == [f"v{i}".encode() for i in range(15)]
    kinds = [type(e).__name__ for e in events.drain()]
    assert kinds == ["IsrShrunk", "LeaderElected", "BrokerStopped"]


async def test_returning_broker_catches_up_and_rejoins_the_isr(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 1, 3)
    [p] = cluster.describe_topic("t").partitions
    follower = p.replicas[2]
    expanded = cluster.bus.subscribe(IsrExpanded)
    async with fast_producer(cluster, acks="all") as producer:
        await crash_broker(cluster, clock, follower)
        for i in range(5):
            await producer.send_and_wait("t", f"v{i}")  # ISR is two brokers now
        await cluster.start_broker(follower)
        await producer.send_and_wait("t", "v5")
        await eventually(replicas_caught_up(cluster, "t"))
    [p] = cluster.describe_topic("t").partitions
    assert follower in p.isr
    assert [e.added for e in expanded.drain()] == [follower]  # type: ignore[attr-defined]
    assert len(set((await replica_bytes(cluster, "t", 0)).values())) == 1


async def test_unclean_election_loses_acked_records_and_the_old_leader_truncates(
    cluster: Cluster, clock: ManualClock
) -> None:
    """Kafka's classic loss: only an out-of-sync replica is left, and it is allowed to lead."""
    await cluster.create_topic("t", 1, 2, configs={"unclean.leader.election.enable": "true"})
    [p] = cluster.describe_topic("t").partitions
    leader, follower = p.replicas
    async with fast_producer(cluster, acks="1") as producer:
        for i in range(5):
            await producer.send_and_wait("t", f"a{i}")
        await eventually(replicas_caught_up(cluster, "t"))
        await crash_broker(cluster, clock, follower)
        for i in range(5):
            await producer.send_and_wait("t", f"b{i}")  # acknowledged by the leader alone
        await crash_broker(cluster, clock, leader)
        assert cluster.describe_topic("t").partitions[0].leader == -1  # offline
        await cluster.start_broker(follower)  # unclean: out of sync, but allowed to lead
        [p] = cluster.describe_topic("t").partitions
        assert p.leader == follower
        for i in range(2):
            await producer.send_and_wait("t", f"c{i}")
        await cluster.start_broker(leader)  # comes back as follower and truncates
        await eventually(replicas_caught_up(cluster, "t"))
    values = [r.value for r in await read_all(cluster, "t")]
    assert values == [f"a{i}".encode() for i in range(5)] + [b"c0", b"c1"]  # b0..b4 lost
    logs = await replica_bytes(cluster, "t", 0)
    assert len(set(logs.values())) == 1


async def test_offline_partition_without_unclean_election(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 1, 2)
    [p] = cluster.describe_topic("t").partitions
    await crash_broker(cluster, clock, p.replicas[1])
    await crash_broker(cluster, clock, p.replicas[0])
    [offline] = cluster.describe_topic("t").partitions
    assert offline.leader == -1 and offline.isr == (p.replicas[0],)
    async with fast_producer(cluster, acks="1", delivery_timeout_ms=500, request_timeout_ms=400) as producer:
        future = await producer.send("t", "x")
        await clock.advance(600)
        with pytest.raises(KafkaError) as info:
            await future
        assert info.value.code is ErrorCode.LEADER_NOT_AVAILABLE
    await cluster.start_broker(p.replicas[1])  # out of sync: clean election keeps it offline
    assert cluster.describe_topic("t").partitions[0].leader == -1
    await cluster.start_broker(p.replicas[0])  # the last in-sync replica leads again
    assert cluster.describe_topic("t").partitions[0].leader == p.replicas[0]


async def test_a_stopped_broker_stays_stopped_across_restarts(tmp_path: Path) -> None:
    async with await Cluster.open(tmp_path, brokers=3, clock=ManualClock(), seed=2) as cluster:
        await cluster.create_topic("t", 3, 2)
        await cluster.stop_broker(2)
    async with await Cluster.open(tmp_path, clock=ManualClock()) as cluster:
        assert not cluster.brokers[2].running
        desc = cluster.describe_topic("t")
        assert all(p.leader != 2 and 2 not in p.isr for p in desc.partitions)
        await cluster.start_broker(2)
        assert cluster.brokers[2].running
    with pytest.raises(KafkaError, match="no broker 9"):
        async with await Cluster.open(tmp_path, clock=ManualClock()) as cluster:
            await cluster.stop_broker(9)
