"""Consumers in a group: subscribe, the leader assigns, members come and go, commits."""

from __future__ import annotations

import asyncio

import pytest

from kafkatui.common.clients import ConsumerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import KafkaError
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.membership import (
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.coordinator.group.model import GroupState
from tests.conftest import fast_producer


def test_consumer_protocol_bytes_round_trip() -> None:
    data = encode_subscription(["b", "a"], [("a", 1), ("a", 0), ("b", 2)], 7)
    assert decode_subscription(data) == (["a", "b"], [("a", 0), ("a", 1), ("b", 2)], 7)
    assert decode_assignment(encode_assignment([("t", 2), ("t", 0)])) == [("t", 0), ("t", 2)]
    assert decode_assignment(b"") == []
    # ConsumerProtocolAssignment v0: version, [topic, [partitions]], user data (null).
    assert (
        encode_assignment([("t", 0)])
        == b"\x00\x00"
        + b"\x00\x00\x00\x01"
        + b"\x00\x01t"
        + b"\x00\x00\x00\x01"
        + b"\x00\x00\x00\x00"
        + b"\xff\xff\xff\xff"
    )


def member(cluster: Cluster, name: str, **overrides: object) -> Consumer:
    config = ConsumerConfig(
        group_id="billing",
        client_id=name,
        auto_offset_reset="earliest",
        session_timeout_ms=10_000,
        **overrides,
    )  # type: ignore[arg-type]
    consumer = Consumer(cluster, config)
    consumer.subscribe(["orders"])
    return consumer


async def poll_all(cluster: Cluster, consumers: list[Consumer]) -> None:
    """Every consumer polls once, concurrently (a rebalance waits for all of them)."""
    polls = [asyncio.ensure_future(c.poll(0)) for c in consumers]
    await cluster.advance_until(lambda: all(p.done() for p in polls), limit_ms=120_000)
    for p in polls:
        p.result()


async def test_more_consumers_than_partitions_leaves_some_idle(cluster: Cluster) -> None:
    # The seed: as many consumers as partitions is best; the extra ones get nothing
    # (each partition is read by exactly one member of the group).
    await cluster.create_topic("orders", 3, 3)
    consumers = [member(cluster, name, partition_assignment_strategy=("roundrobin",)) for name in "abcd"]
    await poll_all(cluster, consumers)
    owned = sorted(tp for c in consumers for tp in c.assignment())
    assert owned == [("orders", 0), ("orders", 1), ("orders", 2)]
    assert sorted(len(c.assignment()) for c in consumers) == [0, 1, 1, 1]
    described = await cluster.describe_group("billing")
    assert described is not None and described.state is GroupState.STABLE
    assert len(described.members) == 4  # the idle one is still a member, ready to take over


async def test_members_share_partitions_and_rebalance_when_one_joins_or_leaves(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("orders", 6, 3)
    a, b = member(cluster, "a"), member(cluster, "b")
    await poll_all(cluster, [a, b])
    first = {c.config.client_id: sorted(p for _, p in c.assignment()) for c in (a, b)}
    assert sorted(first["a"] + first["b"]) == list(range(6)) and len(first["a"]) == len(first["b"]) == 3
    desc = await cluster.describe_group("billing")
    assert desc is not None and desc.state is GroupState.STABLE and desc.protocol == "range"

    c = member(cluster, "c")
    joining = asyncio.ensure_future(c.poll(0))
    # a and b learn of the rebalance from their heartbeats and rejoin on their next poll
    await cluster.advance_until(lambda: a.membership.needs_join and b.membership.needs_join)  # type: ignore[union-attr]
    await poll_all(cluster, [a, b])
    await cluster.advance_until(joining.done)
    assert sorted(len(x.assignment()) for x in (a, b, c)) == [2, 2, 2]
    generation = (await cluster.describe_group("billing")).generation_id  # type: ignore[union-attr]

    await c.close()  # a graceful close leaves at once: a rebalance gives its partitions back
    await cluster.advance_until(lambda: a.membership.needs_join and b.membership.needs_join)  # type: ignore[union-attr]
    await poll_all(cluster, [a, b])
    assert sorted(len(x.assignment()) for x in (a, b)) == [3, 3]
    assert (await cluster.describe_group("billing")).generation_id == generation + 1  # type: ignore[union-attr]
    await a.close()
    await b.close()
    assert (await cluster.describe_group("billing")).state is GroupState.EMPTY  # type: ignore[union-attr]


async def test_a_crashed_member_is_dropped_after_its_session_timeout(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("orders", 4, 3)
    a, b = member(cluster, "a"), member(cluster, "b")
    await poll_all(cluster, [a, b])
    b.membership._heartbeats.cancel()  # type: ignore[union-attr]  # b dies without a word
    took = await cluster.advance_until(lambda: a.membership.needs_join)  # type: ignore[union-attr]
    assert took <= 10_000 + 3_000 + 1_000  # session.timeout.ms, then a's next heartbeat
    await poll_all(cluster, [a])
    assert len(a.assignment()) == 4


async def test_group_members_commit_and_a_successor_resumes(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("orders", 2, 3)
    async with fast_producer(cluster, acks="all") as producer:
        for i in range(10):
            await producer.send_and_wait("orders", f"o{i}", partition=i % 2)
    a = member(cluster, "a")
    seen: list[int] = []
    polling = asyncio.ensure_future(a.poll(0))
    await cluster.advance_until(polling.done)
    seen += [r.offset for r in polling.result()]
    while batch := await a.poll(0):
        seen += [r.offset for r in batch]
    assert len(seen) == 10
    await a.close()  # commits, then leaves
    lag = {tp: v.offset for tp, v in (await cluster.fetch_offsets("billing")).items()}
    assert lag == {("orders", 0): 5, ("orders", 1): 5}
    b = member(cluster, "b")
    polling = asyncio.ensure_future(b.poll(0))
    await cluster.advance_until(polling.done)
    assert polling.result() == []  # nothing new after the committed offsets
    await b.close()


def test_subscribing_needs_a_group_and_eager_assignors(cluster: Cluster) -> None:
    with pytest.raises(KafkaError, match=r"group\.id"):
        Consumer(cluster).subscribe(["x"])


async def test_cooperative_rebalance_never_lets_two_members_read_one_partition(
    cluster: Cluster, clock: ManualClock
) -> None:
    """KIP-429: members keep what does not move; moved partitions are revoked first and
    handed over in a follow-up rebalance."""
    await cluster.create_topic("orders", 6, 3)
    coop = {"partition_assignment_strategy": ("cooperative-sticky",)}
    a, b = member(cluster, "a", **coop), member(cluster, "b", **coop)
    await poll_all(cluster, [a, b])
    kept_a = set(a.assignment())
    assert len(kept_a) == 3
    c = member(cluster, "c", **coop)
    consumers = [a, b, c]
    polling = {id(x): asyncio.ensure_future(x.poll(0)) for x in consumers}
    generations = set()
    for _ in range(400):  # every consumer keeps polling; check ownership at every step
        owned = [tp for x in consumers for tp in x.assignment()]
        assert len(owned) == len(set(owned)), "a partition is assigned to two members"
        assert len(set(a.assignment()) & kept_a) >= 2  # a never gives up everything
        for x in consumers:
            if polling[id(x)].done():
                polling[id(x)].result()
                polling[id(x)] = asyncio.ensure_future(x.poll(0))
        await cluster.settle()
        await clock.advance(250)
        await cluster.settle()
        desc = await cluster.describe_group("billing")
        generations.add(desc.generation_id)  # type: ignore[union-attr]
        if sorted(len(x.assignment()) for x in consumers) == [2, 2, 2] and not any(
            x.membership.needs_join
            for x in consumers  # type: ignore[union-attr]
        ):
            break
    assert sorted(len(x.assignment()) for x in consumers) == [2, 2, 2]
    assert (await cluster.describe_group("billing")).protocol == "cooperative-sticky"  # type: ignore[union-attr]
    assert len(generations) >= 2  # the join, then the follow-up that hands over the moved ones
    for task in polling.values():
        await task


async def test_a_member_that_stops_polling_leaves_after_max_poll_interval(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("orders", 4, 3)
    a = member(cluster, "a", max_poll_interval_ms=20_000)
    b = member(cluster, "b", max_poll_interval_ms=20_000)
    await poll_all(cluster, [a, b])
    # b's application hangs (heartbeats go on, polls stop); a keeps polling.
    for _ in range(30):
        await poll_all(cluster, [a])
        await clock.advance(1_000)
        await cluster.settle()
        if b.membership.poll_timeouts:  # type: ignore[union-attr]
            break
    assert b.membership.poll_timeouts == 1  # type: ignore[union-attr]
    await cluster.advance_until(lambda: a.membership.needs_join)  # type: ignore[union-attr]
    await poll_all(cluster, [a])
    assert len(a.assignment()) == 4
    desc = await cluster.describe_group("billing")
    assert desc is not None and [m.client_id for m in desc.members] == ["a"]


async def test_commits_are_checked_against_the_group(cluster: Cluster, clock: ManualClock) -> None:
    """OffsetCommit from outside an active group, or from an old generation, is refused."""
    from kafkatui.common.errors import ErrorCode
    from kafkatui.engine.coordinator.group.coordinator import OffsetAndMetadata

    await cluster.create_topic("orders", 2, 3)
    a = member(cluster, "a")
    await poll_all(cluster, [a])
    generation = a.membership.generation_id  # type: ignore[union-attr]
    offsets = {("orders", 0): OffsetAndMetadata(1)}
    with pytest.raises(KafkaError) as info:
        await cluster.commit_offsets("billing", offsets)  # an admin while a member is active
    assert info.value.code is ErrorCode.UNKNOWN_MEMBER_ID
    with pytest.raises(KafkaError) as info:
        await cluster.commit_offsets(
            "billing",
            offsets,
            generation_id=generation - 1,
            member_id=a.membership.member_id,  # type: ignore[union-attr]
        )
    assert info.value.code is ErrorCode.ILLEGAL_GENERATION
    await cluster.commit_offsets(
        "billing", offsets, generation_id=generation, member_id=a.membership.member_id
    )  # type: ignore[union-attr]
    await a.close()
    await cluster.commit_offsets("billing", {("orders", 0): OffsetAndMetadata(2)})  # Empty again: allowed
