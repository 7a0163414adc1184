"""KIP-966 eligible leader replicas: the replicas that left the ISR while it was below
min.insync.replicas hold every committed record (the high watermark stops there), so
when the last in-sync replica's database is lost or fails, one of them leads cleanly.
The chaos harness found the runs where, without them, a partition went offline
although other replicas held every acknowledged record (issue 17). Replication factor
3, min.insync.replicas=2, on a ManualClock, data dirs under tmp_path."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kafkatui.common.admin import PartitionDescription
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.clients.consumer import Consumer, ConsumerConfig
from kafkatui.engine.clients.producer import Producer, ProducerConfig
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.log.records import Record, encode_batch

TOPIC = "t"


async def produce(cluster: Cluster, values: range, *, part: int = 0, acks: str = "all") -> None:
    """Records one at a time; returns when each is acknowledged (the producer retries
    on the cluster's clock, so callers move it while this runs)."""
    async with Producer(cluster, ProducerConfig(linger_ms=0, acks=acks)) as producer:
        for i in values:
            await producer.send_and_wait(TOPIC, f"value-{i:05d}", partition=part)


async def read_all(cluster: Cluster, part: int = 0) -> list[str]:
    """Every record of partition `part` up to its high watermark, in order."""
    consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest"))
    consumer.assign_topic(TOPIC)
    await cluster.settle()  # a new leader's high watermark waits for its followers' fetches
    out: list[str] = []
    for _ in range(1000):
        if len(out) >= partition(cluster, part).high_watermark:
            break
        out += [r.value.decode() for r in await consumer.poll(0) if r.partition == part]
        await cluster.settle()
    return out


def expected(values: range) -> list[str]:
    return [f"value-{i:05d}" for i in values]


def partition(cluster: Cluster, part: int = 0) -> PartitionDescription:
    return cluster.describe_topic(TOPIC).partitions[part]


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


async def new_cluster(data: Path) -> Cluster:
    cluster = await Cluster.open(data, brokers=3, clock=ManualClock(), seed=1)
    await cluster.create_topic(TOPIC, 1, 3, configs={"min.insync.replicas": "2"})
    return cluster


async def test_the_isr_left_below_min_insync_is_eligible_and_leads_when_the_last_copy_is_lost(
    tmp_path: Path,
) -> None:
    """The first follower stops while the ISR is still at min.insync.replicas: records
    acknowledged after it are not on it, it is not eligible. The second stops with the
    ISR below: it holds everything committed and is the ELR. The leader's database is
    then lost: the first follower back may not lead; the eligible one does, cleanly, and
    every acknowledged record is read back."""
    data = tmp_path / "data"
    async with await new_cluster(data) as cluster:
        leader, first, second = partition(cluster).replicas
        await produce(cluster, range(100))
        await cluster.stop_broker(first)
        assert partition(cluster).eligible_leader_replicas == ()  # the ISR is still at 2
        await produce(cluster, range(100, 200))  # acknowledged by leader and second only
        await cluster.stop_broker(second)
        p = partition(cluster)
        assert (p.isr, p.eligible_leader_replicas) == ((leader,), (second,))
    remove_database(data / f"broker-{leader}.db")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        p = partition(cluster)
        # The new incarnation leaves the ISR and may never be eligible.
        assert (p.leader, p.isr, p.eligible_leader_replicas, p.last_known_elr) == (
            -1, (), (second,), (leader,)
        )  # fmt: skip
        with pytest.raises(KafkaError, match=rf"waiting for broker {second}, an eligible leader replica"):
            cluster.leader(TOPIC, 0)
        await cluster.start_broker(first)
        assert partition(cluster).leader == -1  # it lacks records 100-199
        await cluster.start_broker(second)
        p = partition(cluster)
        assert (p.leader, p.isr) == (second, (second,))
        assert await read_all(cluster) == expected(range(200))
        # Back at min.insync.replicas: the ELR and last known ELR are emptied.
        await cluster.advance_until(lambda: len(partition(cluster).isr) == 3)
        p = partition(cluster)
        assert (p.eligible_leader_replicas, p.last_known_elr) == ((), ())
        assert await read_all(cluster) == expected(range(200))


async def cut_off_followers(cluster: Cluster) -> tuple[int, int, list[int]]:
    """On 4 brokers, the partition the controller holds no replica of: its leader is cut
    off from its followers, which fences nobody (all reach the controller); they fall
    behind and the ISR shrinks to the leader alone. Returns (partition, leader,
    followers) once it has, records 0-99 acknowledged before."""
    await cluster.create_topic(TOPIC, 4, 3, configs={"min.insync.replicas": "2"})
    part = next(p.partition for p in cluster.describe_topic(TOPIC).partitions
                if cluster.quorum.active not in p.replicas)  # fmt: skip
    leader, *followers = partition(cluster, part).replicas
    await produce(cluster, range(100), part=part)
    for follower in followers:
        cluster.cut_link(leader, follower)
    await cluster.advance_until(lambda: partition(cluster, part).isr == (leader,))
    return part, leader, followers


async def test_a_live_eligible_replica_takes_over_when_the_last_in_sync_disk_fails(tmp_path: Path) -> None:
    """The chaos runs' case: both followers run but are cut off from the leader, so the
    ISR shrinks to the leader alone and they are its ELR. Below min.insync.replicas the
    high watermark stops: acks=1 records written then are never served. The leader's
    disk fills up: a live ELR member leads at once, no unclean election needed, with
    every acknowledged record."""
    async with await Cluster.open(tmp_path / "data", brokers=4, clock=ManualClock(), seed=1) as cluster:
        part, leader, followers = await cut_off_followers(cluster)
        assert partition(cluster, part).eligible_leader_replicas == tuple(followers)
        with pytest.raises(KafkaError) as info:
            data = encode_batch([Record(0, 0, None, b"x", ())])
            await cluster.brokers[leader].produce(TOPIC, part, data, acks=-1)
        assert info.value.code is ErrorCode.NOT_ENOUGH_REPLICAS
        await produce(cluster, range(100, 110), part=part, acks="1")
        p = partition(cluster, part)
        assert (p.log_end_offset, p.high_watermark) == (110, 100)  # KIP-966: the HW waits
        assert await read_all(cluster, part) == expected(range(100))
        storage = cluster.brokers[leader].storage
        async with storage._db.execute("PRAGMA page_count") as cursor:
            (pages,) = await cursor.fetchone()
        await storage._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(KafkaError) as info:
            for _ in range(10_000):  # acks=1 batches, never served, until the disk is full
                await cluster.brokers[leader].produce(TOPIC, part, data, acks=1)
        assert info.value.code is ErrorCode.KAFKA_STORAGE_ERROR
        await cluster.advance_until(lambda: partition(cluster, part).leader != leader)  # its heartbeat says
        p = partition(cluster, part)
        assert p.leader == followers[0] and not cluster.metadata.brokers[leader].dir_online
        writing = asyncio.ensure_future(produce(cluster, range(110, 400), part=part))
        await cluster.advance_until(writing.done)
        await writing
        # Never offline, never unclean: the records acks=1 left above the old HW are gone.
        assert await read_all(cluster, part) == expected(range(100)) + expected(range(110, 400))
        assert partition(cluster, part).eligible_leader_replicas == ()  # back at 2 in sync


async def test_repairing_the_last_in_sync_replica_is_allowed_with_a_live_eligible_one(tmp_path: Path) -> None:
    """`broker repair` refuses to drop the only in-sync copy, unless a running ELR
    member has every committed record: then it leads, and nothing is lost."""
    async with await Cluster.open(tmp_path / "data", brokers=4, clock=ManualClock(), seed=1) as cluster:
        part, leader, followers = await cut_off_followers(cluster)
        for follower in followers:
            await cluster.stop_broker(follower)
        with pytest.raises(KafkaError, match="no other in-sync replica") as info:
            await cluster.repair_broker(leader)
        assert info.value.code is ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE
        await cluster.start_broker(followers[1])
        assert partition(cluster, part).eligible_leader_replicas == tuple(followers)
        await cluster.repair_broker(leader)
        p = partition(cluster, part)
        assert p.leader == followers[1] and leader in p.rebuilding
        await cluster.start_broker(followers[0])
        assert await read_all(cluster, part) == expected(range(100))


async def test_a_new_incarnation_is_never_eligible(tmp_path: Path) -> None:
    """The ELR member whose database is lost comes back as a new incarnation: it leaves
    the ELR (for the last known ELR); when the ISR's last member stops, the partition
    goes offline rather than let the empty replica lead."""
    data = tmp_path / "data"
    async with await new_cluster(data) as cluster:
        leader, first, second = partition(cluster).replicas
        await produce(cluster, range(100))
        await cluster.stop_broker(first)
        await cluster.stop_broker(second)
        assert partition(cluster).eligible_leader_replicas == (second,)
    remove_database(data / f"broker-{second}.db")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        cluster.cut_link(leader, second)  # so it stays out of the ISR, rebuilding
        await cluster.start_broker(second)
        p = partition(cluster)
        assert (p.eligible_leader_replicas, p.last_known_elr, p.rebuilding) == ((), (second,), (second,))
        await cluster.stop_broker(leader)
        p = partition(cluster)
        assert (p.leader, p.isr, p.eligible_leader_replicas) == (-1, (leader,), ())
        await cluster.start_broker(leader)
        assert partition(cluster).leader == leader
        assert await read_all(cluster) == expected(range(100))


async def test_a_new_min_insync_replicas_clears_the_elr(tmp_path: Path) -> None:
    """KIP-966: the ELR was kept against the old min.insync.replicas."""
    async with await new_cluster(tmp_path / "data") as cluster:
        _, first, second = partition(cluster).replicas
        await cluster.stop_broker(first)
        await cluster.stop_broker(second)
        assert partition(cluster).eligible_leader_replicas == (second,)
        await cluster.alter_topic_configs(TOPIC, {"min.insync.replicas": "1"})
        assert partition(cluster).eligible_leader_replicas == ()
