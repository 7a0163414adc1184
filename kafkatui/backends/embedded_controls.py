"""What only the owner of the brokers can do to them, over kafkatui's own engine: the
embedded backend's `EngineControls` (stop and crash brokers, the network between them,
a lost acknowledgement, the log cleaner and retention on demand, checking and repairing
a broker's database)."""

from __future__ import annotations

from kafkatui.backends.base import CleaningView
from kafkatui.common.log_dirs import BrokerCheck
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
