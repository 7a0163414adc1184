"""Cluster metadata as a log of records, replayed into an image (KRaft's model).

Kafka's controller writes every metadata change as a record to the `__cluster_metadata`
log (KIP-500, KIP-631) and brokers build their view by replaying it. kafkatui does the
same with a few of KRaft's record types, stored in `cluster-metadata.db` next to the
brokers' databases. Replaying the log on start rebuilds topics, partition assignments,
leaders and configs exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from kafkatui.engine.log.configs import TopicConfig
from kafkatui.engine.log.storage import MEMORY, open_database

_METADATA_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE metadata_log (
        offset INTEGER PRIMARY KEY,
        timestamp INTEGER NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL
    );
    """,
)

# KRaft record types (org.apache.kafka.common.metadata.*Record) this engine writes.
REGISTER_BROKER = "RegisterBrokerRecord"
BROKER_REGISTRATION_CHANGE = "BrokerRegistrationChangeRecord"
TOPIC = "TopicRecord"
PARTITION = "PartitionRecord"
PARTITION_CHANGE = "PartitionChangeRecord"
CONFIG = "ConfigRecord"
REMOVE_TOPIC = "RemoveTopicRecord"
PRODUCER_IDS = "ProducerIdsRecord"  # KIP-730: the next producer id not yet handed out


@dataclass(frozen=True)
class MetadataRecord:
    type: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class PartitionInfo:
    """One partition as the controller knows it: replicas, ISR, leader and epochs."""

    topic: str
    partition: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    leader: int  # -1 when offline
    leader_epoch: int
    partition_epoch: int

    @property
    def preferred_leader(self) -> int:
        return self.replicas[0]


@dataclass
class TopicInfo:
    """A topic: its name, id (Kafka's topic UUID), partitions and config overrides."""

    name: str
    topic_id: str
    partitions: list[PartitionInfo] = field(default_factory=list)
    config: TopicConfig = field(default_factory=TopicConfig)

    @property
    def replication_factor(self) -> int:
        return len(self.partitions[0].replicas) if self.partitions else 0

    @property
    def is_internal(self) -> bool:
        return self.name.startswith("__")


@dataclass(frozen=True)
class BrokerInfo:
    broker_id: int
    fenced: bool = False


class MetadataImage:
    """The current state of the cluster's metadata, built by replaying records."""

    def __init__(self) -> None:
        self.brokers: dict[int, BrokerInfo] = {}
        self.topics: dict[str, TopicInfo] = {}
        self.topics_by_id: dict[str, TopicInfo] = {}
        self.offset = -1
        # The first producer id no broker has been given yet (ProducerIdControlManager).
        self.next_producer_id = 0

    def apply(self, record: MetadataRecord) -> None:
        d = record.data
        match record.type:
            case "RegisterBrokerRecord":
                self.brokers[d["broker_id"]] = BrokerInfo(d["broker_id"], d.get("fenced", False))
            case "BrokerRegistrationChangeRecord":
                self.brokers[d["broker_id"]] = BrokerInfo(d["broker_id"], d["fenced"])
            case "TopicRecord":
                topic = TopicInfo(d["name"], d["topic_id"])
                self.topics[topic.name] = topic
                self.topics_by_id[topic.topic_id] = topic
            case "PartitionRecord":
                topic = self.topics_by_id[d["topic_id"]]
                info = PartitionInfo(
                    topic.name,
                    d["partition"],
                    tuple(d["replicas"]),
                    tuple(d["isr"]),
                    d["leader"],
                    d["leader_epoch"],
                    d["partition_epoch"],
                )
                topic.partitions.append(info)
                topic.partitions.sort(key=lambda p: p.partition)
            case "PartitionChangeRecord":
                topic = self.topics_by_id[d["topic_id"]]
                old = topic.partitions[d["partition"]]
                topic.partitions[d["partition"]] = PartitionInfo(
                    old.topic,
                    old.partition,
                    tuple(d.get("replicas", old.replicas)),
                    tuple(d.get("isr", old.isr)),
                    d.get("leader", old.leader),
                    d.get("leader_epoch", old.leader_epoch),
                    old.partition_epoch + 1,
                )
            case "ConfigRecord":
                topic = self.topics[d["resource_name"]]
                topic.config = topic.config.with_changes({d["name"]: d["value"]})
            case "RemoveTopicRecord":
                topic = self.topics_by_id.pop(d["topic_id"])
                del self.topics[topic.name]
            case "ProducerIdsRecord":
                self.next_producer_id = d["next_producer_id"]
            case other:
                raise ValueError(f"unknown metadata record type {other}")


class MetadataLog:
    """The durable metadata log (`cluster-metadata.db`), appended atomically per change."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self.in_flight = 0  # appends waiting on SQLite's thread (see Cluster.settle)

    @classmethod
    async def open(cls, path: Path | None) -> MetadataLog:
        return cls(await open_database(path if path is not None else MEMORY, _METADATA_MIGRATIONS))

    async def close(self) -> None:
        await self._db.close()

    async def replay(self) -> MetadataImage:
        image = MetadataImage()
        async with self._db.execute(
            "SELECT offset, type, payload FROM metadata_log ORDER BY offset"
        ) as cursor:
            async for offset, type_, payload in cursor:
                image.apply(MetadataRecord(type_, json.loads(payload)))
                image.offset = offset
        return image

    async def append(self, records: Iterable[MetadataRecord], timestamp_ms: int, next_offset: int) -> int:
        """Append records as one atomic batch (KRaft's atomic record batches); returns last offset."""
        rows = [
            (next_offset + i, timestamp_ms, r.type, json.dumps(r.data, sort_keys=True))
            for i, r in enumerate(records)
        ]
        self.in_flight += 1
        try:
            await self._db.execute("BEGIN")
            try:
                await self._db.executemany("INSERT INTO metadata_log VALUES (?, ?, ?, ?)", rows)
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
        finally:
            self.in_flight -= 1
        return next_offset + len(rows) - 1
