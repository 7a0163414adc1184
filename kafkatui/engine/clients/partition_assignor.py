"""What a partition assignor is given and gives back (Kafka's `ConsumerPartitionAssignor`:
its `Subscription` and assignment), shared by the assignors and the sticky one's builders."""

from __future__ import annotations

from dataclasses import dataclass

TopicPartition = tuple[str, int]
Assignment = dict[str, list[TopicPartition]]
DEFAULT_GENERATION = -1


@dataclass(frozen=True)
class Subscription:
    """One member's JoinGroup metadata (`ConsumerPartitionAssignor.Subscription`).

    `owned` and `generation` are what the member last got: `ownedPartitions` + `generationId`
    for cooperative-sticky, the `StickyAssignor` userdata for sticky.
    """

    member_id: str
    topics: tuple[str, ...]
    owned: tuple[TopicPartition, ...] = ()
    generation: int = DEFAULT_GENERATION
    group_instance_id: str | None = None
