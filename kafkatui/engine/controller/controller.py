"""The controller: the one place cluster metadata changes (Kafka's QuorumController).

It validates admin requests the way Kafka does (topic names, partition counts,
replication factors, configs), places replicas across brokers with Kafka's rack-unaware
assignment, and commits each change as an atomic batch of metadata records. Brokers
then apply the new image.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence

from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import (
    BrokerFenced,
    BrokerUnfenced,
    EventBus,
    IsrExpanded,
    IsrShrunk,
    LeaderElected,
    PartitionsCreated,
    ProducerIdsAllocated,
    TopicConfigChanged,
    TopicCreated,
    TopicDeleted,
)
from kafkatui.common.topic import validate_topic_name
from kafkatui.engine.controller.acls import AclControlManager
from kafkatui.engine.controller.elections import elected, imbalanced_brokers, preferred_partitions_of
from kafkatui.engine.controller.log_dirs import (
    adopt_directory,
    eligible_brokers,
    leaders_for_offline,
    partition_change,
    with_directory,
    without_replica,
)
from kafkatui.engine.controller.scram import ScramControlManager
from kafkatui.engine.log.configs import validate_topic_configs
from kafkatui.engine.metadata.image import (
    BROKER_REGISTRATION_CHANGE,
    CONFIG,
    PARTITION,
    PARTITION_CHANGE,
    PRODUCER_IDS,
    REGISTER_BROKER,
    REMOVE_TOPIC,
    TOPIC,
    MetadataImage,
    MetadataLog,
    MetadataRecord,
    PartitionInfo,
    TopicInfo,
)
from kafkatui.engine.server.config import BrokerDefaults

# Producer ids per AllocateProducerIds (Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE).
PRODUCER_ID_BLOCK_SIZE = 1000


def _collision_key(name: str) -> str:
    # Metric names replace '.' with '_', so Kafka refuses topics that differ only there.
    return name.replace(".", "_")


def assign_replicas(
    broker_ids: Sequence[int],
    num_partitions: int,
    replication_factor: int,
    rng: random.Random,
    *,
    start_partition: int = 0,
    fixed_start_index: int = -1,
) -> list[list[int]]:
    """Kafka's `assignReplicasToBrokersRackUnaware`.

    Partition i's first replica is broker `(i + start) % n`, the rest follow with a shift
    that grows every n partitions, so leaders and followers of all topics spread evenly.
    """
    brokers = sorted(broker_ids)
    n = len(brokers)
    start_index = fixed_start_index if fixed_start_index >= 0 else rng.randrange(n)
    shift = fixed_start_index if fixed_start_index >= 0 else rng.randrange(n)
    assignment = []
    for partition in range(start_partition, start_partition + num_partitions):
        if partition > 0 and partition % n == 0:
            shift += 1
        first = (partition + start_index) % n
        replicas = [brokers[first]]
        for j in range(replication_factor - 1):
            replicas.append(brokers[(first + 1 + (shift + j) % (n - 1)) % n])
        assignment.append(replicas)
    return assignment


def _elr_cleared(info: TopicInfo) -> list[MetadataRecord]:
    """A new min.insync.replicas voids the ELRs (KIP-966, Kafka's
    `ReplicationControlManager.getPartitionElrUpdatesForConfigChanges`): they were kept
    against the old one, and the next ISR change rebuilds them against the new."""
    cleared = {"eligible_leader_replicas": [], "last_known_elr": []}
    return [
        MetadataRecord(PARTITION_CHANGE, {"topic_id": info.topic_id, "partition": p.partition, **cleared})
        for p in info.partitions
        if p.eligible_leader_replicas or p.last_known_elr
    ]


MetadataListener = Callable[[MetadataImage], Awaitable[None]]


class Controller:
    """Owns the metadata log and image; every admin change goes through here."""

    def __init__(
        self,
        log: MetadataLog,
        image: MetadataImage,
        clock: Clock,
        rng: random.Random,
        bus: EventBus,
        defaults: BrokerDefaults | None = None,
    ) -> None:
        self._log = log
        self.image = image
        self._clock = clock
        self._rng = rng
        self._bus = bus
        self.defaults = defaults or BrokerDefaults()
        self._listeners: list[MetadataListener] = []
        self._lock = asyncio.Lock()
        self.acls = AclControlManager(image, self._commit, rng, bus, clock)  # CreateAcls / DeleteAcls
        self.scram = ScramControlManager(image, self._commit)  # AlterUserScramCredentials
        # (topic_id, partition) -> (leader, epoch) last announced, so only changes are news.
        self._published_leaders: dict[tuple[str, int], tuple[int, int]] = {
            (t.topic_id, p.partition): (p.leader, p.leader_epoch)
            for t in image.topics.values()
            for p in t.partitions
        }

    def on_change(self, listener: MetadataListener) -> None:
        """Call `listener` with the image after every committed change."""
        self._listeners.append(listener)

    async def _commit(self, records: Sequence[MetadataRecord]) -> None:
        async with self._lock:
            await self._commit_locked(records)

    async def _commit_locked(self, records: Sequence[MetadataRecord]) -> None:
        """Append to the metadata log, apply, tell the brokers; one change at a time."""
        self.image.offset = await self._log.append(records, self._clock.now_ms(), self.image.offset + 1)
        for record in records:
            self.image.apply(record)
        for listener in self._listeners:
            await listener(self.image)

    async def register_brokers(self, broker_ids: Sequence[int]) -> None:
        new = [b for b in broker_ids if b not in self.image.brokers]
        if new:
            await self._commit([MetadataRecord(REGISTER_BROKER, {"broker_id": b}) for b in new])

    async def allocate_producer_ids(self, broker_id: int) -> range:
        """AllocateProducerIds (KIP-730): hand a broker the next block of producer ids,
        committed as a ProducerIdsRecord first, so no later process hands them out again
        (Kafka's `ProducerIdControlManager`)."""
        async with self._lock:
            first = self.image.next_producer_id
            block = range(first, first + PRODUCER_ID_BLOCK_SIZE)
            record = {"broker_id": broker_id, "next_producer_id": block.stop}
            await self._commit_locked([MetadataRecord(PRODUCER_IDS, record)])
        self._bus.publish(
            ProducerIdsAllocated(
                timestamp_ms=self._clock.now_ms(),
                broker_id=broker_id,
                first_producer_id=block.start,
                last_producer_id=block.stop - 1,
            )
        )
        return block

    def topic(self, name: str) -> TopicInfo:
        info = self.image.topics.get(name)
        if info is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"topic '{name}' does not exist")
        return info

    async def create_topic(
        self,
        name: str,
        partitions: int | None = None,
        replication_factor: int | None = None,
        configs: Mapping[str, str] | None = None,
        *,
        validate_only: bool = False,
    ) -> TopicInfo:
        """CreateTopics for one topic; raises Kafka's error if the request is invalid."""
        async with self._lock:  # checked and committed as one step: two creates race
            validate_topic_name(name)
            if name in self.image.topics:
                raise KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
            for existing in self.image.topics:
                if _collision_key(existing) == _collision_key(name):
                    raise KafkaError(
                        ErrorCode.INVALID_TOPIC_EXCEPTION,
                        f"Topic '{name}' collides with existing topic: {existing}",
                    )
            partitions = self.defaults.num_partitions if partitions is None else partitions
            if partitions < 1:
                raise KafkaError(
                    ErrorCode.INVALID_PARTITIONS,
                    f"Number of partitions must be larger than 0, not {partitions}.",
                )
            rf = (
                self.defaults.default_replication_factor if replication_factor is None else replication_factor
            )
            brokers = sorted(self._live())
            if rf < 1:
                raise KafkaError(
                    ErrorCode.INVALID_REPLICATION_FACTOR,
                    f"Replication factor must be larger than 0, not {rf}.",
                )
            if rf > len(brokers):
                raise KafkaError(
                    ErrorCode.INVALID_REPLICATION_FACTOR,
                    f"Replication factor: {rf} larger than available brokers: {len(brokers)}.",
                )
            normalized = validate_topic_configs(configs or {})
            if validate_only:
                return TopicInfo(name, "")
            topic_id = self._new_topic_id()
            records = [MetadataRecord(TOPIC, {"name": name, "topic_id": topic_id})]
            records += self._partition_records(topic_id, assign_replicas(brokers, partitions, rf, self._rng))
            records += [
                MetadataRecord(
                    CONFIG,
                    {"resource_type": "topic", "resource_name": name, "name": k, "value": v},
                )
                for k, v in sorted(normalized.items())
            ]
            await self._commit_locked(records)
        info = self.image.topics[name]
        now = self._clock.now_ms()
        self._bus.publish(
            TopicCreated(
                timestamp_ms=now,
                topic=name,
                topic_id=topic_id,
                partitions=partitions,
                replication_factor=rf,
            )
        )
        self._publish_changes([])
        return info

    def _new_topic_id(self) -> str:
        """A topic id (Kafka's random UUID) that no topic has had in this cluster. The
        seeded RNG restarts with every process, so the metadata log's offset is mixed
        in: two processes with the same --seed must not hand out the same id."""
        used = {t.topic_id for t in self.image.topics.values()}
        while True:
            bits = self._rng.getrandbits(128) ^ (self.image.offset * 0x9E3779B97F4A7C15)
            topic_id = str(uuid.UUID(int=bits & ((1 << 128) - 1), version=4))
            if topic_id not in used:
                return topic_id

    def _partition_records(
        self, topic_id: str, assignment: list[list[int]], start: int = 0
    ) -> list[MetadataRecord]:
        # As in Kafka, a new partition's ISR is all its replicas: they are all empty, so
        # all caught up; each lives in its broker's log directory (KIP-858).
        brokers = self.image.brokers
        return [
            MetadataRecord(
                PARTITION,
                {
                    "topic_id": topic_id,
                    "partition": start + i,
                    "replicas": replicas,
                    "isr": replicas,
                    "leader": replicas[0],
                    "leader_epoch": 0,
                    "partition_epoch": 0,
                    "directories": [brokers[b].directory_id if b in brokers else "" for b in replicas],
                },
            )
            for i, replicas in enumerate(assignment)
        ]

    async def delete_topic(self, name: str) -> None:
        async with self._lock:
            info = self.topic(name)
            if info.is_internal:
                raise KafkaError(
                    ErrorCode.INVALID_TOPIC_EXCEPTION, f"internal topic '{name}' cannot be deleted"
                )
            await self._commit_locked([MetadataRecord(REMOVE_TOPIC, {"topic_id": info.topic_id})])
        self._bus.publish(TopicDeleted(timestamp_ms=self._clock.now_ms(), topic=name, topic_id=info.topic_id))

    async def create_partitions(self, name: str, total: int, *, validate_only: bool = False) -> TopicInfo:
        """CreatePartitions: raise the partition count (Kafka never lowers it);
        `validate_only` checks the request without changing anything."""
        async with self._lock:
            info = self.topic(name)
            old = len(info.partitions)
            if total <= old:
                raise KafkaError(
                    ErrorCode.INVALID_PARTITIONS,
                    f"Topic currently has {old} partitions, {total} would not be an increase.",
                )
            if validate_only:
                return info
            brokers = sorted(self._live())
            # Kafka continues the existing layout: start from partition 0's first replica.
            start_index = (
                brokers.index(info.partitions[0].replicas[0])
                if info.partitions[0].replicas[0] in brokers
                else -1
            )
            assignment = assign_replicas(
                brokers,
                total - old,
                info.replication_factor,
                self._rng,
                start_partition=old,
                fixed_start_index=start_index,
            )
            await self._commit_locked(self._partition_records(info.topic_id, assignment, start=old))
        self._bus.publish(
            PartitionsCreated(timestamp_ms=self._clock.now_ms(), topic=name, old_count=old, new_count=total)
        )
        self._publish_changes([])
        return info

    async def alter_topic_configs(self, name: str, changes: Mapping[str, str | None]) -> TopicInfo:
        """IncrementalAlterConfigs for a topic: set values, or None to delete an override."""
        async with self._lock:
            info = self.topic(name)
            normalized = validate_topic_configs(changes)
            info.config.with_changes(normalized)  # validates the combination before committing
            records = [
                MetadataRecord(
                    CONFIG,
                    {"resource_type": "topic", "resource_name": name, "name": k, "value": v},
                )
                for k, v in sorted(normalized.items())
            ]
            if "min.insync.replicas" in normalized:
                records += _elr_cleared(info)
            if records:
                await self._commit_locked(records)
                self._bus.publish(
                    TopicConfigChanged(
                        timestamp_ms=self._clock.now_ms(),
                        topic=name,
                        changes=tuple(sorted(normalized.items())),
                    )
                )
        return info

    # --- broker liveness and leadership ------------------------------------------------

    def _live(self, exclude: int | None = None) -> set[int]:
        """Brokers that may lead and be in ISRs: not fenced, log directory online."""
        return eligible_brokers(self.image, exclude)

    async def fence_broker(self, broker_id: int, reason: str = "controlled shutdown") -> None:
        """A broker is gone (stopped, or missed its session timeout): take it out of every
        ISR and elect new leaders for the partitions it led.

        Clean election picks the first replica, in assignment order, that is live and in
        the ISR. With none, the partition goes offline (leader -1) and keeps its last ISR
        member, unless `unclean.leader.election.enable` lets any live replica lead.
        """
        async with self._lock:
            if broker_id not in self.image.brokers:
                raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, f"there is no broker {broker_id}")
            if self.image.brokers[broker_id].fenced:
                return
            shrunk = await self._fence_locked(broker_id)
        self._bus.publish(BrokerFenced(timestamp_ms=self._clock.now_ms(), broker_id=broker_id, reason=reason))
        self._publish_changes(shrunk)

    async def _fence_locked(self, broker_id: int) -> list[tuple[str, int, tuple[int, ...]]]:
        records, shrunk = without_replica(self.image, broker_id)
        fenced = MetadataRecord(BROKER_REGISTRATION_CHANGE, {"broker_id": broker_id, "fenced": True})
        await self._commit_locked([fenced, *records])
        return shrunk

    @staticmethod
    def _change(topic: TopicInfo, p: PartitionInfo, isr: Sequence[int], leader: int) -> MetadataRecord:
        return partition_change(topic, p, isr, leader)

    async def unfence_broker(self, broker_id: int) -> None:
        """A broker is back: offline partitions whose last in-sync replica it is get it as
        leader again; elsewhere it is a follower and rejoins the ISR once caught up."""
        async with self._lock:
            if broker_id not in self.image.brokers:
                raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, f"there is no broker {broker_id}")
            if not self.image.brokers[broker_id].fenced:
                return
            records = [MetadataRecord(BROKER_REGISTRATION_CHANGE, {"broker_id": broker_id, "fenced": False})]
            if self.image.brokers[broker_id].dir_online:
                records += leaders_for_offline(self.image, broker_id)
            await self._commit_locked(records)
        self._bus.publish(BrokerUnfenced(timestamp_ms=self._clock.now_ms(), broker_id=broker_id))
        self._publish_changes([])

    # --- log directories (KIP-858, KIP-112) -------------------------------------------

    async def register_log_dir(
        self,
        broker_id: int,
        directory_id: str,
        *,
        new_incarnation: bool = False,
        offline: tuple[str, bool] | None = None,
    ) -> list[tuple[str, int, tuple[int, ...]]]:
        """A broker (re)starting says which directory it has (`BrokerRegistration`'s
        logDirs) and whether it could open it (`offline`: reason, damaged).

        A new incarnation (its database is not the one its replicas were in) leaves every
        ISR and every leadership and is not a candidate for them until it has refetched
        its log and the leader adds it back; nothing is truncated anywhere for it. An
        offline directory takes the broker's replicas out as a failed one does; one back
        online (an earlier I/O error) leads again the offline partitions waiting for it.
        Returns the partitions whose ISR shrank."""
        async with self._lock:
            records = [
                MetadataRecord(
                    BROKER_REGISTRATION_CHANGE,
                    {
                        "broker_id": broker_id,
                        "log_dirs": [directory_id],
                        "offline_dir": None
                        if offline is None
                        else {"reason": offline[0], "damaged": offline[1]},
                    },
                )
            ]
            shrunk: list[tuple[str, int, tuple[int, ...]]] = []
            if new_incarnation:
                changes, shrunk = without_replica(self.image, broker_id, lost_data=True)
                records += changes
            elif offline is not None:
                changes, shrunk = without_replica(self.image, broker_id, damaged=offline[1])
                records += changes
            await self._commit_locked(records)
            if offline is None and not new_incarnation:
                follow_up = adopt_directory(self.image, broker_id, directory_id)
                if not self.image.brokers[broker_id].fenced:
                    follow_up += leaders_for_offline(self.image, broker_id)
                if follow_up:
                    await self._commit_locked(follow_up)
        self._publish_changes(shrunk)
        return shrunk

    async def fail_log_dir(self, broker_id: int, reason: str, *, damaged: bool) -> None:
        """A broker's log dir failed while in use (KIP-112: the broker reports it offline
        and the controller moves leadership to in-sync replicas): as a fenced broker's,
        its replicas leave every ISR and lose their leaderships. It stays registered."""
        async with self._lock:
            info = self.image.brokers.get(broker_id)
            if info is None or not info.dir_online:
                return
            change = MetadataRecord(
                BROKER_REGISTRATION_CHANGE,
                {"broker_id": broker_id, "offline_dir": {"reason": reason, "damaged": damaged}},
            )
            records, shrunk = without_replica(self.image, broker_id, damaged=damaged)
            await self._commit_locked([change, *records])
        self._publish_changes(shrunk)

    def _partition_at(
        self, topic: str, partition: int, leader_epoch: int
    ) -> tuple[TopicInfo, PartitionInfo] | None:
        info = self.image.topics.get(topic)
        if info is None or partition >= len(info.partitions):
            return None
        p = info.partitions[partition]
        return (info, p) if p.leader_epoch == leader_epoch else None  # else: a stale leader asks

    async def expand_isr(self, topic: str, partition: int, replica: int, leader_epoch: int) -> None:
        """AlterPartition from a leader: `replica` has caught up and joins the ISR."""
        async with self._lock:  # decide on the image as it is when this change commits
            found = self._partition_at(topic, partition, leader_epoch)
            if found is None:
                return
            info, p = found
            if replica in p.isr or replica not in self._live():
                return  # already in, or fenced or its log dir offline (Kafka: INELIGIBLE_REPLICA)
            isr = [b for b in p.replicas if b in p.isr or b == replica]
            # In sync on its broker's directory now: a new incarnation has rebuilt its log.
            dirs = with_directory(p, replica, self.image.brokers[replica].directory_id)
            await self._commit_locked([partition_change(info, p, isr, p.leader, dirs)])
        self._bus.publish(
            IsrExpanded(
                timestamp_ms=self._clock.now_ms(), topic=topic, partition=partition, isr=tuple(isr),
                added=replica,
            )
        )  # fmt: skip

    async def shrink_isr(self, topic: str, partition: int, lagging: Sequence[int], leader_epoch: int) -> None:
        """AlterPartition from a leader: followers that have not caught up for
        `replica.lag.time.max.ms` leave the ISR (the leader itself always stays)."""
        async with self._lock:
            found = self._partition_at(topic, partition, leader_epoch)
            if found is None:
                return
            info, p = found
            isr = [b for b in p.isr if b not in lagging or b == p.leader]
            if tuple(isr) == p.isr:
                return
            await self._commit_locked([self._change(info, p, isr, p.leader)])
        self._publish_changes([(topic, partition, p.isr)])

    async def elect_leaders(
        self, election_type: str = "preferred", partitions: Sequence[tuple[str, int]] | None = None
    ) -> dict[tuple[str, int], KafkaError | None]:
        """ElectLeaders (KIP-460): move leadership to the preferred replica (the first in
        the assignment) when it is live and in sync, or, with "unclean", give an offline
        partition any live replica. Returns each partition's result: None when a new
        leader was elected, else Kafka's error (ELECTION_NOT_NEEDED, ...)."""
        if election_type not in ("preferred", "unclean"):
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"election type is preferred or unclean, not {election_type}"
            )
        async with self._lock:
            wanted = partitions
            if wanted is None:
                wanted = [(t.name, p.partition) for t in self.image.topics.values() for p in t.partitions]
            live = self._live()
            results: dict[tuple[str, int], KafkaError | None] = {}
            records = []
            for name, partition in wanted:
                found = elected(self.image, name, partition, election_type, live)
                if isinstance(found, KafkaError):
                    results[(name, partition)] = found
                else:
                    records.append(found)
                    results[(name, partition)] = None
            if records:
                await self._commit_locked(records)
        self._publish_changes([])
        return results

    def imbalanced_brokers(self, percentage: int) -> list[int]:
        return imbalanced_brokers(self.image, self._live(), percentage)

    def preferred_partitions_of(self, broker_id: int) -> list[tuple[str, int]]:
        return preferred_partitions_of(self.image, broker_id)

    def _publish_changes(self, shrunk: list[tuple[str, int, tuple[int, ...]]]) -> None:
        """IsrShrunk for `shrunk`, then LeaderElected for every partition whose leader or
        epoch differs from the last one announced (new partitions included)."""
        now = self._clock.now_ms()
        for name, partition, old_isr in shrunk:
            p = self.image.topics[name].partitions[partition]
            removed = tuple(b for b in old_isr if b not in p.isr)
            self._bus.publish(
                IsrShrunk(timestamp_ms=now, topic=name, partition=partition, isr=p.isr, removed=removed)
            )
        for topic in self.image.topics.values():
            for p in topic.partitions:
                if self._published_leaders.get((topic.topic_id, p.partition)) != (p.leader, p.leader_epoch):
                    self._published_leaders[(topic.topic_id, p.partition)] = (p.leader, p.leader_epoch)
                    self._bus.publish(
                        LeaderElected(
                            timestamp_ms=now, topic=topic.name, partition=p.partition, leader=p.leader,
                            leader_epoch=p.leader_epoch,
                        )
                    )  # fmt: skip
