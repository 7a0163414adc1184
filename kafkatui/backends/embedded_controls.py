"""What only the owner of the brokers can do to them, over kafkatui's own engine: the
embedded backend's `EngineControls` (stop and crash brokers, the network between them,
a lost acknowledgement, the log cleaner and retention on demand, checking, repairing and
losing a broker's database, crashing a consumer, and the lessons' deterministic stepping
on a ManualClock)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from kafkatui.backends.base import CleaningView, ConsumerClient
from kafkatui.common.errors import KafkaError
from kafkatui.common.log_dirs import BrokerCheck
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.membership import GroupMembership
from kafkatui.engine.cluster import Cluster


class EmbeddedControls:
    """`EngineControls` over a `Cluster` in this process."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    async def stop_broker(self, broker_id: int, crash: bool = False) -> None:
        await self.cluster.stop_broker(broker_id, crash=crash)

    async def start_broker(self, broker_id: int) -> None:
        await self.cluster.start_broker(broker_id)

    async def cut_link(self, a: int, b: int) -> None:
        self.cluster.cut_link(a, b)

    async def heal_link(self, a: int, b: int) -> None:
        self.cluster.heal_link(a, b)

    async def set_latency(self, a: int, b: int, ms: int) -> None:
        self.cluster.set_latency(ms, a, b)

    def drop_next_ack(self, topic: str) -> None:
        self.cluster.drop_next_acks(1, topic)

    async def compact_topic(self, topic: str) -> list[CleaningView]:
        return [
            CleaningView(
                partition, broker, r.first_offset, r.end_offset, r.records_before, r.records_after,
                r.tombstones_removed, r.bytes_freed, r.removed,
            )
            for broker, partition, r in await self.cluster.compact_topic(topic)
        ]  # fmt: skip

    async def enforce_retention(self, topic: str) -> list[tuple[int, int, int]]:
        return await self.cluster.enforce_retention(topic)

    async def check_broker(self, broker_id: int) -> BrokerCheck:
        return await self.cluster.check_broker(broker_id)

    async def repair_broker(self, broker_id: int, force: bool = False) -> list[tuple[str, int]]:
        return await self.cluster.repair_broker(broker_id, force=force)

    async def lose_database(self, broker_id: int) -> None:
        await self.cluster.lose_database(broker_id)

    async def crash_consumer_client(self, consumer: ConsumerClient) -> None:
        membership = _membership(consumer)
        if membership is not None:
            await stop_heartbeats(membership)

    async def settle(self) -> None:
        await self.cluster.settle()

    async def advance_until(
        self, check: Callable[[], bool], *, limit_ms: int = 120_000, step_ms: int | None = None
    ) -> int:
        return await self.cluster.advance_until(check, limit_ms=limit_ms, step_ms=step_ms)

    def rejoin_needed(self, consumer: ConsumerClient) -> bool:
        membership = _membership(consumer)
        return membership is not None and membership.needs_join


def _membership(consumer: ConsumerClient) -> GroupMembership | None:
    """The group membership of one of this cluster's own consumers (None without a
    group.id); a consumer of another backend has none that we can reach."""
    if not isinstance(consumer, Consumer):
        raise TypeError(f"not a consumer of kafkatui's own cluster: {type(consumer).__name__}")
    return consumer.membership


async def stop_heartbeats(membership: GroupMembership) -> None:
    """The member goes silent, as a process killed with -9: no heartbeat, no LeaveGroup."""
    task = membership._heartbeats
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, KafkaError):
            await task
