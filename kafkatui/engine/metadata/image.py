"""Cluster metadata as a log of records, replayed into an image (KRaft's model).

Kafka's controller writes every metadata change as a record to the `__cluster_metadata`
log (KIP-500, KIP-631) and brokers build their view by replaying it. kafkatui does the
same with a few of KRaft's record types, stored in `cluster-metadata.db` next to the
brokers' databases. Replaying the log on start rebuilds topics, partition assignments,
leaders and configs exactly as they were.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from kafkatui.common.acl import (
    AccessControlEntry,
    AclBinding,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourcePattern,
    ResourceType,
)
from kafkatui.engine.log.configs import TopicConfig
from kafkatui.engine.log.database import MEMORY, open_database_created
from kafkatui.engine.log.in_flight import InFlight
from kafkatui.engine.log.log_dir import is_storage_failure
from kafkatui.engine.metadata.scram import MECHANISM_CODES, ScramCredential, credential_from_record

METADATA_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE metadata_log (
        offset INTEGER PRIMARY KEY,
        timestamp INTEGER NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL
    );
    """,
    # The cluster id (Kafka's meta.properties `cluster.id` in the metadata log dir).
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
ACCESS_CONTROL_ENTRY = "AccessControlEntryRecord"  # KIP-801: one ACL, with its id
REMOVE_ACCESS_CONTROL_ENTRY = "RemoveAccessControlEntryRecord"


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
    # PartitionRecord.directories (KIP-858): per replica, the directory its log was in
    # when it last was in sync ("" before directory ids). A replica whose broker now has
    # another directory is a new incarnation, rebuilding its log from the leader.
    directories: tuple[str, ...] = ()
    # KIP-966: replicas out of the ISR that still hold every committed record (they left
    # it while it was below min.insync.replicas, when the high watermark stops), so one
    # may lead cleanly when no ISR member is live; and those dropped from it because they
    # may have lost data (a new incarnation, a damaged log dir), cleared with the ELR once
    # the ISR is back at min.insync.replicas.
    eligible_leader_replicas: tuple[int, ...] = ()
    last_known_elr: tuple[int, ...] = ()

    @property
    def preferred_leader(self) -> int:
        return self.replicas[0]

    def directory_of(self, broker_id: int) -> str:
        index = self.replicas.index(broker_id)
        return self.directories[index] if index < len(self.directories) else ""


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
    def effective_min_isr(self) -> int:
        """min.insync.replicas, at most the replication factor (Kafka's
        `getTopicEffectiveMinIsr`): a topic with fewer replicas would never reach it, and
        with KIP-966 its high watermark would never move."""
        return min(self.config.min_insync_replicas, max(1, self.replication_factor))

    @property
    def is_internal(self) -> bool:
        return self.name.startswith("__")


@dataclass(frozen=True)
class BrokerInfo:
    """A broker's registration: fenced or not (KIP-631), its log directory (KIP-858's
    `logDirs`, "" before directory ids) and whether that directory is offline (KIP-112:
    `offline_reason` says why; `damaged` keeps it offline until the broker is repaired)."""

    broker_id: int
    fenced: bool = False
    directory_id: str = ""
    offline_reason: str | None = None
    damaged: bool = False

    @property
    def dir_online(self) -> bool:
        return self.offline_reason is None


def acl_record(acl_id: str, binding: AclBinding) -> dict[str, Any]:
    """AccessControlEntryRecord's fields (KRaft names them the same, in camelCase)."""
    p, e = binding.pattern, binding.entry
    return {
        "id": acl_id,
        "resource_type": int(p.resource_type),
        "resource_name": p.name,
        "pattern_type": int(p.pattern_type),
        "principal": e.principal,
        "host": e.host,
        "operation": int(e.operation),
        "permission_type": int(e.permission),
    }


def acl_from_record(d: Mapping[str, Any]) -> AclBinding:
    return AclBinding(
        ResourcePattern(ResourceType(d["resource_type"]), d["resource_name"], PatternType(d["pattern_type"])),
        AccessControlEntry(
            d["principal"], d["host"], AclOperation(d["operation"]), AclPermissionType(d["permission_type"])
        ),
    )


class MetadataImage:
    """The current state of the cluster's metadata, built by replaying records."""

    def __init__(self) -> None:
        self.brokers: dict[int, BrokerInfo] = {}
        self.topics: dict[str, TopicInfo] = {}
        self.topics_by_id: dict[str, TopicInfo] = {}
        self.offset = -1
        self.cluster_id = ""  # from the metadata log's meta table (`MetadataLog.open`)
        # The first producer id no broker has been given yet (ProducerIdControlManager).
        self.next_producer_id = 0
        # ACLs by their record id (AclControlManager), and the same bindings as the set
        # the authorizer reads (StandardAuthorizer's view of the image).
        self.acls: dict[str, AclBinding] = {}
        self.acl_bindings: set[AclBinding] = set()
        # SASL/SCRAM users: name -> mechanism -> salted credential (ScramControlManager).
        self.scram: dict[str, dict[str, ScramCredential]] = {}

    def apply(self, record: MetadataRecord) -> None:
        d = record.data
        match record.type:
            case "RegisterBrokerRecord":
                dirs = d.get("log_dirs") or [""]
                self.brokers[d["broker_id"]] = BrokerInfo(d["broker_id"], d.get("fenced", False), dirs[0])
            case "BrokerRegistrationChangeRecord":
                old = self.brokers[d["broker_id"]]
                changes: dict[str, Any] = {}
                if "fenced" in d:
                    changes["fenced"] = d["fenced"]
                if "log_dirs" in d:
                    changes["directory_id"] = d["log_dirs"][0]
                if "offline_dir" in d:
                    offline = d["offline_dir"]
                    changes["offline_reason"] = None if offline is None else offline["reason"]
                    changes["damaged"] = bool(offline and offline["damaged"])
                self.brokers[d["broker_id"]] = replace(old, **changes)
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
                    tuple(d.get("directories", ())),
                    tuple(d.get("eligible_leader_replicas", ())),
                    tuple(d.get("last_known_elr", ())),
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
                    tuple(d.get("directories", old.directories)),
                    tuple(d.get("eligible_leader_replicas", old.eligible_leader_replicas)),
                    tuple(d.get("last_known_elr", old.last_known_elr)),
                )
            case "ConfigRecord":
                topic = self.topics[d["resource_name"]]
                topic.config = topic.config.with_changes({d["name"]: d["value"]})
            case "RemoveTopicRecord":
                topic = self.topics_by_id.pop(d["topic_id"])
                del self.topics[topic.name]
            case "ProducerIdsRecord":
                self.next_producer_id = d["next_producer_id"]
            case "AccessControlEntryRecord":
                binding = acl_from_record(d)
                self.acls[d["id"]] = binding
                self.acl_bindings.add(binding)
            case "RemoveAccessControlEntryRecord":
                self.acl_bindings.discard(self.acls.pop(d["id"]))
            case "UserScramCredentialRecord":
                mine = self.scram.setdefault(d["name"], {})
                mine[MECHANISM_CODES[d["mechanism"]]] = credential_from_record(d)
            case "RemoveUserScramCredentialRecord":
                mine = self.scram.get(d["name"], {})
                mine.pop(MECHANISM_CODES[d["mechanism"]], None)
                if not mine:
                    self.scram.pop(d["name"], None)
            case other:
                raise ValueError(f"unknown metadata record type {other}")


class MetadataDamaged(Exception):
    """The metadata log holds a record that cannot be replayed."""


class Replication(Protocol):
    """Where a committed batch goes next: the brokers' copies (`replicas.MetadataCopies`)."""

    async def append(
        self, primary: aiosqlite.Connection, rows: Sequence[tuple[int, int, str, str]]
    ) -> None: ...
    async def close(self) -> None: ...


class MetadataLog:
    """The durable metadata log (`cluster-metadata.db`), appended atomically per change."""

    def __init__(self, db: aiosqlite.Connection, cluster_id: str = "") -> None:
        self._db = db
        self.cluster_id = cluster_id
        self.failure: str | None = None  # why an append failed (the disk): no change can commit
        self.calls = InFlight()  # appends waiting on SQLite's thread (see Cluster.settle)
        self.copies: Replication | None = None  # the brokers' copies, on disk (replicas.py)

    @classmethod
    async def open(cls, path: Path | None, new_cluster_id: Callable[[], str] = lambda: "") -> MetadataLog:
        """Open the metadata log; a new one (or one from before cluster ids) gets
        `new_cluster_id()` as its cluster id."""
        db, _ = await open_database_created(path if path is not None else MEMORY, METADATA_MIGRATIONS)
        try:
            async with db.execute("SELECT value FROM meta WHERE key = 'cluster.id'") as cursor:
                row = await cursor.fetchone()
            cluster_id = str(row[0]) if row is not None else new_cluster_id()
            if row is None:
                await db.execute("INSERT INTO meta VALUES ('cluster.id', ?)", (cluster_id,))
        except BaseException:
            await db.close()
            raise
        return cls(db, cluster_id)

    async def replicate(self, copies: Replication) -> None:
        """From now on every committed batch goes to `copies` too; they catch up first."""
        self.copies = copies
        await copies.append(self._db, [])

    async def close(self) -> None:
        try:
            if self.copies is not None:
                await self.copies.close()
        finally:
            await self._db.close()

    async def replay(self) -> MetadataImage:
        """The image the log builds. A record that cannot be read or applied is damage
        (`MetadataDamaged`, naming its offset), never skipped: a replay that missed a
        change could hand leadership to a replica that no longer has the data."""
        image = MetadataImage()
        image.cluster_id = self.cluster_id
        async with self._db.execute(
            "SELECT offset, type, payload FROM metadata_log ORDER BY offset"
        ) as cursor:
            async for offset, type_, payload in cursor:
                try:
                    image.apply(MetadataRecord(type_, json.loads(payload)))
                except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
                    raise MetadataDamaged(
                        f"the record at offset {offset} ({type_!r}) cannot be read: {error!r}"
                    ) from None
                image.offset = offset
        return image

    async def append(self, records: Iterable[MetadataRecord], timestamp_ms: int, next_offset: int) -> int:
        """Append records as one atomic batch (KRaft's atomic record batches); returns last offset."""
        rows = [
            (next_offset + i, timestamp_ms, r.type, json.dumps(r.data, sort_keys=True))
            for i, r in enumerate(records)
        ]
        with self.calls:
            await self._db.execute("BEGIN")
            try:
                await self._db.executemany("INSERT INTO metadata_log VALUES (?, ?, ?, ?)", rows)
                await self._db.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(Exception):
                    await self._db.execute("ROLLBACK")
                if is_storage_failure(error):
                    self.failure = str(error)
                raise
            if self.copies is not None:
                await self.copies.append(self._db, rows)
        return next_offset + len(rows) - 1
