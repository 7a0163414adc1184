"""The co-partitioning check (Kafka's CopartitionedTopicsEnforcer, run by the assignor
at every rebalance): the source topics a join reads together must have one partition
count, since task `<sub>_<p>` joins partition p of each and a key's records sit in the
same partition number only when the counts agree (the default partitioner hashes the
key modulo the count). A repartition topic in such a group takes the count of the
external topics (or the largest of the group's repartition topics when all are)."""

from __future__ import annotations

from kafkatui.backends.base import Backend
from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.streams.task import StreamsError
from kafkatui.ecosystem.streams.topology import Topology, TopologyError


class CopartitionError(TopologyError, StreamsError):
    """Kafka's TopologyException (a StreamsException) for topics not co-partitioned."""


def enforce_copartitioning(topology: Topology, counts: dict[str, int]) -> None:
    """Check each co-partition group against `counts` (topic -> partitions) and set the
    count of its repartition topics in `counts`."""
    for group in topology.copartition_groups:
        repartition = sorted(t for t in group if t in topology.internal_topics)
        external = {t: counts[t] for t in sorted(group) if t not in topology.internal_topics and t in counts}
        if not external:
            if repartition:
                size = max(counts.get(t, 1) for t in repartition)
                counts.update(dict.fromkeys(repartition, size))
            continue
        if len(set(external.values())) > 1:
            raise CopartitionError(_explain(external))
        counts.update(dict.fromkeys(repartition, next(iter(external.values()))))


def check_copartitioning(topology: Topology, backend: Backend) -> list[str]:
    """The check the assignor makes at a rebalance, made before one (`kafkatui streams
    describe`): the join groups' topics as they are on the cluster. Raises
    CopartitionError naming the topics that disagree; returns the groups' topics not on
    the cluster yet, left out (Kafka refuses those at start, MissingSourceTopicException)."""
    counts: dict[str, int] = {}
    missing = []
    for group in topology.copartition_groups:
        for topic in sorted(group - topology.internal_topics):
            try:
                counts[topic] = len(backend.describe_topic(topic).partitions)
            except KafkaError:
                missing.append(topic)
    enforce_copartitioning(topology, counts)
    return missing


def _explain(external: dict[str, int]) -> str:
    listed = ", ".join(f"{t}={n}" for t, n in external.items())  # Java's TreeMap toString
    most = max(external.values())
    fewer = [f"{t} has {n}" for t, n in external.items() if n != most]
    more = [t for t, n in external.items() if n == most]
    return (
        f"Invalid topology: Following topics do not have the same number of partitions: [{{{listed}}}]. "
        f"A join reads partition p of each of these topics in one task, so a key's records only meet when "
        f"the topics have the same number of partitions: {', '.join(fewer)} partitions where "
        f"{', '.join(more)} {'has' if len(more) == 1 else 'have'} {most}. Write the other side through a "
        f"topic with {most} partitions (create it with --partitions {most}, `.to()` it and "
        f"`builder.stream()` it back, then join that), or recreate the topic with {most} partitions."
    )
