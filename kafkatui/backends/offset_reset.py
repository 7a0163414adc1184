"""`kafka-consumer-groups.sh --reset-offsets` over any backend: Kafka's
ConsumerGroupCommand plans where each partition's committed offset goes from what an
admin client can ask (DescribeGroups, OffsetFetch, ListOffsets) and, with `--execute`,
commits the plan (AlterConsumerGroupOffsets). It is a client's tool, so it is built on
the backend interface alone and works the same on kafkatui's engine and a real Kafka."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from kafkatui.backends.base import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, Backend
from kafkatui.common.errors import ErrorCode, KafkaError


class ResetStrategy(StrEnum):
    """The reset scenarios of kafka-consumer-groups.sh, by their option names."""

    TO_EARLIEST = "to-earliest"
    TO_LATEST = "to-latest"
    TO_OFFSET = "to-offset"  # value: the offset
    SHIFT_BY = "shift-by"  # value: how far from the committed offset (negative goes back)
    TO_DATETIME = "to-datetime"  # value: epoch ms
    BY_DURATION = "by-duration"  # value: ms before now


@dataclass(frozen=True)
class OffsetReset:
    """One partition of a reset plan: from the committed offset to the new one."""

    topic: str
    partition: int
    old: int  # -1: nothing committed
    new: int


# ConsumerGroupCommand resets only a group nobody is in: members would commit over it.
INACTIVE_STATES = ("Empty", "Dead")


async def plan_reset(
    backend: Backend,
    group_id: str,
    topic: str,
    strategy: ResetStrategy,
    value: int | None = None,
    partitions: Sequence[int] | None = None,
) -> list[OffsetReset]:
    """Where each partition's committed offset would go, as ConsumerGroupCommand plans it.

    `to-offset` and `shift-by` are clamped to [log start, high watermark]; `to-datetime`
    and `by-duration` take the first offset whose record is at or after the time, or the
    high watermark if no record is that recent."""
    if strategy not in (ResetStrategy.TO_EARLIEST, ResetStrategy.TO_LATEST) and value is None:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"--{strategy} needs a value")
    n = 0 if value is None else value
    count = len(backend.describe_topic(topic).partitions)
    wanted = list(range(count)) if partitions is None else list(partitions)
    for p in wanted:
        if not 0 <= p < count:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{p} does not exist")
    group = await backend.describe_group(group_id)
    if group.state not in INACTIVE_STATES:
        raise KafkaError(
            ErrorCode.NON_EMPTY_GROUP,
            f"Assignments can only be reset if the group '{group_id}' is inactive, but the current "
            f"state is {group.state}.",
        )
    committed = {p.partition: p.committed for p in group.partitions if p.topic == topic and p.committed >= 0}
    start = await backend.list_offsets(topic, wanted, EARLIEST_TIMESTAMP)
    end = await backend.list_offsets(topic, wanted, LATEST_TIMESTAMP)
    moment = {ResetStrategy.TO_DATETIME: n, ResetStrategy.BY_DURATION: backend.clock.now_ms() - n}.get(
        strategy
    )
    found = await backend.list_offsets(topic, wanted, moment) if moment is not None else {}
    plan = []
    for p in wanted:
        old = committed.get(p, -1)
        if strategy is ResetStrategy.TO_EARLIEST:
            new = start[p]
        elif strategy is ResetStrategy.TO_LATEST:
            new = end[p]
        elif strategy is ResetStrategy.TO_OFFSET:
            new = n
        elif strategy is ResetStrategy.SHIFT_BY:
            if old < 0:
                raise KafkaError(
                    ErrorCode.INVALID_REQUEST,
                    f"group '{group_id}' has no committed offset on {topic}-{p} to shift from",
                )
            new = old + n
        else:
            new = end[p] if found[p] < 0 else found[p]
        plan.append(OffsetReset(topic, p, old, min(max(new, start[p]), end[p])))
    return plan


async def execute_reset(backend: Backend, group_id: str, plan: Sequence[OffsetReset]) -> None:
    """Commit the plan's offsets for the group (AlterConsumerGroupOffsets)."""
    await backend.alter_group_offsets(group_id, {(r.topic, r.partition): r.new for r in plan})
