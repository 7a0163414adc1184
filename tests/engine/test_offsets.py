"""Committed offsets in __consumer_offsets: placement, Kafka's record schemas, commit and
fetch, and offsets surviving a restart and a coordinator failover."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.utils import java_string_hash
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.coordinator.group.coordinator import (
    OFFSETS_TOPIC,
    KeyType,
    OffsetAndMetadata,
    offset_key,
    offset_value,
    parse_key,
    parse_offset_value,
)
from kafkatui.engine.coordinator.runtime import partition_for
from kafkatui.engine.log.records import decode_batch
from tests.conftest import crash_broker


def test_java_string_hash_matches_java() -> None:
    # Values of String.hashCode() in Java.
    assert java_string_hash("") == 0
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("polygenelubricants") == -(1 << 31)  # Integer.MIN_VALUE
    assert java_string_hash("Aa") == java_string_hash("BB") == 2112


def test_a_group_partition_is_abs_hash_mod_count() -> None:
    assert partition_for("hello", 50) == 99162322 % 50
    assert partition_for("polygenelubricants", 50) == 0  # Utils.abs(MIN_VALUE) is 0
    assert partition_for("Aa", 7) == partition_for("BB", 7)


@given(st.text(max_size=40), st.text(min_size=1, max_size=40), st.integers(0, 2**31 - 1))
def test_offset_keys_round_trip(group: str, topic: str, partition: int) -> None:
    assert parse_key(offset_key(group, topic, partition)) == (KeyType.OFFSET, group, (topic, partition))


@given(st.integers(0, 2**63 - 1), st.integers(-1, 2**31 - 1), st.text(max_size=50), st.integers(-1, 2**62))
def test_offset_values_round_trip(offset: int, epoch: int, metadata: str, timestamp: int) -> None:
    value = OffsetAndMetadata(offset, epoch, metadata, timestamp)
    assert parse_offset_value(offset_value(value)) == value


def test_the_schemas_are_kafkas() -> None:
    # OffsetCommitKey v1: int16 version, string group, string topic, int32 partition.
    assert offset_key("g", "t", 3) == b"\x00\x01\x00\x01g\x00\x01t\x00\x00\x00\x03"
    # OffsetCommitValue v3: int16 version, int64 offset, int32 epoch, string, int64 time.
    assert offset_value(OffsetAndMetadata(5, -1, "", 7)) == (
        b"\x00\x03" + (5).to_bytes(8, "big") + b"\xff\xff\xff\xff" + b"\x00\x00" + (7).to_bytes(8, "big")
    )


async def test_commit_and_fetch(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("sales", 3, 3)
    await cluster.commit_offsets(
        "billing", {("sales", 0): OffsetAndMetadata(5), ("sales", 2): OffsetAndMetadata(9)}
    )
    committed = await cluster.fetch_offsets("billing")
    assert {tp: v.offset for tp, v in committed.items()} == {("sales", 0): 5, ("sales", 2): 9}
    assert all(v.commit_timestamp == clock.now_ms() for v in committed.values())
    assert await cluster.fetch_offsets("billing", [("sales", 1)]) == {}
    assert await cluster.fetch_offsets("nobody") == {}
    info = cluster.topic(OFFSETS_TOPIC)
    assert info.is_internal and len(info.partitions) == 50 and info.replication_factor == 3
    assert info.config.get("cleanup.policy") == ["compact"]
    assert OFFSETS_TOPIC not in cluster.topic_names()


async def test_bad_commits_are_refused(cluster: Cluster) -> None:
    await cluster.create_topic("sales", 1, 1)
    with pytest.raises(KafkaError) as info:
        await cluster.commit_offsets("g", {("sales", 4): OffsetAndMetadata(1)})
    assert info.value.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    with pytest.raises(KafkaError) as info:
        await cluster.commit_offsets("g", {("nope", 0): OffsetAndMetadata(1)})
    assert info.value.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    with pytest.raises(KafkaError) as info:
        await cluster.fetch_offsets("")
    assert info.value.code is ErrorCode.INVALID_GROUP_ID


async def test_commits_are_kafka_records_in_the_groups_partition(cluster: Cluster) -> None:
    await cluster.create_topic("sales", 1, 1)
    await cluster.commit_offsets("billing", {("sales", 0): OffsetAndMetadata(3, metadata="note")})
    partition = partition_for("billing", 50)
    leader = cluster.leader(OFFSETS_TOPIC, partition)
    [data] = await leader.read_replica(OFFSETS_TOPIC, partition, 0, 1 << 20)
    [record] = decode_batch(data).records
    assert record.key is not None and record.value is not None
    assert parse_key(record.key) == (KeyType.OFFSET, "billing", ("sales", 0))
    assert parse_offset_value(record.value).metadata == "note"
    assert cluster.describe_topic(OFFSETS_TOPIC).partitions[partition].high_watermark == 1  # acks=all


async def test_offsets_survive_a_restart_and_deletes_too(tmp_path: Path) -> None:
    async with await Cluster.open(tmp_path, brokers=3, clock=ManualClock(), seed=3) as cluster:
        await cluster.create_topic("sales", 2, 3)
        await cluster.commit_offsets("a", {("sales", 0): OffsetAndMetadata(1)})
        await cluster.commit_offsets(
            "a", {("sales", 0): OffsetAndMetadata(4), ("sales", 1): OffsetAndMetadata(2)}
        )
        await cluster.commit_offsets("b", {("sales", 1): OffsetAndMetadata(7)})
        assert await cluster.delete_group("b") == 1
    async with await Cluster.open(tmp_path, clock=ManualClock()) as cluster:
        committed = await cluster.fetch_offsets("a")
        assert {tp: v.offset for tp, v in committed.items()} == {("sales", 0): 4, ("sales", 1): 2}
        assert await cluster.fetch_offsets("b") == {}


async def test_offsets_survive_a_coordinator_failover(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("sales", 2, 3)
    await cluster.commit_offsets("billing", {("sales", 0): OffsetAndMetadata(10)})
    old = await cluster.find_coordinator("billing")
    await crash_broker(cluster, clock, old)
    new = await cluster.find_coordinator("billing")
    assert new != old
    assert (await cluster.fetch_offsets("billing"))[("sales", 0)].offset == 10
    await cluster.commit_offsets("billing", {("sales", 1): OffsetAndMetadata(3)})
    # The old coordinator comes back as a follower: it answers NOT_COORDINATOR.
    await cluster.start_broker(old)
    with pytest.raises(KafkaError) as info:
        cluster.brokers[old].coordinator.fetch("billing")
    assert info.value.code is ErrorCode.NOT_COORDINATOR
    assert {tp: v.offset for tp, v in (await cluster.fetch_offsets("billing")).items()} == {
        ("sales", 0): 10,
        ("sales", 1): 3,
    }


async def test_a_coordinator_that_is_down_is_not_available(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("sales", 1, 1)
    await cluster.commit_offsets("g", {("sales", 0): OffsetAndMetadata(1)})
    coordinator = await cluster.find_coordinator("g")
    await cluster.stop_broker(coordinator, crash=True)  # not fenced yet: still the leader
    with pytest.raises(KafkaError) as info:
        await cluster.fetch_offsets("g")
    assert info.value.code is ErrorCode.COORDINATOR_NOT_AVAILABLE


async def test_a_consumer_with_a_group_id_resumes_from_committed_offsets(
    cluster: Cluster, clock: ManualClock
) -> None:
    from kafkatui.common.clients import ConsumerConfig
    from kafkatui.engine.clients.consumer import Consumer
    from tests.conftest import fast_producer

    await cluster.create_topic("sales", 1, 3)
    async with fast_producer(cluster, acks="all") as producer:
        for i in range(10):
            await producer.send_and_wait("sales", f"v{i}")
    config = ConsumerConfig(group_id="billing", auto_offset_reset="earliest", max_poll_records=4)
    first = Consumer(cluster, config)
    first.assign([("sales", 0)])
    assert [r.offset for r in await first.poll(0)] == [0, 1, 2, 3]
    assert await first.commit() == {("sales", 0): 4}
    assert [r.offset for r in await first.poll(0)] == [4, 5, 6, 7]
    await first.close()  # auto commit on close: 8
    second = Consumer(cluster, config)
    second.assign([("sales", 0)])
    assert await second.committed([("sales", 0)]) == {("sales", 0): 8}
    assert [r.offset for r in await second.poll(0)] == [8, 9]
    # enable.auto.commit: the next poll after auto.commit.interval.ms commits the position
    await clock.advance(config.auto_commit_interval_ms)
    assert await second.poll(0) == []
    assert (await cluster.fetch_offsets("billing"))[("sales", 0)].offset == 10


async def test_committing_without_a_group_id_is_refused(cluster: Cluster) -> None:
    from kafkatui.engine.clients.consumer import Consumer

    await cluster.create_topic("sales", 1, 1)
    consumer = Consumer(cluster)
    consumer.assign([("sales", 0)])
    with pytest.raises(KafkaError) as info:
        await consumer.commit()
    assert info.value.code is ErrorCode.INVALID_GROUP_ID


async def join_one(cluster: Cluster, group_id: str, client: str) -> tuple[str, int]:
    """A dynamic member joins (answering MEMBER_ID_REQUIRED) and syncs; (member id, generation)."""
    from kafkatui.engine.coordinator.group.model import MemberIdRequired

    request = dict(
        client_id=client, client_host="/127.0.0.1", protocol_type="consumer", protocols=[("range", b"sub")],
        session_timeout_ms=10_000, rebalance_timeout_ms=30_000,
    )  # fmt: skip
    try:
        await cluster.join_group(group_id, "", **request)
    except MemberIdRequired as required:
        member_id = required.member_id
    joined = await cluster.join_group(group_id, member_id, **request)
    return joined.member_id, joined.generation_id


async def test_group_membership_survives_a_coordinator_failover(cluster: Cluster, clock: ManualClock) -> None:
    import asyncio

    from kafkatui.engine.coordinator.group.model import GroupState

    await cluster.create_topic("sales", 1, 3)
    joining = asyncio.ensure_future(join_one(cluster, "billing", "c1"))
    await cluster.advance_until(joining.done)  # group.initial.rebalance.delay.ms
    member_id, generation = joining.result()
    assignment = await cluster.sync_group(
        "billing", member_id, generation, assignments={member_id: b"sales-0"}
    )
    assert assignment == b"sales-0"
    desc = await cluster.describe_group("billing")
    assert (
        desc is not None
        and desc.state is GroupState.STABLE
        and [m.member_id for m in desc.members] == [member_id]
    )
    with pytest.raises(KafkaError) as info:  # an admin's commit (generation -1), as a reset sends
        await cluster.commit_offsets("billing", {("sales", 0): OffsetAndMetadata(0)})
    assert info.value.code is ErrorCode.UNKNOWN_MEMBER_ID
    with pytest.raises(KafkaError) as info:
        await cluster.delete_group("billing")
    assert info.value.code is ErrorCode.NON_EMPTY_GROUP

    # The group's metadata is a GroupMetadataValue record: a new coordinator loads it.
    old = await cluster.find_coordinator("billing")
    await cluster.stop_broker(old)
    moved = await cluster.describe_group("billing")
    assert moved is not None and moved.state is GroupState.STABLE and moved.generation_id == generation
    await cluster.heartbeat("billing", member_id, generation)  # the member goes on, no rebalance
    assert await cluster.sync_group("billing", member_id, generation) == b"sales-0"

    await cluster.leave_group("billing", [(member_id, None)])
    assert (await cluster.describe_group("billing")).state is GroupState.EMPTY  # type: ignore[union-attr]
    assert await cluster.delete_group("billing") == 0
    assert await cluster.describe_group("billing") is None


async def test_a_compacted_offsets_partition_still_loads_the_latest_commits(
    cluster: Cluster, clock: ManualClock
) -> None:
    # __consumer_offsets is compacted like any topic: after cleaning only each key's
    # latest commit is left, and a new coordinator replaying it finds the same offsets.
    await cluster.create_topic("sales", 2, 3)
    await cluster.find_coordinator("billing")  # creates __consumer_offsets
    await cluster.alter_topic_configs("__consumer_offsets", {"segment.bytes": "300"})
    for i in range(20):
        await cluster.commit_offsets("billing", {("sales", i % 2): OffsetAndMetadata(i)})
    await cluster.settle()
    done = await cluster.compact_topic("__consumer_offsets")
    assert done and all(r.records_after < r.records_before for _, _, r in done)
    old = await cluster.find_coordinator("billing")
    await crash_broker(cluster, clock, old)
    assert await cluster.find_coordinator("billing") != old
    assert {tp: v.offset for tp, v in (await cluster.fetch_offsets("billing")).items()} == {
        ("sales", 0): 18,
        ("sales", 1): 19,
    }
