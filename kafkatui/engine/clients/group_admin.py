"""What `kafka-consumer-groups.sh --list|--describe` asks of kafkatui's own cluster: the
groups every coordinator holds, and each group's committed offsets with their lag. The
embedded backend calls these; resetting offsets is a client's tool over any backend
(`backends/offset_reset.py`), deleting a group is `Cluster.delete_group`."""

from __future__ import annotations

from dataclasses import dataclass

from kafkatui.engine.cluster import Cluster
from kafkatui.engine.coordinator.group.coordinator import OFFSETS_TOPIC


@dataclass(frozen=True)
class PartitionLag:
    """One row of `kafka-consumer-groups.sh --describe`."""

    topic: str
    partition: int
    committed: int  # -1: nothing committed
    log_end_offset: int  # the high watermark: what a consumer can reach
    lag: int  # -1 when nothing is committed


async def list_groups(cluster: Cluster) -> list[str]:
    """Every group with committed offsets (ListGroups, over all coordinators)."""
    topic = cluster.metadata.topics.get(OFFSETS_TOPIC)
    if topic is None:
        return []
    groups: set[str] = set()
    for p in topic.partitions:
        broker = cluster.brokers.get(p.leader)
        if broker is None or not broker.running:
            continue
        await broker.coordinator.ensure_loaded(p.partition)
        groups.update(broker.coordinator.groups())
    return sorted(groups)


def _high_watermarks(cluster: Cluster, topic: str) -> dict[int, int]:
    return {p.partition: p.high_watermark for p in cluster.describe_topic(topic).partitions}


async def describe_group(cluster: Cluster, group_id: str) -> list[PartitionLag]:
    """Committed offset, log end offset (HW) and lag per partition the group committed."""
    committed = await cluster.fetch_offsets(group_id)
    rows = []
    ends: dict[str, dict[int, int]] = {}
    for (topic, partition), value in sorted(committed.items()):
        if topic not in cluster.metadata.topics:
            continue  # the topic was deleted since
        end = ends.setdefault(topic, _high_watermarks(cluster, topic)).get(partition, -1)
        lag = max(0, end - value.offset) if end >= 0 else -1
        rows.append(PartitionLag(topic, partition, value.offset, end, lag))
    return rows
