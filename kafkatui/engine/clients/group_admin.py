"""What `kafka-consumer-groups.sh` does: list groups, show their offsets and lag, reset
and delete them. Built on the coordinators' committed offsets (`Cluster.commit_offsets`
and friends); the CLI and the TUI call these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.coordinator.group.coordinator import OFFSETS_TOPIC, OffsetAndMetadata
from kafkatui.engine.coordinator.group.model import GroupState
from kafkatui.engine.server.requests import EARLIEST, LATEST

RESET_STRATEGIES = ("to-earliest", "to-latest", "to-offset", "shift-by", "to-datetime")


@dataclass(frozen=True)
class PartitionLag:
    """One row of `kafka-consumer-groups.sh --describe`."""

    topic: str
    partition: int
    committed: int  # -1: nothing committed
    log_end_offset: int  # the high watermark: what a consumer can reach
    lag: int  # -1 when nothing is committed

    def to_json(self) -> dict[str, object]:
        return {
            "topic": self.topic, "partition": self.partition, "committed_offset": self.committed,
            "log_end_offset": self.log_end_offset, "lag": self.lag,
        }  # fmt: skip


@dataclass(frozen=True)
class OffsetReset:
    """One partition of a reset plan: from the committed offset to the new one."""

    topic: str
    partition: int
    old: int  # -1: nothing committed
    new: int


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


async def plan_reset(
    cluster: Cluster,
    group_id: str,
    topic: str,
    strategy: str,
    value: int | None = None,
    partitions: Sequence[int] | None = None,
) -> list[OffsetReset]:
    """Kafka's ConsumerGroupCommand reset: where each partition's offset would go.

    `to-offset` and `shift-by` are clamped to [log start, high watermark] as Kafka
    does; `to-datetime` takes the first offset at or after the time (epoch ms), or the
    high watermark if no record is that recent."""
    if strategy not in RESET_STRATEGIES:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"reset strategy is one of {', '.join(RESET_STRATEGIES)}")
    if strategy in ("to-offset", "shift-by", "to-datetime") and value is None:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"--{strategy} needs a value")
    info = cluster.topic(topic)
    wanted = list(range(len(info.partitions))) if partitions is None else list(partitions)
    for p in wanted:
        if not 0 <= p < len(info.partitions):
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{p} does not exist")
    described = await cluster.describe_group(group_id)
    if described is not None and described.state not in (GroupState.EMPTY, GroupState.DEAD):
        # ConsumerGroupCommand refuses too: the members would overwrite the reset.
        raise KafkaError(
            ErrorCode.NON_EMPTY_GROUP,
            f"Assignments can only be reset if the group '{group_id}' is inactive, but the current "
            f"state is {described.state}.",
        )
    committed = await cluster.fetch_offsets(group_id, [(topic, p) for p in wanted])
    plan = []
    for p in wanted:
        leader = cluster.leader(topic, p)
        start = leader.list_offset(topic, p, EARLIEST)
        end = leader.list_offset(topic, p, LATEST)
        old = committed[(topic, p)].offset if (topic, p) in committed else -1
        if strategy == "to-earliest":
            new = start
        elif strategy == "to-latest":
            new = end
        elif strategy == "to-offset":
            new = value  # type: ignore[assignment]
        elif strategy == "shift-by":
            if old < 0:
                raise KafkaError(
                    ErrorCode.INVALID_REQUEST,
                    f"group '{group_id}' has no committed offset on {topic}-{p} to shift from",
                )
            new = old + value  # type: ignore[operator]
        else:
            found = await leader.offset_for_timestamp(topic, p, value)  # type: ignore[arg-type]
            new = end if found < 0 else found
        plan.append(OffsetReset(topic, p, old, min(max(new, start), end)))
    return plan


async def execute_reset(cluster: Cluster, group_id: str, plan: Sequence[OffsetReset]) -> None:
    await cluster.commit_offsets(group_id, {(r.topic, r.partition): OffsetAndMetadata(r.new) for r in plan})
