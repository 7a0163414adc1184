"""Timestamp interleaving across a task's partitions (Kafka's PartitionGroup): the head
record with the lowest timestamp goes first; a partition with nothing buffered is
waited for while records may be on the way, and for max.task.idle.ms once caught up.
On the cluster, on a ManualClock: a task reading two topics processes their records in
timestamp order whatever order the fetch brought them in, and max.task.idle.ms holds a
lone partition's records back for that long of the cluster's time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.ecosystem.streams import StreamsBuilder
from kafkatui.ecosystem.streams.partition_group import MAX_TASK_IDLE_MS_DISABLED, PartitionGroup
from kafkatui.ecosystem.streams.runtime import RUNNING, KafkaStreams
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults

A, B = ("left", 0), ("right", 0)


class Rec(NamedTuple):
    timestamp: int
    name: str


def drain(group: PartitionGroup, now: int = 0, caught_up: Callable[[Any], bool] = lambda tp: True) -> list:
    out = []
    while group.ready(now, caught_up):
        out.append(group.next())
    return out


@given(
    st.lists(st.integers(0, 1000), max_size=30),
    st.lists(st.integers(0, 1000), max_size=30),
)
def test_records_come_out_in_timestamp_order_across_partitions(left: list[int], right: list[int]) -> None:
    group = PartitionGroup([A, B], 0)
    for ts in sorted(left):
        group.add(A, Rec(ts, "a"))
    for ts in sorted(right):
        group.add(B, Rec(ts, "b"))
    out = drain(group)
    assert [r.timestamp for r in out] == sorted(left + right)
    assert group.buffered() == 0


def test_a_partition_not_caught_up_is_waited_for_then_idle_for_max_task_idle_ms() -> None:
    group = PartitionGroup([A, B], 500)
    group.add(A, Rec(10, "a1"))
    group.add(A, Rec(20, "a2"))
    assert drain(group, 0, lambda tp: False) == []  # right's lag unknown: its records may come
    assert drain(group, 100, lambda tp: True) == []  # caught up: idle from 100 until 600
    assert drain(group, 599) == []
    assert [r.name for r in drain(group, 600)] == ["a1", "a2"]
    assert group.enforced == 2
    group.add(B, Rec(5, "b1"))  # right has something again: its idle time starts over
    group.add(A, Rec(30, "a3"))
    assert [r.name for r in drain(group, 700)] == ["b1"]
    assert drain(group, 700) == [] and [r.name for r in drain(group, 1200)] == ["a3"]


def test_max_task_idle_ms_disabled_never_waits_and_zero_waits_only_for_lag() -> None:
    group = PartitionGroup([A, B], MAX_TASK_IDLE_MS_DISABLED)
    group.add(A, Rec(10, "a1"))
    assert [r.name for r in drain(group, 0, lambda tp: False)] == ["a1"]
    group = PartitionGroup([A, B], 0)
    group.add(A, Rec(10, "a1"))
    assert drain(group, 0, lambda tp: False) == []
    assert [r.name for r in drain(group, 0, lambda tp: True)] == ["a1"]
    assert drain(group, 0) == []  # nothing buffered: not ready


# --- on the cluster ---------------------------------------------------------------------


@pytest.fixture
async def backend() -> AsyncIterator[EmbeddedBackend]:
    defaults = BrokerDefaults(group_initial_rebalance_delay_ms=0)
    cluster = await Cluster.open(None, brokers=1, clock=ManualClock(), seed=3, defaults=defaults)
    try:
        yield EmbeddedBackend(cluster)
    finally:
        await cluster.close()


async def run_until(clock: ManualClock, condition: Callable[[], bool], what: str, rounds: int = 400) -> None:
    """Cluster time moves 50 ms a round: the stream thread's polls, heartbeats, commits."""
    for _ in range(rounds):
        if condition():
            return
        await clock.advance(50)
    raise AssertionError(f"never saw {what} in {rounds * 50} ms of cluster time")


async def produce(backend: EmbeddedBackend, topic: str, stamped: list[tuple[int, str]]) -> None:
    producer = backend.producer(ProducerConfig(linger_ms=0))
    for ts, value in stamped:
        await producer.send(topic, value.encode(), key=b"k", timestamp=ts)
    await producer.flush()
    await producer.close()


def merged(backend: EmbeddedBackend, tmp_path: Path, seen: list[str], **config: object) -> KafkaStreams:
    """One source over both topics: one sub-topology, task 0_0 reads left-0 and right-0."""
    builder = StreamsBuilder()
    builder.stream("left", "right").peek(lambda k, v: seen.append(v))
    settings = {"application.id": "interleave", "state.dir": str(tmp_path), "commit.interval.ms": 100}
    return KafkaStreams(builder.build(), settings | config, backend)


async def test_a_task_reads_its_two_topics_in_timestamp_order(
    backend: EmbeddedBackend, tmp_path: Path
) -> None:
    for topic in ("left", "right"):
        await backend.create_topic(topic, 1, 1)
    base = backend.clock.now_ms()
    # All of left is fetched before all of right: poll order is l1 l3 l5 r2 r4.
    await produce(backend, "left", [(base + 1, "l1"), (base + 3, "l3"), (base + 5, "l5")])
    await produce(backend, "right", [(base + 2, "r2"), (base + 4, "r4")])
    seen: list[str] = []
    streams = merged(backend, tmp_path, seen)
    await streams.start()
    try:
        clock = backend.clock
        assert isinstance(clock, ManualClock)
        await run_until(clock, lambda: len(seen) == 5, "the five records")
        assert seen == ["l1", "r2", "l3", "r4", "l5"]
        assert streams.tasks["0_0"].stream_time == base + 5
    finally:
        await streams.close()


async def test_max_task_idle_ms_holds_a_lone_partition_back(backend: EmbeddedBackend, tmp_path: Path) -> None:
    for topic in ("left", "right"):
        await backend.create_topic(topic, 1, 1)
    clock = backend.clock
    assert isinstance(clock, ManualClock)
    seen: list[str] = []
    streams = merged(backend, tmp_path, seen, **{"max.task.idle.ms": 2000})
    await streams.start()
    try:
        await run_until(clock, lambda: streams.state == RUNNING and "0_0" in streams.tasks, "the task")
        await produce(backend, "left", [(clock.now_ms(), "alone")])
        fetched = clock.now_ms()
        await run_until(clock, lambda: streams._groups["0_0"].buffered() == 1, "the record fetched")
        # right has nothing: the task waits max.task.idle.ms for it, then goes on without it.
        await run_until(clock, lambda: clock.now_ms() - fetched >= 1500, "1.5 s")
        assert seen == []
        await run_until(clock, lambda: seen == ["alone"], "the record processed after 2 s")
        assert clock.now_ms() - fetched >= 2000
        assert streams._groups["0_0"].enforced == 1
    finally:
        await streams.close()
