"""The Cluster facade: brokers, controller, clock, RNG and event bus in one object.

Everything outside the engine (CLI, TUI, wire server, demos) goes through `Cluster`.
On disk a cluster is a data directory:

    <data-dir>/cluster-metadata.db   the metadata log (topics, partitions, configs)
    <data-dir>/broker-<id>.db        one database per broker: its partition logs
    <data-dir>/kafkatui.lock         held by the process that owns the cluster
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kafkatui.common.clock import Clock, ManualClock, RealClock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import BrokerStarted, BrokerStopped, EventBus, LinkChanged
from kafkatui.engine.controller.controller import Controller
from kafkatui.engine.controller.quorum import ControllerQuorum
from kafkatui.engine.coordinator.group.coordinator import (
    OFFSETS_TOPIC,
    OFFSETS_TOPIC_CONFIGS,
    GroupCoordinator,
    OffsetAndMetadata,
)
from kafkatui.engine.coordinator.group.model import GroupDescription, JoinResult, LeaveResult
from kafkatui.engine.coordinator.runtime import partition_for
from kafkatui.engine.coordinator.transaction.coordinator import (
    ABORT_TIMED_OUT_INTERVAL_MS,
    DEFAULT_TRANSACTION_TIMEOUT_MS,
    TRANSACTION_STATE_TOPIC,
    TRANSACTION_STATE_TOPIC_CONFIGS,
    TransactionCoordinator,
    TransactionDescription,
    transaction_partition_for,
)
from kafkatui.engine.coordinator.transaction.producer_ids import AllocateProducerIds
from kafkatui.engine.log.cleaner import CleanResult, LogHousekeeping, Segment, dirty_ratio, segments
from kafkatui.engine.log.configs import TopicConfig
from kafkatui.engine.log.partition_log import PartitionLog
from kafkatui.engine.log.producer_state import AbortedTxn
from kafkatui.engine.log.records import RecordBatch, decode_batch
from kafkatui.engine.log.storage import BrokerStorage
from kafkatui.engine.metadata.image import MetadataImage, MetadataLog, TopicInfo
from kafkatui.engine.server.broker import AlterPartition, Broker, ReplicaSnapshot, ShrinkIsr
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.engine.server.network import LinkState, Network

DEFAULT_BROKERS = 3
LOCK_FILE = "kafkatui.lock"
METADATA_FILE = "cluster-metadata.db"
# Quiet rounds of the event loop, with other work still ready, after which a settle on a
# ManualClock checks by the clock (chains of awaits take a few rounds; another cluster in
# the same loop keeps it busy for good).
_BUSY_ROUNDS = 20


class DataDirLockedError(Exception):
    """Another process owns the data directory (Kafka's 'Failed to acquire lock')."""

    name = "DATA_DIR_LOCKED"

    def __init__(self, data_dir: Path, owner: Mapping[str, Any]) -> None:
        self.data_dir = data_dir
        self.owner = dict(owner)
        pid = owner.get("pid", "?")
        command = owner.get("command", "kafkatui")
        listeners = owner.get("listeners")
        serving = f", Kafka clients can use {listeners}" if listeners else ""
        super().__init__(
            f"{data_dir} is in use by pid {pid} ({command}{serving}); stop it or use another --data-dir"
        )


class _DataDirLock:
    """An exclusive `flock` on the data dir; released by the OS if the owner dies."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._file: IO[str] | None = None
        self.owner: dict[str, Any] | None = None

    def acquire(self, command: str) -> None:
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the cluster's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                owner = json.loads(handle.read() or "{}")
            except json.JSONDecodeError:
                owner = {}
            handle.close()
            raise DataDirLockedError(self.path.parent, owner) from None
        self._file = handle
        self.record({"pid": os.getpid(), "command": command})

    def record(self, owner: Mapping[str, Any]) -> None:
        """Write what a second process is told about the owner (pid, command, listeners)."""
        if self._file is not None:
            self.owner = dict(owner)
            self._file.seek(0)
            self._file.truncate()
            self._file.write(json.dumps(self.owner))
            self._file.flush()

    def release(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


@dataclass(frozen=True)
class PartitionDescription:
    """A partition as `topic describe` shows it."""

    partition: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    log_start_offset: int
    log_end_offset: int
    high_watermark: int
    size_bytes: int
    replica_states: tuple[ReplicaSnapshot, ...]


@dataclass(frozen=True)
class TopicDescription:
    name: str
    topic_id: str
    replication_factor: int
    partitions: tuple[PartitionDescription, ...]
    configs: dict[str, str]

    @property
    def record_count(self) -> int:
        """Records readable (high watermark minus log start), summed over partitions."""
        return sum(p.high_watermark - p.log_start_offset for p in self.partitions)

    @property
    def size_bytes(self) -> int:
        return sum(p.size_bytes for p in self.partitions)


class Cluster:
    """A small Kafka cluster: N brokers with their own SQLite databases and a controller."""

    def __init__(
        self,
        data_dir: Path | None,
        clock: Clock,
        rng: random.Random,
        bus: EventBus,
        controller: Controller,
        metadata_log: MetadataLog,
        lock: _DataDirLock | None,
        network: Network | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.clock = clock
        self.rng = rng
        self.bus = bus
        self.controller = controller
        self._metadata_log = metadata_log
        self._lock = lock
        self.brokers: dict[int, Broker] = {}
        self.defaults = controller.defaults
        self.network = network or Network(random.Random())
        self.network.on_change = self._link_changed
        self.quorum = ControllerQuorum(controller, self.brokers, self.network, clock, bus, self.defaults)
        self.errors: list[BaseException] = []
        self.quorum.on_error = self.errors.append
        self._txn_timeouts: asyncio.Task[None] | None = None
        self.housekeeping = LogHousekeeping(
            self.brokers, self._topic_config, clock, bus,
            cleaner_backoff_ms=self.defaults.log_cleaner_backoff_ms,
            retention_check_interval_ms=self.defaults.log_retention_check_interval_ms,
        )  # fmt: skip

    def _topic_config(self, name: str) -> TopicConfig | None:
        info = self.metadata.topics.get(name)
        return None if info is None else info.config

    @classmethod
    async def open(
        cls,
        data_dir: Path | str | None = None,
        *,
        brokers: int | None = None,
        clock: Clock | None = None,
        seed: int | None = None,
        defaults: BrokerDefaults | None = None,
        command: str = "kafkatui",
    ) -> Cluster:
        """Open the cluster in `data_dir` (creating it), or an in-memory one if None.

        `brokers` is the broker count for a new cluster; on an existing one it may add
        brokers but never removes them.
        """
        clock = clock or RealClock()
        rng = random.Random(seed)
        bus = EventBus()
        path = Path(data_dir).expanduser() if data_dir is not None else None
        lock = None
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            lock = _DataDirLock(path)
            lock.acquire(command)
        metadata_log = None
        try:
            metadata_log = await MetadataLog.open(path / METADATA_FILE if path else None)
            image = await metadata_log.replay()
            controller = Controller(metadata_log, image, clock, rng, bus, defaults)
            # Link loss draws from its own RNG, so it never shifts topic ids or placements.
            network = Network(random.Random(None if seed is None else f"{seed}/network"))
            cluster = cls(path, clock, rng, bus, controller, metadata_log, lock, network)
            await cluster._start(image, brokers)
        except BaseException:
            if metadata_log is not None:
                await metadata_log.close()
            if lock is not None:
                lock.release()
            raise
        return cluster

    async def _start(self, image: MetadataImage, broker_count: int | None) -> None:
        existing = sorted(image.brokers)
        wanted = broker_count if broker_count is not None else (len(existing) or DEFAULT_BROKERS)
        if wanted < 1:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"a cluster needs at least 1 broker, not {wanted}")
        if existing and wanted < len(existing):
            raise KafkaError(
                ErrorCode.INVALID_REQUEST,
                f"this cluster has {len(existing)} brokers; --brokers {wanted} would remove "
                "some, which kafkatui does not do (stop a broker instead)",
            )
        ids = list(range(1, wanted + 1))
        try:
            for broker_id in ids:
                db = self.data_dir / f"broker-{broker_id}.db" if self.data_dir else None
                self.brokers[broker_id] = Broker(
                    broker_id,
                    await BrokerStorage.open(db),
                    self.clock,
                    self.bus,
                    network=self.network,
                    defaults=self.defaults,
                )
            await self.controller.register_brokers(ids)
            fenced = {b for b, info in self.controller.image.brokers.items() if info.fenced}
            for broker in self.brokers.values():
                broker.connect(
                    self._reachable,
                    *self._alter_partition(broker.broker_id),
                    self._allocate_producer_ids(broker.broker_id),
                )
                # WriteTxnMarkers (to data partitions and `__consumer_offsets` alike).
                broker.txn_coordinator.write_marker = self._write_marker
            for broker in self.brokers.values():
                if broker.broker_id not in fenced:  # a broker stopped earlier stays stopped
                    await broker.recover()
            await self._apply_metadata(self.controller.image)
            for broker in self.brokers.values():
                if broker.running:
                    self.bus.publish(
                        BrokerStarted(timestamp_ms=self.clock.now_ms(), broker_id=broker.broker_id)
                    )
            self.controller.on_change(self._apply_metadata)
            self.quorum.start()
            self.housekeeping.start()
            self._txn_timeouts = asyncio.ensure_future(self._abort_timed_out_loop())
        except BaseException:
            for broker in self.brokers.values():
                await broker.close()
            raise

    def _reachable(self, broker_id: int) -> Broker | None:
        broker = self.brokers.get(broker_id)
        return broker if broker is not None and broker.running else None

    def _alter_partition(self, broker_id: int) -> tuple[AlterPartition, ShrinkIsr]:
        """A leader's AlterPartition requests, which reach the controller only over a
        working link (else they are dropped and the leader asks again later)."""

        async def expand(topic: str, partition: int, replica: int, epoch: int) -> None:
            if self.quorum.reachable_from(broker_id):
                await self.controller.expand_isr(topic, partition, replica, epoch)

        async def shrink(topic: str, partition: int, lagging: Sequence[int], epoch: int) -> None:
            if self.quorum.reachable_from(broker_id):
                await self.controller.shrink_isr(topic, partition, lagging, epoch)

        return expand, shrink

    def _allocate_producer_ids(self, broker_id: int) -> AllocateProducerIds:
        """A broker's AllocateProducerIds request (KIP-730), which needs the active
        controller; without one Kafka's broker answers COORDINATOR_LOAD_IN_PROGRESS."""

        async def allocate(_: int) -> range:
            if self.quorum.active == -1 or not self.quorum.reachable_from(broker_id):
                raise KafkaError(
                    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                    f"broker {broker_id} cannot get producer ids: no controller reachable right now",
                )
            return await self.controller.allocate_producer_ids(broker_id)

        return allocate

    def _link_changed(self, link: LinkState) -> None:
        self.bus.publish(
            LinkChanged(
                timestamp_ms=self.clock.now_ms(), a=link.a, b=link.b, latency_ms=link.latency_ms,
                loss=link.loss, cut=link.cut,
            )
        )  # fmt: skip

    async def _apply_metadata(self, image: MetadataImage) -> None:
        """Every broker opens its new logs first; only then do followers start fetching."""
        running = [b for b in self.brokers.values() if b.running]
        for broker in running:
            await broker.apply_metadata(image)
        for broker in running:
            broker.sync_fetchers()

    async def close(self) -> None:
        """Checkpoint and close every broker, the metadata log, then release the data dir."""
        try:
            await self.housekeeping.stop()
            if self._txn_timeouts is not None:
                self._txn_timeouts.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._txn_timeouts
            await self.quorum.stop()
            # First silence every follower, so none fetches from a broker being closed.
            for broker in self.brokers.values():
                await broker.stop_fetchers()
            for broker in self.brokers.values():
                was_running = broker.running
                await broker.close()
                if was_running:
                    self.bus.publish(
                        BrokerStopped(timestamp_ms=self.clock.now_ms(), broker_id=broker.broker_id)
                    )
            await self._metadata_log.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def advertise_listeners(self, bootstrap: str | None) -> None:
        """Record the wire listeners (`host:port,...`) in the data dir's lock file, so a
        second kafkatui process can say where the running cluster is served."""
        if self._lock is not None and self._lock.owner is not None:
            owner = {k: v for k, v in self._lock.owner.items() if k != "listeners"}
            self._lock.record(owner if bootstrap is None else {**owner, "listeners": bootstrap})

    async def __aenter__(self) -> Cluster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- metadata --------------------------------------------------------------------

    @property
    def metadata(self) -> MetadataImage:
        return self.controller.image

    def topic(self, name: str) -> TopicInfo:
        """The topic's metadata, or UNKNOWN_TOPIC_OR_PARTITION."""
        return self.controller.topic(name)

    def topic_names(self, *, include_internal: bool = False) -> list[str]:
        return sorted(n for n, t in self.metadata.topics.items() if include_internal or not t.is_internal)

    def leader(self, topic: str, partition: int) -> Broker:
        """The broker leading a partition (as clients find it through Metadata)."""
        info = self.topic(topic)
        if not 0 <= partition < len(info.partitions):
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"topic '{topic}' has no partition {partition} "
                f"(it has {len(info.partitions)}: 0..{len(info.partitions) - 1})",
            )
        leader = info.partitions[partition].leader
        if leader not in self.brokers:
            raise KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, f"{topic}-{partition} has no leader right now")
        return self.brokers[leader]

    def describe_topic(self, name: str) -> TopicDescription:
        info = self.topic(name)
        partitions = []
        for p in info.partitions:
            states = tuple(
                s
                for b in p.replicas
                if b in self.brokers and (s := self.brokers[b].replica(name, p.partition))
            )
            lead = next((s for s in states if s.broker_id == p.leader), None)
            partitions.append(
                PartitionDescription(
                    p.partition,
                    p.leader,
                    p.leader_epoch,
                    p.replicas,
                    p.isr,
                    lead.log_start_offset if lead else -1,
                    lead.log_end_offset if lead else -1,
                    lead.high_watermark if lead else -1,
                    lead.size_bytes if lead else 0,
                    states,
                )
            )
        return TopicDescription(
            name,
            info.topic_id,
            info.replication_factor,
            tuple(partitions),
            dict(info.config.overrides),
        )

    # --- admin -----------------------------------------------------------------------

    def _require_controller(self) -> None:
        """Admin requests need an active controller; between a controller's death and
        the election that replaces it there is none (Kafka's clients retry on this)."""
        if self.quorum.active == -1:
            raise KafkaError(
                ErrorCode.NOT_CONTROLLER,
                "no active controller right now: the quorum is electing one (controller.quorum."
                f"election.timeout.ms={self.defaults.controller_quorum_election_timeout_ms}); try again",
            )

    async def create_topic(
        self,
        name: str,
        partitions: int | None = None,
        replication_factor: int | None = None,
        configs: Mapping[str, str] | None = None,
        *,
        validate_only: bool = False,
    ) -> TopicInfo:
        self._require_controller()
        return await self.controller.create_topic(
            name, partitions, replication_factor, configs, validate_only=validate_only
        )

    async def delete_topic(self, name: str) -> None:
        self._require_controller()
        await self.controller.delete_topic(name)

    async def create_partitions(self, name: str, total: int, *, validate_only: bool = False) -> TopicInfo:
        self._require_controller()
        return await self.controller.create_partitions(name, total, validate_only=validate_only)

    async def alter_topic_configs(self, name: str, changes: Mapping[str, str | None]) -> TopicInfo:
        self._require_controller()
        return await self.controller.alter_topic_configs(name, changes)

    # --- segments, retention, compaction (see cleaner.py) -----------------------------

    async def compact_topic(self, name: str) -> list[tuple[int, int, CleanResult]]:
        """Run the log cleaner now on every replica of a compacted topic, however dirty
        (Kafka waits for min.cleanable.dirty.ratio): (broker, partition, what it did)."""
        info = self.topic(name)
        if "compact" not in info.config.cleanup_policy:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"topic '{name}' has cleanup.policy={','.join(info.config.cleanup_policy)}; the log "
                "cleaner only compacts topics with cleanup.policy=compact",
            )
        return await self.housekeeping.clean_all(name, force=True)

    async def enforce_retention(self, name: str | None = None) -> list[tuple[int, int, int]]:
        """Run the retention check now (Kafka runs it every
        log.retention.check.interval.ms): (broker, partition, new log start offset)."""
        if name is not None:
            self.topic(name)
        return await self.housekeeping.retain_all(name)

    async def delete_records(self, name: str, partition: int, offset: int) -> int:
        """DeleteRecords (kafka-delete-records.sh): move the partition's log start offset
        up to `offset` (-1: the high watermark) on every running replica and drop the
        batches wholly below it; returns the new log start offset (the low watermark).
        An offset above the high watermark is OFFSET_OUT_OF_RANGE, as in Kafka."""
        log = self._leader_log(name, partition)[1]
        target = log.high_watermark if offset == -1 else offset
        if not 0 <= target <= log.high_watermark:
            raise KafkaError(
                ErrorCode.OFFSET_OUT_OF_RANGE,
                f"cannot delete records of {name}-{partition} below offset {offset}: it must be between 0 "
                f"and the high watermark {log.high_watermark} (-1 for the high watermark)",
            )
        moved = await self.housekeeping.delete_before(name, partition, target)
        return max([log.log_start_offset, *moved])

    def _leader_log(self, name: str, partition: int) -> tuple[TopicInfo, PartitionLog]:
        """A topic and the leader's replica of one of its partitions."""
        info = self.topic(name)
        return info, self.leader(name, partition).logs[(info.topic_id, partition)]

    async def log_segments(self, name: str, partition: int) -> tuple[list[Segment], float, int]:
        """The leader replica's segments, its dirty ratio and first dirty offset."""
        info, log = self._leader_log(name, partition)
        found = await segments(log, info.config)
        ratio, first_dirty, _ = await dirty_ratio(log, info.config, self.clock.now_ms(), found)
        return found, ratio, first_dirty

    def stable_offsets(self, name: str, partition: int) -> tuple[int, dict[int, int], list[AbortedTxn]]:
        """The leader replica's last stable offset, its open transactions (producer id
        → first offset) and its aborted ones (what a read_committed fetch skips)."""
        log = self._leader_log(name, partition)[1]
        state = log.producer_state
        return log.last_stable_offset, dict(state.ongoing), list(state.aborted)

    async def elect_leaders(
        self, election_type: str = "preferred", partitions: Sequence[tuple[str, int]] | None = None
    ) -> dict[tuple[str, int], KafkaError | None]:
        """ElectLeaders: preferred (leadership back to each partition's first replica)
        or unclean (an offline partition takes any live replica). See Controller."""
        self._require_controller()
        return await self.controller.elect_leaders(election_type, partitions)

    # --- idempotent producers (KIP-98) ------------------------------------------------

    async def init_producer_id(
        self,
        transactional_id: str | None = None,
        transaction_timeout_ms: int = DEFAULT_TRANSACTION_TIMEOUT_MS,
        expected: tuple[int, int] | None = None,
    ) -> tuple[int, int]:
        """InitProducerId. Without a transactional id: a producer id never handed out
        before in this data dir, with epoch 0, from a broker (here the lowest running
        one). With one: from its transaction coordinator, the same producer id as
        before with the epoch bumped, which fences the previous producer (its ongoing
        transaction is aborted); `expected` is the (producer id, epoch) a producer
        bumping its own epoch names (KIP-360), PRODUCER_FENCED if it is not current."""
        if transactional_id is not None:
            coordinator = await self._txn_coordinator(transactional_id)
            return await coordinator.init_producer_id(
                transactional_id,
                transaction_timeout_ms,
                coordinator._broker.producer_ids.generate,
                expected,
            )
        running = [b for _, b in sorted(self.brokers.items()) if b.running]
        if not running:
            raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, "no broker is running to ask for a producer id")
        return await running[0].init_producer_id()

    # --- transactions (KIP-98) --------------------------------------------------------

    async def find_transaction_coordinator(self, transactional_id: str) -> int:
        """FindCoordinator(TRANSACTION): the broker leading the id's `__transaction_state`
        partition (the topic is created on first use)."""
        if not transactional_id:
            raise KafkaError(ErrorCode.INVALID_REQUEST, "the transactional id is empty")
        topic = await self._internal_topic(
            TRANSACTION_STATE_TOPIC,
            self.defaults.transaction_state_log_num_partitions,
            self.defaults.transaction_state_log_replication_factor,
            TRANSACTION_STATE_TOPIC_CONFIGS,
        )
        return self._coordinator_of(
            topic, transactional_id, f"the transaction coordinator of '{transactional_id}'"
        )

    def transaction_coordinator_id(self, transactional_id: str) -> int:
        """Where FindCoordinator(TRANSACTION) would point now, without creating
        `__transaction_state`: -1 if it does not exist yet or has no leader."""
        topic = self.metadata.topics.get(TRANSACTION_STATE_TOPIC)
        if topic is None:
            return -1
        return topic.partitions[transaction_partition_for(transactional_id, len(topic.partitions))].leader

    async def _txn_coordinator(self, transactional_id: str) -> TransactionCoordinator:
        broker = self.brokers[await self.find_transaction_coordinator(transactional_id)]
        coordinator = broker.txn_coordinator
        await coordinator.ensure_loaded(
            transaction_partition_for(transactional_id, coordinator.partition_count)
        )
        return coordinator

    async def _write_marker(
        self, tp: tuple[str, int], producer_id: int, epoch: int, commit: bool, coordinator_epoch: int
    ) -> None:
        """WriteTxnMarkers to the partition's current leader."""
        leader = self.leader(*tp)
        if not leader.running:
            raise KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, f"the leader of {tp[0]}-{tp[1]} is down")
        await leader.write_txn_marker(tp[0], tp[1], producer_id, epoch, commit, coordinator_epoch)

    async def add_partitions_to_txn(
        self,
        transactional_id: str,
        producer_id: int,
        producer_epoch: int,
        partitions: Sequence[tuple[str, int]],
    ) -> None:
        """AddPartitionsToTxn: the partitions the transaction writes to (it starts here)."""
        for topic, partition in partitions:
            info = self.topic(topic)
            if not 0 <= partition < len(info.partitions):
                raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{partition} does not exist")
        coordinator = await self._txn_coordinator(transactional_id)
        await coordinator.add_partitions(transactional_id, producer_id, producer_epoch, partitions)

    async def add_offsets_to_txn(
        self, transactional_id: str, producer_id: int, producer_epoch: int, group_id: str
    ) -> None:
        """AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction."""
        await self.find_coordinator(group_id)
        coordinator = await self._txn_coordinator(transactional_id)
        await coordinator.add_offsets(
            transactional_id, producer_id, producer_epoch, self._offsets_partition(group_id)
        )

    def _offsets_partition(self, group_id: str) -> tuple[str, int]:
        return OFFSETS_TOPIC, partition_for(group_id, len(self.topic(OFFSETS_TOPIC).partitions))

    async def txn_offset_commit(
        self,
        transactional_id: str,
        producer_id: int,
        producer_epoch: int,
        group_id: str,
        offsets: Mapping[tuple[str, int], OffsetAndMetadata],
        *,
        generation_id: int = -1,
        member_id: str = "",
        group_instance_id: str | None = None,
    ) -> None:
        """TxnOffsetCommit: offsets appended to the group's partition as the producer's
        transactional records, which become the group's committed offsets only when the
        transaction's COMMIT marker reaches that partition. A consumer that names its
        member and generation (TxnOffsetCommit v3, KIP-447) is checked against the group
        first; then the transaction coordinator checks the producer and that the group's
        partition is in its transaction."""
        for topic, partition in offsets:
            info = self.topic(topic)
            if not 0 <= partition < len(info.partitions):
                raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{partition} does not exist")
        group_coordinator = await self._coordinator(group_id)
        group_coordinator.validate_txn_offset_commit(group_id, member_id, generation_id, group_instance_id)
        coordinator = await self._txn_coordinator(transactional_id)
        await coordinator.txn_offset_commit(
            transactional_id, producer_id, producer_epoch, group_id, self._offsets_partition(group_id),
            lambda: group_coordinator.commit_transactional(
                group_id, producer_id, producer_epoch, offsets, self.clock.now_ms()
            ),
        )  # fmt: skip

    async def verify_transaction(
        self,
        transactional_id: str,
        producer_id: int,
        producer_epoch: int,
        tp: tuple[str, int],
        broker_id: int,
    ) -> None:
        """Broker `broker_id`'s check before appending the first transactional batch of a
        producer with no open transaction at a partition it leads (KIP-890 part 1's
        verification): the partition must be in the id's ongoing transaction. Raises what
        a produce answers: NOT_LEADER_OR_FOLLOWER first if it does not lead it,
        INVALID_TXN_STATE when the partition is not in the transaction,
        INVALID_PRODUCER_EPOCH for a fenced producer, and NOT_ENOUGH_REPLICAS (retriable,
        as Kafka's ReplicaManager translates it) while the coordinator cannot tell."""
        leader = self.leader(*tp)
        if leader.broker_id != broker_id:
            raise KafkaError(
                ErrorCode.NOT_LEADER_OR_FOLLOWER, f"broker {broker_id} is not the leader of {tp[0]}-{tp[1]}"
            )
        log = leader.logs.get((self.topic(tp[0]).topic_id, tp[1]))
        if log is not None and producer_id in log.producer_state.ongoing:
            return  # its transaction is open here already: verified by its first batch
        try:
            coordinator = await self._txn_coordinator(transactional_id)
            coordinator.verify_partitions(transactional_id, producer_id, producer_epoch, [tp])
        except KafkaError as error:
            if error.code is ErrorCode.PRODUCER_FENCED:
                raise KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, error.message) from error
            if error.code in (
                ErrorCode.CONCURRENT_TRANSACTIONS,
                ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                ErrorCode.COORDINATOR_NOT_AVAILABLE,
                ErrorCode.NOT_COORDINATOR,
            ):
                raise KafkaError(
                    ErrorCode.NOT_ENOUGH_REPLICAS,
                    f"Unable to verify the partition has been added to the transaction. "
                    f"Underlying error: {error.name}",
                ) from error
            raise

    async def end_txn(
        self, transactional_id: str, producer_id: int, producer_epoch: int, commit: bool
    ) -> None:
        """EndTxn: commit or abort; answered once every partition has its marker."""
        coordinator = await self._txn_coordinator(transactional_id)
        await coordinator.end_txn(transactional_id, producer_id, producer_epoch, commit)

    def pending_txn_offsets(self, group_id: str) -> set[tuple[str, int]]:
        """The group's partitions with offsets in an open transaction (sent with
        TxnOffsetCommit, not yet committed or aborted), on any coordinator."""
        return {
            tp
            for broker in self.brokers.values()
            if broker.running
            for tp in broker.coordinator.pending_txn_partitions(group_id)
        }

    async def describe_transaction(self, transactional_id: str) -> TransactionDescription | None:
        """DescribeTransactions: the id's producer, epoch, state and partitions (None: unknown)."""
        return (await self._txn_coordinator(transactional_id)).describe(transactional_id)

    async def abort_timed_out_transactions(self) -> list[str]:
        """What the coordinators do every 10 s: abort transactions older than their
        transaction.timeout.ms (the producer is fenced). Returns the ids aborted."""
        aborted: list[str] = []
        for broker in self.brokers.values():
            if broker.running and broker.txn_coordinator.partition_count:
                aborted += await broker.txn_coordinator.abort_timed_out()
        return aborted

    async def _abort_timed_out_loop(self) -> None:
        while True:
            await self.clock.sleep(ABORT_TIMED_OUT_INTERVAL_MS / 1000)
            try:
                await self.abort_timed_out_transactions()
            except KafkaError:
                pass  # a leader moving under us: the next round
            except Exception as error:
                self.errors.append(error)

    def drop_next_acks(self, count: int = 1, topic: str | None = None) -> None:
        """A fault: the next `count` produce responses (for `topic`, or any topic) are
        lost after the leader appended the batch, so the producer retries it. Without
        idempotence the retry is appended again; with it the leader drops the duplicate."""
        if count < 1:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"the number of acks to drop must be at least 1, not {count}"
            )
        if topic is not None:
            self.topic(topic)
        self.network.drop_acks(count, topic)

    @property
    def duplicates_dropped(self) -> int:
        """Retried batches the brokers recognised and did not append again (since start)."""
        return sum(b.duplicates_dropped for b in self.brokers.values())

    # --- group coordinator: committed offsets ----------------------------------------

    async def find_coordinator(self, group_id: str) -> int:
        """FindCoordinator: the broker leading the group's `__consumer_offsets` partition
        (the topic is created on first use, as Kafka does)."""
        if not group_id:
            raise KafkaError(ErrorCode.INVALID_GROUP_ID, "the group id is empty")
        topic = await self._internal_topic(
            OFFSETS_TOPIC,
            self.defaults.offsets_topic_num_partitions,
            self.defaults.offsets_topic_replication_factor,
            OFFSETS_TOPIC_CONFIGS,
        )
        return self._coordinator_of(topic, group_id, f"the coordinator of group '{group_id}'")

    def _coordinator_of(self, topic: TopicInfo, key: str, what: str) -> int:
        """The running leader of `key`'s partition of a coordinator topic
        (`abs(hashCode) % partitions`), else COORDINATOR_NOT_AVAILABLE."""
        leader = topic.partitions[partition_for(key, len(topic.partitions))].leader
        if leader == -1 or not self.brokers[leader].running:
            raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, f"{what} is not available")
        return leader

    async def _internal_topic(
        self, name: str, partitions: int, replication_factor: int, configs: Mapping[str, str]
    ) -> TopicInfo:
        """An internal topic, created on first use with its replication capped by the
        live brokers (Kafka's `AutoTopicCreationManager` for coordinator topics)."""
        topic = self.metadata.topics.get(name)
        if topic is None:
            self._require_controller()
            live = sum(1 for info in self.metadata.brokers.values() if not info.fenced)
            try:
                await self.controller.create_topic(
                    name, partitions, max(1, min(replication_factor, live)), configs
                )
            except KafkaError as error:
                if error.code is not ErrorCode.TOPIC_ALREADY_EXISTS:
                    raise KafkaError(
                        ErrorCode.COORDINATOR_NOT_AVAILABLE, f"cannot create {name}: {error.message}"
                    ) from error
            topic = self.metadata.topics[name]
        return topic

    async def _coordinator(self, group_id: str) -> GroupCoordinator:
        broker = self.brokers[await self.find_coordinator(group_id)]
        await broker.coordinator.ensure_loaded(partition_for(group_id, broker.coordinator.partition_count))
        return broker.coordinator

    async def commit_offsets(
        self,
        group_id: str,
        offsets: Mapping[tuple[str, int], OffsetAndMetadata],
        *,
        generation_id: int = -1,
        member_id: str = "",
        group_instance_id: str | None = None,
    ) -> None:
        """OffsetCommit, stored in `__consumer_offsets` with acks=all. A group member
        names itself and its generation; generation -1 (an admin, or a consumer with
        manual assignment) is accepted only while the group has no members."""
        for topic, partition in offsets:
            info = self.topic(topic)
            if not 0 <= partition < len(info.partitions):
                raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"{topic}-{partition} does not exist")
        coordinator = await self._coordinator(group_id)
        await coordinator.commit(
            group_id, offsets, self.clock.now_ms(), generation_id=generation_id, member_id=member_id,
            group_instance_id=group_instance_id,
        )  # fmt: skip

    async def fetch_offsets(
        self, group_id: str, partitions: Sequence[tuple[str, int]] | None = None
    ) -> dict[tuple[str, int], OffsetAndMetadata]:
        """OffsetFetch: the group's committed offsets (all, or those of `partitions`)."""
        return (await self._coordinator(group_id)).fetch(group_id, partitions)

    async def delete_group(self, group_id: str) -> int:
        """DeleteGroups: an Empty group's metadata and committed offsets are tombstoned
        (NON_EMPTY_GROUP while it has members); returns how many offsets it had."""
        return await (await self._coordinator(group_id)).delete(group_id, self.clock.now_ms())

    # --- group coordinator: membership (the classic protocol) -------------------------

    async def join_group(self, group_id: str, member_id: str, **request: Any) -> JoinResult:
        """JoinGroup at the group's coordinator (see ClassicGroup.join for the fields)."""
        group = (await self._coordinator(group_id)).group(group_id, create=True)
        return await group.join(member_id, **request)

    async def sync_group(self, group_id: str, member_id: str, generation_id: int, **request: Any) -> bytes:
        group = (await self._coordinator(group_id)).group(group_id)
        return await group.sync(member_id, generation_id, **request)

    async def heartbeat(self, group_id: str, member_id: str, generation_id: int, **request: Any) -> None:
        (await self._coordinator(group_id)).group(group_id).heartbeat(member_id, generation_id, **request)

    async def leave_group(
        self, group_id: str, members: Sequence[tuple[str, str | None]]
    ) -> tuple[LeaveResult, ...]:
        """LeaveGroup: each member's outcome (v3+ answers them one by one)."""
        return (await self._coordinator(group_id)).group(group_id).leave(members)

    async def describe_group(self, group_id: str) -> GroupDescription | None:
        """DescribeGroups: state, protocol, generation and members (None: no such group)."""
        group = (await self._coordinator(group_id)).describe(group_id)
        return None if group is None else group.describe()

    # --- faults ----------------------------------------------------------------------

    async def stop_broker(self, broker_id: int, *, crash: bool = False) -> None:
        """Stop a broker. Gracefully, it hands leadership over first (controlled
        shutdown) and the controller fences it at once. A crash just dies: nothing
        changes until the controller misses its heartbeats for broker.session.timeout.ms
        (or, if it was the controller, until the others elect a new one). A fenced
        broker is persisted as such: it stays stopped in later processes."""
        broker = self._broker(broker_id)
        if not broker.running:
            raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, f"broker {broker_id} is already stopped")
        was_controller = self.quorum.active == broker_id
        if not crash and self.quorum.active == -1:
            raise KafkaError(
                ErrorCode.NOT_CONTROLLER,
                f"a controlled shutdown of broker {broker_id} needs the active controller, and the "
                "quorum is electing one; try again in a moment (or crash the broker)",
            )
        if crash:
            await broker.crash()
            if was_controller:
                self.quorum.lost()
        else:
            await self.controller.fence_broker(broker_id)
            await broker.stop()
            if was_controller:
                self.quorum.resign()
        self.bus.publish(BrokerStopped(timestamp_ms=self.clock.now_ms(), broker_id=broker_id, crashed=crash))

    async def start_broker(self, broker_id: int) -> None:
        """Restart a stopped broker: recover its logs, register with the controller and
        rejoin as follower (truncating what its leaders never had) or as leader of
        partitions waiting for it. A broker that crashed and returns before its session
        expired registers as a new incarnation: the controller fences the old one first."""
        broker = self._broker(broker_id)
        if broker.running:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"broker {broker_id} is already running")
        await broker.recover()
        if self.quorum.active == -1:
            self.quorum.elect()
        if not self.metadata.brokers[broker_id].fenced:
            await self.controller.fence_broker(broker_id, reason="restarted as a new incarnation")
        await self.controller.unfence_broker(broker_id)
        self.quorum.last_heartbeat_ms[broker_id] = self.clock.now_ms()
        self.bus.publish(BrokerStarted(timestamp_ms=self.clock.now_ms(), broker_id=broker_id))

    def broker_state(self, broker_id: int) -> str:
        """running | fenced (running, but the controller cannot hear it) | crashed (dead,
        the controller has not noticed yet) | stopped (dead and fenced)."""
        broker = self._broker(broker_id)
        info = self.metadata.brokers.get(broker_id)
        fenced = info is not None and info.fenced
        if broker.running:
            return "fenced" if fenced else "running"
        return "stopped" if fenced else "crashed"

    def set_latency(self, ms: int, a: int | None = None, b: int | None = None) -> None:
        """Delay every request between brokers `a` and `b` (both ways), or between all."""
        if ms < 0:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"latency must be 0 ms or more, not {ms}")
        if a is not None or b is not None:
            self._check_link(a if a is not None else -1, b if b is not None else -1)
        for x in self.brokers:
            for y in self.brokers:
                if x < y and (a is None or {x, y} == {a, b}):
                    self.network.set_latency(x, y, ms)

    def set_loss(self, a: int, b: int, loss: float) -> None:
        """Drop each request between `a` and `b` with probability `loss` (0..1)."""
        self._check_link(a, b)
        if not 0.0 <= loss <= 1.0:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"loss is a fraction from 0 to 1, not {loss}")
        self.network.set_loss(a, b, loss)

    def cut_link(self, a: int, b: int) -> None:
        """Cut the network between two brokers: no fetches, no heartbeats across it."""
        self._check_link(a, b)
        self.network.cut(a, b)

    def heal_link(self, a: int, b: int) -> None:
        """Reconnect two brokers (and clear the link's loss)."""
        self._check_link(a, b)
        self.network.heal(a, b)

    def _check_link(self, a: int, b: int) -> None:
        self._broker(a), self._broker(b)
        if a == b:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"a link joins two different brokers, not {a} and {b}"
            )

    def progress(self) -> tuple[object, ...]:
        """A fingerprint of everything that can move: logs, HWs, metadata, sleepers.

        Unchanged over a few real-time checks means the cluster is idle until the
        clock moves (see `settle`)."""
        logs = tuple(
            (b.broker_id, key, log.log_end_offset, log.high_watermark)
            for b in self.brokers.values()
            for key, log in sorted(b.logs.items())
        )
        busy = sum(b.storage.in_flight for b in self.brokers.values()) + self._metadata_log.in_flight
        return (logs, self.metadata.offset, getattr(self.clock, "pending", None), busy)

    async def settle(self, checks: int = 3, interval: float = 0.002) -> None:
        """Wait until nothing moves without the clock: deterministic steps on a ManualClock
        (SQLite answers from its own threads, so 'idle' must be observed, not assumed):
        `checks` quiet checks `interval` apart.

        On a ManualClock the checks cost no wall time while they can: the cluster is idle
        once no SQLite call is in flight and the event loop has nothing else ready to run
        (CPython's loop keeps those callbacks in `_ready`). Sleeping `interval` per check
        made the demos spend 90% of their time waiting. Only when other work keeps the loop
        busy for `_BUSY_ROUNDS` quiet rounds (other clusters in the same loop) does it
        check by the clock again."""
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None) if isinstance(self.clock, ManualClock) else None
        busy = 0 if ready is not None else _BUSY_ROUNDS
        stable = 0
        last = self.progress()
        while stable < checks:
            quick = busy < _BUSY_ROUNDS
            await asyncio.sleep(0 if quick else interval)
            now = self.progress()
            if now != last or now[-1]:
                stable = 0
            elif quick and ready:  # quiet here, but the loop has more to run first
                busy += 1
                stable = 0
            else:
                stable += 1
            last = now

    async def advance_until(self, check: Callable[[], bool], *, limit_ms: int = 120_000) -> int:
        """On a ManualClock: move time a controller tick at a time, settling between steps,
        until `check()` holds; returns the clock time that took. For scripted scenarios
        (a crash is only noticed after broker.session.timeout.ms of cluster time)."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("advance_until drives a ManualClock; on a real clock, wait instead")
        start = clock.now_ms()
        await self.settle()
        while not check():
            if clock.now_ms() - start >= limit_ms:
                raise TimeoutError(f"condition not reached within {limit_ms} ms of cluster time")
            await clock.advance(self.quorum.tick_ms)
            await self.settle()
        return clock.now_ms() - start

    def _broker(self, broker_id: int) -> Broker:
        broker = self.brokers.get(broker_id)
        if broker is None:
            raise KafkaError(
                ErrorCode.BROKER_NOT_AVAILABLE,
                f"there is no broker {broker_id} (brokers: {', '.join(map(str, sorted(self.brokers)))})",
            )
        return broker

    @property
    def controller_id(self) -> int:
        """The broker holding the active controller role, or -1 during an election."""
        return self.quorum.active

    async def read_log(
        self, topic: str, partition: int, offset: int, max_records: int = 500
    ) -> list[RecordBatch]:
        """Decoded batches of the leader's log from `offset`, about `max_records` records.

        Batches are whole, so the first may start before `offset`.
        """
        leader = self.leader(topic, partition)
        batches: list[RecordBatch] = []
        count = 0
        while count < max_records:
            # Small reads: decoding is the cost, so stop as soon as enough records came.
            datas = await leader.read_replica(topic, partition, offset, 32 * 1024)
            if not datas:
                break
            for data in datas:
                batch = decode_batch(data)
                batches.append(batch)
                count += len(batch.records)
                offset = batch.header.last_offset + 1
                if count >= max_records:
                    break
        return batches

    async def broker_disk_usage(self) -> dict[int, int]:
        """Bytes each broker's database occupies."""
        return {b.broker_id: await b.storage.file_size() for b in self.brokers.values()}
