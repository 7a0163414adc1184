"""The topics an application needs besides its own (Kafka's InternalTopicManager and
the partition counts of StreamsPartitionAssignor): each sub-topology runs as many tasks
as its input topics have partitions (the most of them); a repartition topic gets the
partition count of the sub-topology that writes it; a store's changelog
`<application.id>-<store>-changelog` one partition per task of the store's
sub-topology, compacted (a window store's also deleted past its retention plus
`windowstore.changelog.additional.retention.ms`, a day)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kafkatui.backends.base import Backend
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.streams.joins_copartition import enforce_copartitioning
from kafkatui.ecosystem.streams.task import StreamsError
from kafkatui.ecosystem.streams.topology import Topology

ADDITIONAL_RETENTION_MS = 86_400_000


@dataclass
class Plan:
    partitions: dict[int, int]  # sub-topology id -> tasks
    sources: dict[str, int]  # resolved source topic -> sub-topology id
    changelogs: dict[str, str]  # store -> changelog topic


def resolver(application_id: str, topology: Topology) -> Callable[[str], str]:
    internal = topology.internal_topics | {f"{s}-changelog" for s in topology.stores}

    def resolve(topic: str) -> str:
        return f"{application_id}-{topic}" if topic in internal else topic

    return resolve


async def prepare(backend: Backend, application_id: str, topology: Topology, replication: int | None) -> Plan:
    resolve = resolver(application_id, topology)
    subs = topology.subtopologies()
    counts: dict[str, int] = {}
    missing = []
    for sub in subs:
        for topic in sub.source_topics:
            if topic in topology.internal_topics:
                continue
            try:
                counts[topic] = len(backend.describe_topic(topic).partitions)
            except KafkaError:
                missing.append(topic)
    if missing:
        raise StreamsError(
            "MissingSourceTopicException: One or more source topics were missing during rebalance: "
            f"{sorted(missing)}"
        )
    partitions: dict[int, int] = {}
    pending = list(subs)
    while pending:  # a repartition topic's count is known once its writer's is
        progressed = False
        for sub in list(pending):
            if all(t in counts for t in sub.source_topics):
                partitions[sub.id] = max(counts[t] for t in sub.source_topics)
                for topic in sub.sink_topics:
                    if topic in topology.internal_topics:
                        counts[topic] = max(counts.get(topic, 0), partitions[sub.id])
                pending.remove(sub)
                progressed = True
        if not progressed:
            raise StreamsError(
                f"cannot size the repartition topics of sub-topologies {[s.id for s in pending]}"
            )
    enforce_copartitioning(topology, counts)  # joins: a repartition topic takes the other side's count
    partitions = {sub.id: max(counts[t] for t in sub.source_topics) for sub in subs}
    for sub in subs:  # output topics: what the producer's Metadata request would do (auto-create)
        for topic in sub.sink_topics:
            if topic not in topology.internal_topics:
                await backend.auto_create_topic(topic)
    for topic in sorted(topology.internal_topics):
        configs = {"cleanup.policy": "delete", "retention.ms": "-1", "segment.bytes": "52428800"}
        await _ensure(backend, resolve(topic), counts[topic], replication, configs)
    changelogs = {}
    for sub in subs:
        for store in sub.stores:
            builder = topology.stores[store]
            if not builder.logged:
                continue
            configs = {"cleanup.policy": "compact"}
            if builder.window_size_ms is not None:
                retention = (builder.retention_ms or 0) + ADDITIONAL_RETENTION_MS
                policy = (
                    "delete" if builder.retain_duplicates else "compact,delete"
                )  # duplicates: no compaction
                configs = {"cleanup.policy": policy, "retention.ms": str(retention)}
            changelogs[store] = resolve(f"{store}-changelog")
            await _ensure(backend, changelogs[store], partitions[sub.id], replication, configs)
    sources = {resolve(t): sub.id for sub in subs for t in sub.source_topics}
    return Plan(partitions, sources, changelogs)


async def _ensure(
    backend: Backend, topic: str, partitions: int, replication: int | None, configs: dict
) -> None:
    try:  # None: the broker's default.replication.factor (Kafka's replication.factor=-1)
        await backend.create_topic(topic, partitions, replication, configs)
    except KafkaError as error:
        if error.code is not ErrorCode.TOPIC_ALREADY_EXISTS:
            raise
        found = len(backend.describe_topic(topic).partitions)
        if found != partitions:
            raise StreamsError(
                f"Existing internal topic {topic} has invalid partitions: expected: {partitions}; "
                f"actual: {found}. "
                "Use 'kafka.tools.StreamsResetter' tool to clean up invalid topics before processing."
            ) from None
