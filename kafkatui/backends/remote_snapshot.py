"""What RemoteBackend knows of a cluster between two reads, and the engine's events for
what changed from one read to the next (a client sees states, not the events)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kafkatui.common.admin import ConfigEntry, TopicDescription
from kafkatui.common.events import (
    Event,
    HighWatermarkAdvanced,
    IsrExpanded,
    IsrShrunk,
    LeaderElected,
    PartitionsCreated,
    RecordAppended,
    TopicConfigChanged,
    TopicCreated,
    TopicDeleted,
)


@dataclass
class ClusterSnapshot:
    """The cluster as last read: brokers, the controller, topics with offsets, configs."""

    brokers: dict[int, str] = field(default_factory=dict)
    controller: int = -1
    topics: dict[str, TopicDescription] = field(default_factory=dict)
    configs: dict[str, list[ConfigEntry]] = field(default_factory=dict)
    stable: dict[tuple[str, int], int] = field(default_factory=dict)  # last stable offsets


def events_between(old: ClusterSnapshot, new: ClusterSnapshot, now: int) -> list[Event]:
    """The engine's events for what changed between two reads of the cluster."""
    events: list[Event] = []
    for name in sorted(old.topics.keys() - new.topics.keys()):
        events.append(TopicDeleted(timestamp_ms=now, topic=name, topic_id=old.topics[name].topic_id))
    for name, topic in sorted(new.topics.items()):
        before = old.topics.get(name)
        if before is None:
            events.append(
                TopicCreated(
                    timestamp_ms=now, topic=name, topic_id=topic.topic_id,
                    partitions=len(topic.partitions), replication_factor=topic.replication_factor,
                )
            )  # fmt: skip
            continue
        if len(topic.partitions) > len(before.partitions):
            events.append(
                PartitionsCreated(
                    timestamp_ms=now,
                    topic=name,
                    old_count=len(before.partitions),
                    new_count=len(topic.partitions),
                )
            )
        if topic.configs != before.configs:
            changed = tuple(
                (k, topic.configs.get(k)) for k in sorted(topic.configs.keys() | before.configs.keys())
                if topic.configs.get(k) != before.configs.get(k)
            )  # fmt: skip
            events.append(TopicConfigChanged(timestamp_ms=now, topic=name, changes=changed))
        for p, q in zip(before.partitions, topic.partitions, strict=False):
            if q.leader != p.leader:
                events.append(
                    LeaderElected(
                        timestamp_ms=now, topic=name, partition=q.partition, leader=q.leader, leader_epoch=-1
                    )
                )
            removed = tuple(b for b in p.isr if b not in q.isr)
            if removed:
                events.append(
                    IsrShrunk(timestamp_ms=now, topic=name, partition=q.partition, isr=q.isr, removed=removed)
                )
            for b in q.isr:
                if b not in p.isr:
                    events.append(
                        IsrExpanded(timestamp_ms=now, topic=name, partition=q.partition, isr=q.isr, added=b)
                    )
            if q.high_watermark > p.high_watermark:
                events.append(
                    RecordAppended(
                        timestamp_ms=now, broker_id=q.leader, topic=name, partition=q.partition,
                        base_offset=p.high_watermark, last_offset=q.high_watermark - 1,
                        record_count=q.high_watermark - p.high_watermark, size_bytes=0,
                    )
                )  # fmt: skip
                events.append(
                    HighWatermarkAdvanced(
                        timestamp_ms=now, topic=name, partition=q.partition, high_watermark=q.high_watermark
                    )
                )
    return events
