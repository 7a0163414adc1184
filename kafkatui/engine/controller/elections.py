"""Leadership moved on request (ElectLeaders, KIP-460) and the auto leader rebalance's
check (`auto.leader.rebalance.enable`): which leader each partition gets, or Kafka's
error saying why not.

Pure functions on the image, as `log_dirs.py`'s: `Controller` commits what they give.
"""

from __future__ import annotations

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.controller.log_dirs import partition_change, unclean_candidates
from kafkatui.engine.metadata.image import MetadataImage, MetadataRecord


def elected(
    image: MetadataImage, name: str, partition: int, election_type: str, live: set[int]
) -> MetadataRecord | KafkaError:
    """The change giving `name`-`partition` its new leader, or why it gets none.

    "preferred": the first replica of the assignment, when it is live and in sync.
    "unclean": an offline partition's first live replica (those rebuilding their log
    last), which becomes the whole ISR: what it lacks is lost, as with
    `unclean.leader.election.enable`, and the ELR is emptied (its log is the truth)."""
    info = image.topics.get(name)
    if info is None or not 0 <= partition < len(info.partitions):
        return KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{name}-{partition} does not exist")
    p = info.partitions[partition]
    if election_type == "preferred":
        leader = p.preferred_leader
        if p.leader == leader:
            return KafkaError(
                ErrorCode.ELECTION_NOT_NEEDED, f"broker {leader} already leads {name}-{partition}"
            )
        if leader not in live or leader not in p.isr:
            return KafkaError(
                ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
                f"preferred leader {leader} of {name}-{partition} is "
                + ("not in the ISR" if leader in live else "not running"),
            )
        return partition_change(info, p, list(p.isr), leader)
    if p.leader != -1:
        return KafkaError(
            ErrorCode.ELECTION_NOT_NEEDED, f"{name}-{partition} has a leader (broker {p.leader})"
        )
    candidates = unclean_candidates(image, p, live)
    if not candidates:
        return KafkaError(
            ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
            f"no replica of {name}-{partition} is running with its log dir online",
        )
    return partition_change(info, p, [candidates[0]], candidates[0], unclean=True)


def imbalanced_brokers(image: MetadataImage, live: set[int], percentage: int) -> list[int]:
    """Brokers leading fewer of their preferred partitions than they should
    (`leader.imbalance.per.broker.percentage`), as Kafka's auto leader rebalance
    checks every `leader.imbalance.check.interval.seconds`."""
    preferred: dict[int, int] = {}
    not_leading: dict[int, int] = {}
    for topic in image.topics.values():
        for p in topic.partitions:
            b = p.preferred_leader
            preferred[b] = preferred.get(b, 0) + 1
            if p.leader != b and b in live and b in p.isr:
                not_leading[b] = not_leading.get(b, 0) + 1
    return sorted(b for b, n in not_leading.items() if n * 100 / preferred[b] > percentage)


def preferred_partitions_of(image: MetadataImage, broker_id: int) -> list[tuple[str, int]]:
    """The partitions `broker_id` is the preferred leader of but does not lead."""
    return [
        (t.name, p.partition)
        for t in image.topics.values()
        for p in t.partitions
        if p.preferred_leader == broker_id and p.leader != broker_id
    ]
