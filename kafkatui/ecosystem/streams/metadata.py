"""Where the application's state lives, from the last assignment (KIP-535's names):
`KeyQueryMetadata` for one key (the active's host, the standbys' hosts, the partition)
and `StreamsMetadata` per instance, both read off the AssignmentInfo's partitions by
host and standby partitions by host. A host is an instance's `application.server`; an
instance without one is not listed (Kafka's metadata only knows hosts that set it).

A key's partition is the default partitioner's over the key as the store's source
topic was written (`serializer`), modulo the most partitions among the sub-topology's
source topics (Kafka's `StreamsMetadataState#getKeyQueryMetadataForKey`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.streams.assignor import partition_for_key
from kafkatui.ecosystem.streams.internal_topics import Plan
from kafkatui.ecosystem.streams.membership import StreamsMembership
from kafkatui.ecosystem.streams.queries import InvalidStateStoreException
from kafkatui.ecosystem.streams.serdes import Serde
from kafkatui.ecosystem.streams.topology import Topology


class Instance(Protocol):
    """What the lookups read of a running KafkaStreams."""

    topology: Topology
    backend: Backend
    plan: Plan
    membership: StreamsMembership


@dataclass(frozen=True, order=True)
class HostInfo:
    host: str
    port: int

    @classmethod
    def of(cls, endpoint: str) -> HostInfo:
        host, _, port = endpoint.rpartition(":")
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


UNAVAILABLE = HostInfo("unavailable", -1)  # HostInfo.unavailable()


@dataclass(frozen=True)
class KeyQueryMetadata:
    active_host: HostInfo
    standby_hosts: frozenset[HostInfo]
    partition: int


# KeyQueryMetadata.NOT_AVAILABLE: the instance has no assignment yet, or no host was named.
NOT_AVAILABLE = KeyQueryMetadata(UNAVAILABLE, frozenset(), -1)


@dataclass(frozen=True)
class StreamsMetadata:
    host_info: HostInfo
    state_store_names: frozenset[str]
    topic_partitions: frozenset[tuple[str, int]]
    standby_state_store_names: frozenset[str]
    standby_topic_partitions: frozenset[tuple[str, int]]


def _store_topics(streams: Instance, store_name: str) -> list[str]:
    """The resolved source topics of the sub-topology that holds `store_name`."""
    if store_name not in streams.topology.stores:
        # Kafka: UnknownStateStoreException, an InvalidStateStoreException
        raise InvalidStateStoreException(
            f"Cannot get state store {store_name} because no such store is registered"
        )
    sub = next(s for s in streams.topology.subtopologies() if store_name in s.stores)
    return sorted(t for t, s in streams.plan.sources.items() if s == sub.id)


def _stores_of(streams: Instance, partitions: set[tuple[str, int]], logged: bool = False) -> frozenset[str]:
    subs = {streams.plan.sources[t] for t, _ in partitions if t in streams.plan.sources}
    names = {name for s in streams.topology.subtopologies() if s.id in subs for name in s.stores}
    # A standby keeps only the stores it can restore: the logged ones.
    return frozenset(n for n in names if not logged or n in streams.plan.changelogs)


def key_query_metadata(streams: Instance, store_name: str, key: Any, serializer: Serde) -> KeyQueryMetadata:
    topics = _store_topics(streams, store_name)
    membership = getattr(streams, "membership", None)
    if membership is None or membership.generation < 0:
        return NOT_AVAILABLE
    counts = {t: len(streams.backend.describe_topic(t).partitions) for t in topics}
    topic = max(topics, key=lambda t: (counts[t], t))
    partition = partition_for_key(serializer.serialize(topic, key), counts[topic])
    info = membership.info
    owned = {(t, partition) for t in topics}
    active = next((h for h, parts in info.partitions_by_host.items() if owned & set(parts)), None)
    standbys = frozenset(
        HostInfo.of(h) for h, parts in info.standby_partitions_by_host.items() if owned & set(parts)
    )
    return KeyQueryMetadata(UNAVAILABLE if active is None else HostInfo.of(active), standbys, partition)


def streams_metadata(streams: Instance) -> list[StreamsMetadata]:
    membership = getattr(streams, "membership", None)
    if membership is None or membership.generation < 0:
        return []
    info = membership.info
    out = []
    for host in sorted(set(info.partitions_by_host) | set(info.standby_partitions_by_host)):
        active = set(info.partitions_by_host.get(host, []))
        standby = set(info.standby_partitions_by_host.get(host, []))
        out.append(
            StreamsMetadata(
                HostInfo.of(host), _stores_of(streams, active), frozenset(active),
                _stores_of(streams, standby, logged=True), frozenset(standby),
            )
        )  # fmt: skip
    return out
