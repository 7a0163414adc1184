"""Follower replication: each follower replica fetches from its leader, in process.

Kafka's `ReplicaFetcherThread`, one task per followed partition: fetch from the
leader at this replica's log end offset, append what comes back with its offsets,
take the high watermark from the response, repeat. The fetch offset tells the leader
how far this follower has got, which is how the leader computes the high watermark.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kafkatui.common.clock import Clock
from kafkatui.common.errors import KafkaError
from kafkatui.engine.log.partition_log import PartitionLog
from kafkatui.engine.server.network import Network

# replica.fetch.max.bytes (replica.fetch.wait.max.ms and .backoff.ms are in BrokerDefaults).
REPLICA_FETCH_MAX_BYTES = 1_048_576


@dataclass(frozen=True)
class ReplicaFetchResult:
    """The leader's answer to a follower: batches from the fetch offset, and its HW."""

    batches: list[bytes]
    high_watermark: int
    log_start_offset: int


class LeaderEndPoint(Protocol):
    """The leader a follower fetches from (Kafka's `LeaderEndPoint`, which
    `ReplicaFetcherThread` uses): its log from an offset, and where an epoch ends in it.
    `Broker` is one."""

    async def fetch_as_follower(
        self, topic: str, partition: int, *, replica_id: int, fetch_offset: int, max_wait_ms: int
    ) -> ReplicaFetchResult: ...

    async def end_offset_for_epoch(self, topic: str, partition: int, epoch: int) -> tuple[int, int]: ...


class ReplicaFetcher:
    """Keeps one follower replica copying its leader's log until cancelled."""

    def __init__(
        self,
        broker_id: int,
        topic: str,
        partition: int,
        log: PartitionLog,
        leader_id: int,
        peers: Callable[[int], LeaderEndPoint | None],
        clock: Clock,
        network: Network,
        fetch_wait_max_ms: int,
        fetch_backoff_ms: int,
    ) -> None:
        self.broker_id = broker_id
        self.topic = topic
        self.partition = partition
        self.log = log
        self.leader_id = leader_id
        self._peers = peers
        self._clock = clock
        self._network = network
        self._fetch_wait_max_ms = fetch_wait_max_ms
        self._fetch_backoff_ms = fetch_backoff_ms
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.ensure_future(self.run())

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def run(self) -> None:
        truncated = False
        while True:
            leader = self._peers(self.leader_id)
            if leader is None:
                await self._clock.sleep(self._fetch_backoff_ms / 1000)
                continue
            try:
                delay = self._network.latency_ms(self.broker_id, self.leader_id)
                if delay > 0:  # the round trip to the leader, as configured for this link
                    await self._clock.sleep(delay / 1000)
                if not self._network.delivers(self.broker_id, self.leader_id):
                    # Cut or lost on the way: the request times out and is retried.
                    await self._clock.sleep(self._fetch_backoff_ms / 1000)
                    continue
                if not truncated:
                    await self._truncate(leader)
                    truncated = True
                result = await leader.fetch_as_follower(
                    self.topic,
                    self.partition,
                    replica_id=self.broker_id,
                    fetch_offset=self.log.log_end_offset,
                    max_wait_ms=self._fetch_wait_max_ms,
                )
                await self.log.append_as_follower(result.batches)
                self.log.advance_high_watermark(min(result.high_watermark, self.log.log_end_offset))
            except KafkaError:
                # Leader gone or moved: back off and ask the metadata again (Kafka's
                # replica.fetch.backoff.ms); the broker restarts fetchers on leader changes.
                await self._clock.sleep(self._fetch_backoff_ms / 1000)

    async def _truncate(self, leader: LeaderEndPoint) -> None:
        """Before fetching from a (new) leader, drop what it never had (KIP-101/KIP-279):
        ask where this replica's last epoch ends in the leader's log, cut there."""
        await self.log.quiesce()  # a leader append of the epoch before must land first
        epoch = await self.log.last_epoch()
        if epoch < 0:
            return
        leader_epoch, end = await leader.end_offset_for_epoch(self.topic, self.partition, epoch)
        if leader_epoch != epoch:
            # The leader never had our last epoch (KIP-279): both logs agree only up to
            # where the last epoch they share ends in each of them.
            _, own_end = await self.log.end_offset_for_epoch(leader_epoch)
            end = min(end, own_end)
        await self.log.truncate_to(min(end, self.log.log_end_offset))
