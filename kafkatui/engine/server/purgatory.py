"""Requests that wait on a broker until something happens or their time runs out: Kafka's
`DelayedProduce` and `DelayedFetch`, kept in its `DelayedOperationPurgatory`.

Each waits on the events its partitions' logs set when their high watermark (or leadership)
moves, checks whether it can be answered now (`try_complete`, Kafka's `tryComplete`), and
otherwise sleeps on the engine's clock until its deadline (`onExpiration`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kafkatui.common.clock import Clock, wait_event
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.partition_log import PartitionLog
from kafkatui.engine.metadata.image import PartitionInfo
from kafkatui.engine.server.requests import FetchedPartition


class LeaderHost(Protocol):
    """The broker a delayed produce waits on: whether it runs, and the partition as its
    metadata says now. `ReplicaManager` is one."""

    broker_id: int
    running: bool

    def partition_state(self, topic: str, partition: int) -> PartitionInfo | None: ...


@dataclass(frozen=True)
class DelayedProduce:
    """An acks=all produce of one batch, answered once the high watermark covers it.

    Fails with NOT_LEADER_OR_FOLLOWER if the broker stops leading the partition meanwhile
    (the batch may be truncated away by the new leader), with
    NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below min.insync.replicas before it
    was covered, and with REQUEST_TIMED_OUT after request.timeout.ms."""

    host: LeaderHost
    clock: Clock
    topic: str
    partition: int
    log: PartitionLog
    required_offset: int  # the batch's last offset + 1: the HW must reach it
    leader_epoch: int  # the epoch the batch was appended in
    min_insync_replicas: int
    timeout_ms: int

    def try_complete(self) -> bool:
        """True once the batch is replicated; raises the error the produce is answered
        with (Kafka's `Partition.checkEnoughReplicasReachOffset`)."""
        host, topic, partition, needed = self.host, self.topic, self.partition, self.required_offset
        if not host.running:
            raise KafkaError(
                ErrorCode.NETWORK_EXCEPTION,
                f"broker {host.broker_id} went away before {topic}-{partition} was replicated",
            )
        part = host.partition_state(topic, partition)
        if part is None or part.leader != host.broker_id or part.leader_epoch != self.leader_epoch:
            raise KafkaError(
                ErrorCode.NOT_LEADER_OR_FOLLOWER,
                f"broker {host.broker_id} lost the leadership of {topic}-{partition} before "
                f"offset {needed - 1} was replicated",
            )
        if self.log.high_watermark >= needed:
            if len(part.isr) < self.min_insync_replicas:
                raise KafkaError(
                    ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                    f"{topic}-{partition}: the ISR shrank to {len(part.isr)} replica(s), fewer than "
                    f"min.insync.replicas={self.min_insync_replicas}, before offset {needed - 1} "
                    "was replicated",
                )
            return True
        return False

    async def wait(self) -> None:
        """Wait until `try_complete` answers, or REQUEST_TIMED_OUT at the deadline."""
        moved = asyncio.Event()
        self.log.add_waiter(moved)
        deadline = self.clock.now_ms() + self.timeout_ms
        try:
            while not self.try_complete():
                remaining = deadline - self.clock.now_ms()
                if remaining <= 0 or not await wait_event(self.clock, moved, remaining / 1000):
                    raise KafkaError(
                        ErrorCode.REQUEST_TIMED_OUT,
                        f"{self.topic}-{self.partition}: in-sync replicas did not acknowledge offset "
                        f"{self.required_offset - 1} within request.timeout.ms={self.timeout_ms}",
                    )
                moved.clear()
        finally:
            self.log.remove_waiter(moved)


@dataclass(frozen=True)
class DelayedFetch:
    """A fetch that found less than its min bytes: it reads again each time a high
    watermark of its partitions moves, until it has them, a partition has an error, or
    its max wait is over (then it answers with what there is)."""

    clock: Clock
    logs: Sequence[PartitionLog]  # the replicas it reads, whose high watermarks wake it
    min_bytes: int
    max_wait_ms: int
    read: Callable[[], Awaitable[list[FetchedPartition]]]

    def try_complete(self, results: list[FetchedPartition]) -> bool:
        return any(r.error for r in results) or sum(r.size for r in results) >= self.min_bytes

    async def wait(self, results: list[FetchedPartition]) -> list[FetchedPartition]:
        """Long-poll from the first read's `results`; the last read's when it returns."""
        moved = asyncio.Event()
        for log in self.logs:
            log.add_waiter(moved)
        try:
            deadline = self.clock.now_ms() + self.max_wait_ms
            while not self.try_complete(results):
                remaining = deadline - self.clock.now_ms()
                if remaining <= 0 or not await wait_event(self.clock, moved, remaining / 1000):
                    break
                moved.clear()
                results = await self.read()
        finally:
            for log in self.logs:
                log.remove_waiter(moved)
        return results
