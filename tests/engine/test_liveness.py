"""Heartbeats, session timeouts, controller failover, ISR shrink by lag, links, elections.

All on the manual clock with Kafka's default timers (heartbeat 2 s, session 9 s,
election 1 s, replica.lag.time.max.ms 30 s, leader imbalance check 300 s).
"""

from __future__ import annotations

import asyncio

import pytest

from kafkatui.common.clock import ManualClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import (
    BrokerFenced,
    BrokerUnfenced,
    ControllerElected,
    IsrExpanded,
    IsrShrunk,
    LeaderElected,
)
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.log.records import Record, encode_batch
from tests.conftest import crash_broker, fast_producer
from tests.engine.test_produce_consume import read_all
from tests.engine.test_replication import replica_bytes

SESSION_MS = 9_000
HEARTBEAT_MS = 2_000
ELECTION_MS = 1_000


def partition_led_by_non_controller(cluster: Cluster, topic: str) -> tuple[int, int, int]:
    """(partition, leader, follower) where neither leader nor follower is the controller."""
    for p in cluster.describe_topic(topic).partitions:
        others = [b for b in p.replicas if b != cluster.controller_id]
        if p.leader in others and len(others) >= 2:
            follower = next(b for b in others if b != p.leader)
            return p.partition, p.leader, follower
    raise AssertionError("no such partition")


async def test_a_crash_is_noticed_only_after_the_session_timeout(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("t", 3, 3)
    victim = next(b for b in cluster.brokers if b != cluster.controller_id)
    led = [p.partition for p in cluster.describe_topic("t").partitions if p.leader == victim]
    assert led
    fenced = cluster.bus.subscribe(BrokerFenced)
    await cluster.stop_broker(victim, crash=True)
    assert cluster.broker_state(victim) == "crashed"
    await clock.advance(SESSION_MS - HEARTBEAT_MS)
    await cluster.settle()
    # Not yet: the controller still waits for heartbeats, leadership has not moved.
    assert cluster.broker_state(victim) == "crashed"
    assert all(cluster.describe_topic("t").partitions[p].leader == victim for p in led)
    took = await cluster.advance_until(lambda: cluster.broker_state(victim) == "stopped")
    assert took <= 2 * HEARTBEAT_MS + cluster.quorum.tick_ms
    assert all(cluster.describe_topic("t").partitions[p].leader not in (victim, -1) for p in led)
    [event] = fenced.drain()
    assert event.broker_id == victim and "broker.session.timeout.ms=9000" in event.reason  # type: ignore[attr-defined]


async def test_the_controller_role_moves_when_its_broker_dies(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 3, 3)
    old = cluster.controller_id
    assert old == 1
    elected = cluster.bus.subscribe(ControllerElected)
    await cluster.stop_broker(old, crash=True)
    assert cluster.controller_id == -1
    with pytest.raises(KafkaError) as info:
        await cluster.create_topic("u", 1, 1)
    assert info.value.code is ErrorCode.NOT_CONTROLLER
    took = await cluster.advance_until(lambda: cluster.controller_id != -1)
    assert ELECTION_MS <= took <= ELECTION_MS + cluster.quorum.tick_ms
    assert cluster.controller_id == 2
    # The new controller gives everyone a fresh session, then fences the silent one.
    await cluster.advance_until(lambda: cluster.broker_state(old) == "stopped")
    events = elected.drain()
    assert [(e.controller_id, e.previous) for e in events] == [(-1, 1), (2, -1)]  # type: ignore[attr-defined]
    assert all(p.leader != old for p in cluster.describe_topic("t").partitions)
    await cluster.create_topic("u", 1, 1)  # admin works again


async def test_a_graceful_stop_hands_the_controller_role_over_at_once(cluster: Cluster) -> None:
    await cluster.stop_broker(cluster.controller_id)
    assert cluster.controller_id == 2
    await cluster.start_broker(1)
    assert cluster.controller_id == 2  # no reason to move back


async def test_the_last_broker_standing_still_runs_the_cluster(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 1, 3)
    await cluster.stop_broker(1)
    await cluster.stop_broker(2)
    assert cluster.controller_id == 3
    assert cluster.describe_topic("t").partitions[0].leader == 3
    await cluster.stop_broker(3)
    assert cluster.controller_id == -1
    await cluster.start_broker(2)  # out of sync with 3's last writes? nothing written: leads
    assert cluster.controller_id == 2


async def test_a_lagging_follower_leaves_the_isr_and_rejoins_after_healing(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("t", 3, 3, configs={"min.insync.replicas": "2"})
    partition, leader, follower = partition_led_by_non_controller(cluster, "t")
    shrunk = cluster.bus.subscribe(IsrShrunk)
    expanded = cluster.bus.subscribe(IsrExpanded)
    cluster.cut_link(leader, follower)
    async with fast_producer(cluster, acks="all") as producer:
        future = await producer.send("t", "while cut", partition=partition)
        # acks=all waits: the cut follower is still in the ISR until it lags too long.
        took = await cluster.advance_until(lambda: future.done())
        assert 30_000 <= took <= 30_000 + 15_000 + cluster.quorum.tick_ms  # replica.lag.time.max.ms
        assert future.exception() is None
        [event] = [e for e in shrunk.drain() if e.partition == partition]  # type: ignore[attr-defined]
        assert event.removed == (follower,)  # type: ignore[attr-defined]
        assert cluster.broker_state(follower) == "running"  # it still heartbeats: not fenced
        await producer.send_and_wait("t", "fast again", partition=partition)  # ISR of 2 is enough
        cluster.heal_link(leader, follower)
        await cluster.advance_until(lambda: follower in cluster.describe_topic("t").partitions[partition].isr)
    assert [e.added for e in expanded.drain() if e.partition == partition] == [follower]  # type: ignore[attr-defined]
    await cluster.advance_until(
        lambda: (
            len({s.log_end_offset for s in cluster.describe_topic("t").partitions[partition].replica_states})
            == 1
        )
    )
    assert len(set((await replica_bytes(cluster, "t", partition)).values())) == 1


async def test_a_broker_cut_off_from_the_controller_is_fenced_and_returns(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("t", 3, 3)
    controller = cluster.controller_id
    isolated = next(b for b in cluster.brokers if b != controller)
    unfenced = cluster.bus.subscribe(BrokerUnfenced)
    cluster.cut_link(isolated, controller)
    await cluster.advance_until(lambda: cluster.broker_state(isolated) == "fenced")
    assert all(p.leader != isolated and isolated not in p.isr for p in cluster.describe_topic("t").partitions)
    cluster.heal_link(isolated, controller)
    await cluster.advance_until(lambda: cluster.broker_state(isolated) == "running")
    assert [e.broker_id for e in unfenced.drain()] == [isolated]  # type: ignore[attr-defined]
    await cluster.advance_until(
        lambda: all(isolated in p.isr for p in cluster.describe_topic("t").partitions)
    )


async def test_a_controller_cut_off_from_everyone_steps_down(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 3, 3)
    controller = cluster.controller_id
    led = [p.partition for p in cluster.describe_topic("t").partitions if p.leader == controller]
    assert led  # one leader per broker: the controller's broker leads one of them
    elected = cluster.bus.subscribe(ControllerElected)
    for b in cluster.brokers:
        if b != controller:
            cluster.cut_link(controller, b)
    took = await cluster.advance_until(lambda: cluster.controller_id not in (-1, controller))
    # The others notice after controller.quorum.election.timeout.ms without it.
    assert took >= cluster.defaults.controller_quorum_election_timeout_ms
    successor = cluster.controller_id
    taken = [e.controller_id for e in elected.drain() if e.controller_id != -1]  # type: ignore[attr-defined]
    assert taken == [successor]
    await cluster.advance_until(lambda: cluster.broker_state(controller) == "fenced")
    # Fenced by its successor: it leads nothing and is in no ISR, so its partitions
    # moved to in-sync replicas that the new controller can hear.
    partitions = cluster.describe_topic("t").partitions
    assert all(p.leader not in (-1, controller) and controller not in p.isr for p in partitions)


async def test_preferred_leader_election_moves_leadership_back(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 3, 3)
    await cluster.stop_broker(2)
    await cluster.start_broker(2)
    await cluster.advance_until(lambda: all(2 in p.isr for p in cluster.describe_topic("t").partitions))
    moved_away = [p.partition for p in cluster.describe_topic("t").partitions if p.replicas[0] == 2]
    assert moved_away and all(cluster.describe_topic("t").partitions[p].leader != 2 for p in moved_away)
    results = await cluster.elect_leaders("preferred")
    assert {k for k, v in results.items() if v is None} == {("t", p) for p in moved_away}
    assert {v.code for v in results.values() if v is not None} == {ErrorCode.ELECTION_NOT_NEEDED}
    assert all(p.leader == p.replicas[0] for p in cluster.describe_topic("t").partitions)


async def test_preferred_election_refuses_a_leader_out_of_the_isr(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("t", 1, 3)
    preferred = cluster.describe_topic("t").partitions[0].replicas[0]
    await cluster.stop_broker(preferred)
    results = await cluster.elect_leaders("preferred", [("t", 0), ("nope", 0)])
    assert results[("t", 0)].code is ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE  # type: ignore[union-attr]
    assert results[("nope", 0)].code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION  # type: ignore[union-attr]


async def test_auto_leader_rebalance_after_the_imbalance_check(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 3, 3)
    await cluster.stop_broker(3)
    await cluster.start_broker(3)
    assert any(p.leader != p.replicas[0] for p in cluster.describe_topic("t").partitions)
    # auto.leader.rebalance.enable: every leader.imbalance.check.interval.seconds (300)
    took = await cluster.advance_until(
        lambda: all(p.leader == p.replicas[0] for p in cluster.describe_topic("t").partitions),
        limit_ms=400_000,
    )
    assert took <= 300_000


async def test_lossy_link_still_replicates_everything(cluster: Cluster, clock: ManualClock) -> None:
    await cluster.create_topic("t", 1, 3)
    [p] = cluster.describe_topic("t").partitions
    for follower in p.replicas[1:]:
        cluster.set_loss(p.leader, follower, 0.5)
    async with fast_producer(cluster, acks="1") as producer:
        for i in range(20):
            await producer.send_and_wait("t", f"v{i}")
    await cluster.advance_until(lambda: cluster.describe_topic("t").partitions[0].high_watermark == 20)
    assert len(set((await replica_bytes(cluster, "t", 0)).values())) == 1
    assert [r.value for r in await read_all(cluster, "t")] == [f"v{i}".encode() for i in range(20)]


async def test_a_quick_restart_is_a_new_incarnation(cluster: Cluster, clock: ManualClock) -> None:
    """Back before its session expired: the controller fences the old incarnation, so its
    partitions get a new leader epoch (followers truncate against it)."""
    await cluster.create_topic("t", 1, 3)
    [before] = cluster.describe_topic("t").partitions
    elected = cluster.bus.subscribe(LeaderElected)
    await cluster.stop_broker(before.leader, crash=True)
    await cluster.start_broker(before.leader)
    [after] = cluster.describe_topic("t").partitions
    assert after.leader_epoch > before.leader_epoch
    assert elected.drain()


async def test_links_are_validated_and_listed(cluster: Cluster) -> None:
    with pytest.raises(KafkaError, match="two different brokers"):
        cluster.cut_link(1, 1)
    with pytest.raises(KafkaError, match="no broker 9"):
        cluster.cut_link(1, 9)
    cluster.cut_link(3, 1)
    cluster.set_latency(40, 2, 3)
    assert [(link.a, link.b, link.cut, link.latency_ms) for link in cluster.network.links()] == [
        (1, 3, True, 0),
        (2, 3, False, 40),
    ]
    cluster.heal_link(1, 3)
    assert [(link.a, link.b) for link in cluster.network.links()] == [(2, 3)]


async def test_crash_broker_helper_reports_the_wait(cluster: Cluster, clock: ManualClock) -> None:
    took = await crash_broker(cluster, clock, 3)
    assert SESSION_MS <= took <= SESSION_MS + HEARTBEAT_MS + cluster.quorum.tick_ms


def one_record(value: str, now_ms: int) -> bytes:
    return encode_batch([Record(0, now_ms, None, value.encode(), ())])


async def test_acks_all_times_out_when_the_isr_shrinks_below_min_insync_before_it_is_covered(
    cluster: Cluster, clock: ManualClock
) -> None:
    """KIP-966: below min.insync.replicas the high watermark stops (the replicas that left
    the ISR, its eligible leader replicas, hold everything under it), so the record is
    never covered and Kafka's DelayedProduce times out; no consumer sees it either."""
    await cluster.create_topic("t", 3, 3, configs={"min.insync.replicas": "2"})
    # Broker 2 leads; 3 cannot fetch from it; 1 (the controller) dies and 2 takes over
    # the role. The ISR shrinks to 2 alone: first 1 (session timeout), then 3 (lag).
    p = next(p for p in cluster.describe_topic("t").partitions if p.leader == 2)
    cluster.cut_link(2, 3)
    await cluster.stop_broker(1, crash=True)
    data = one_record("x", clock.now_ms())
    request = asyncio.ensure_future(cluster.brokers[2].produce("t", p.partition, data, acks=-1))
    await cluster.advance_until(request.done)
    with pytest.raises(KafkaError) as info:
        request.result()
    assert info.value.code is ErrorCode.REQUEST_TIMED_OUT
    now = cluster.describe_topic("t").partitions[p.partition]
    assert now.isr == (p.leader,)
    assert (now.log_end_offset, now.high_watermark) == (1, 0)
    assert now.eligible_leader_replicas == (3,)  # 1 left first, while the ISR was still at 2


async def test_acks_all_fails_when_leadership_moves_before_it_is_covered(
    cluster: Cluster, clock: ManualClock
) -> None:
    await cluster.create_topic("t", 1, 3, configs={"min.insync.replicas": "2"})
    [p] = cluster.describe_topic("t").partitions
    for follower in p.replicas[1:]:
        cluster.set_latency(1_000, p.leader, follower)
    leader = cluster.brokers[p.leader]
    request = asyncio.ensure_future(leader.produce("t", 0, one_record("x", clock.now_ms()), acks=-1))
    await cluster.settle()
    await cluster.stop_broker(p.leader)  # controlled shutdown: leadership moves at once
    await cluster.advance_until(request.done)
    with pytest.raises(KafkaError) as info:
        request.result()
    assert info.value.code in (ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NETWORK_EXCEPTION)


async def test_latency_and_loss_are_validated(cluster: Cluster) -> None:
    with pytest.raises(KafkaError, match="no broker 7"):
        cluster.set_latency(10, 1, 7)
    with pytest.raises(KafkaError, match="0 ms or more"):
        cluster.set_latency(-1, 1, 2)
    with pytest.raises(KafkaError, match="fraction from 0 to 1"):
        cluster.set_loss(1, 2, 1.5)
    with pytest.raises(KafkaError, match="two different brokers"):
        cluster.set_latency(10, 2, 2)


async def test_a_controlled_shutdown_needs_the_controller(cluster: Cluster) -> None:
    await cluster.stop_broker(1, crash=True)  # the controller: no one holds the role now
    with pytest.raises(KafkaError) as info:
        await cluster.stop_broker(2)
    assert info.value.code is ErrorCode.NOT_CONTROLLER
    assert cluster.brokers[2].running
