"""The Cluster facade: brokers, controller, clock, RNG and event bus in one object.

Everything outside the engine (CLI, TUI, wire server, demos) goes through `Cluster`.
On disk a cluster is a data directory:

    <data-dir>/cluster-metadata.db   the metadata log (topics, partitions, configs)
    <data-dir>/broker-<id>.db        one database per broker: its partition logs
    <data-dir>/kafkatui.lock         held by the process that owns the cluster (`lockfile.py`)

`Cluster` is `ClusterCore` (its parts and lookups) with the coordinators' requests
(`coordinator_apis.py`), fault injection (`faults.py`) with checking and repairing a
broker's database over it (`log_dirs.py`), and deterministic stepping (`scenario.py`),
so every caller holds one object; what it says about a topic is in
`descriptions.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from kafkatui.common.admin import (
    ConfigEntry,
    ConfigSource,
    ConfigType,
    PartitionDescription,
    TopicDescription,
)
from kafkatui.common.clock import Clock, RealClock
from kafkatui.common.data_dir import CONNECT, KSQL, LISTENERS, REST_PROXY, SCHEMA_REGISTRY
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import BrokerStarted, BrokerStopped, EventBus, MetadataLogRebuilt
from kafkatui.engine.cluster_core import kafka_uuid
from kafkatui.engine.controller.controller import Controller
from kafkatui.engine.controller.log_dirs import rebuilding
from kafkatui.engine.coordinator.transaction.producer_ids import AllocateProducerIds
from kafkatui.engine.coordinator_apis import CoordinatorApis
from kafkatui.engine.lockfile import (
    METADATA_FILE,
    DataDirLock,
    check_data_dir,
    storage_error,
)
from kafkatui.engine.log.cleaner import CleanResult, Segment, dirty_ratio, segments
from kafkatui.engine.log.partition_log import PartitionLog
from kafkatui.engine.log.producer_state import AbortedTxn
from kafkatui.engine.log.records import RecordBatch, decode_batch
from kafkatui.engine.log_dirs import LogDirControls
from kafkatui.engine.metadata.image import MetadataDamaged, MetadataImage, TopicInfo
from kafkatui.engine.metadata.replicas import MetadataCopies, Rebuilt, open_metadata_log
from kafkatui.engine.metadata.scram import LEGACY_FILE_NAME
from kafkatui.engine.scenario import ScenarioDriver
from kafkatui.engine.server.broker import Broker
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.engine.server.network import Network
from kafkatui.engine.server.requests import AlterPartition, ShrinkIsr

DEFAULT_BROKERS = 3
log = logging.getLogger(__name__)


def _metadata_damaged(path: Path, error: BaseException) -> KafkaError:
    """The metadata log cannot be read and no broker's copy could replace it: no broker
    can start without it. Say which, and what to do."""
    file = path / METADATA_FILE
    return storage_error(
        f"{file} is damaged ({error}) and no broker's copy of it (cluster-metadata.broker-N.db) "
        f"replays whole: the cluster's topics, partitions, leaders and configs cannot be read, so "
        f"no broker starts. The brokers' logs (broker-N.db) are not touched. Restore "
        f"{METADATA_FILE} from a backup, or move {path} aside and start a new cluster"
    )


class Cluster(CoordinatorApis, LogDirControls, ScenarioDriver):
    """A small Kafka cluster: N brokers with their own SQLite databases and a controller."""

    metadata_rebuilt: MetadataLogRebuilt | None = None  # this start rebuilt cluster-metadata.db

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
            check_data_dir(path)
            lock = DataDirLock(path)
            try:
                lock.acquire(command)
            except OSError as error:
                raise storage_error(f"cannot write to the data dir {path}: {error.strerror}") from None
        metadata_log = None
        # Link loss and ids draw from their own RNGs, so they never shift topic ids or
        # placements; on disk ids are random (they must differ from any earlier run's).
        ids = random.Random(f"{seed}/ids") if path is None and seed is not None else None
        try:
            try:
                metadata_log, image, rebuilt = await open_metadata_log(path, lambda: kafka_uuid(ids))
            except (sqlite3.DatabaseError, MetadataDamaged) as error:
                if path is None or isinstance(error, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
                    raise
                raise _metadata_damaged(path, error) from error
            controller = Controller(metadata_log, image, clock, rng, bus, defaults)
            network = Network(random.Random(None if seed is None else f"{seed}/network"))
            cluster = cls(path, clock, rng, bus, controller, metadata_log, lock, network, ids)
            await cluster._start(image, brokers)
            if path is not None:
                await controller.scram.import_legacy_file(path / LEGACY_FILE_NAME)  # KIP-554
                await cluster._replicate_metadata(path, rebuilt)
        except BaseException as error:
            if metadata_log is not None:
                await metadata_log.close()
            if lock is not None:
                lock.release()
            # SQLite's own failures (unreadable, read-only, full); not its IntegrityError
            # or ProgrammingError, which would be kafkatui's bugs. A broker's database
            # that fails does not get here: that broker starts with its log dir offline.
            if path is not None and type(error) in (sqlite3.DatabaseError, sqlite3.OperationalError):
                raise storage_error(f"cannot open the databases in {path}: {error}") from error
            raise
        return cluster

    async def _replicate_metadata(self, path: Path, rebuilt: Rebuilt | None) -> None:
        """Every running broker keeps a copy of the metadata log (replicas.py), and a
        rebuilt `cluster-metadata.db` is announced (before anyone could subscribe, so
        also kept in `metadata_rebuilt`)."""
        running = lambda: [b for b, broker in self.brokers.items() if broker.running]  # noqa: E731
        copies = MetadataCopies(path, self._metadata_log.cluster_id, sorted(self.brokers), running)
        await self._metadata_log.replicate(copies)
        if rebuilt is not None:
            self.metadata_rebuilt = MetadataLogRebuilt(
                timestamp_ms=self.clock.now_ms(), path=str(rebuilt.path), source=str(rebuilt.source),
                broker_id=rebuilt.broker_id, reason=rebuilt.reason, last_offset=rebuilt.last_offset,
                kept_as=str(rebuilt.kept_as or ""),
            )  # fmt: skip
            log.warning("%s", self.metadata_rebuilt.message)
            self.bus.publish(self.metadata_rebuilt)

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
                self.brokers[broker_id] = Broker(
                    broker_id,
                    await self._open_storage(broker_id),
                    self.clock,
                    self.bus,
                    network=self.network,
                    defaults=self.defaults,
                )
            await self.controller.register_brokers(ids)
            # Before any broker leads or follows: a database that is not the one its
            # replicas were in, or that is offline, takes them out of ISRs and leadership.
            for broker in self.brokers.values():
                await self._register_log_dir(broker)
            fenced = {b for b, info in self.controller.image.brokers.items() if info.fenced}
            for broker in self.brokers.values():
                broker.connect(
                    self._reachable,
                    *self._alter_partition(broker.broker_id),
                    self._allocate_producer_ids(broker.broker_id),
                )
                broker.report_log_dir_failure = self._report_log_dir_failure
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

    async def _apply_metadata(self, image: MetadataImage) -> None:
        """Every broker opens its new logs first; only then do followers start fetching."""
        running = [b for b in self.brokers.values() if b.running]
        for broker in running:
            await broker.apply_metadata(image)
        for broker in running:
            broker.sync_fetchers()

    async def close(self) -> None:
        """Checkpoint and close every broker, the metadata log, then release the data dir.
        Every database is closed even if one fails (a full disk): one left open keeps its
        SQLite thread, and so the process, alive. The first failure is raised after."""
        failures: list[BaseException] = []
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
        finally:
            for broker in self.brokers.values():
                was_running = broker.running
                try:
                    await broker.close()
                except Exception as error:
                    failures.append(error)
                    continue
                if was_running:
                    self.bus.publish(
                        BrokerStopped(timestamp_ms=self.clock.now_ms(), broker_id=broker.broker_id)
                    )
            try:
                await self._metadata_log.close()
            finally:
                if self._lock is not None:
                    self._lock.release()
        if failures:
            raise failures[0]

    def advertise_listeners(self, bootstrap: str | None) -> None:
        """Record the wire listeners (`host:port,...`) in the data dir's lock file, so a
        second kafkatui process can say where the running cluster is served."""
        if self._lock is not None:
            self._lock.advertise(LISTENERS, bootstrap)

    def advertise_schema_registry(self, url: str | None) -> None:
        """Record the Schema Registry's URL there too, so `kafkatui schema` in a second
        process talks to this registry rather than starting its own."""
        if self._lock is not None:
            self._lock.advertise(SCHEMA_REGISTRY, url)

    def advertise_rest_proxy(self, url: str | None) -> None:
        """And the REST Proxy's, so a second kafkatui process (an attached workbench, its
        REST lesson) sends HTTP clients to this one."""
        if self._lock is not None:
            self._lock.advertise(REST_PROXY, url)

    def advertise_connect(self, url: str | None) -> None:
        """And the Connect worker's REST API, so an attached workbench shows its Connect
        panel and `kafkatui connect` in a second process finds the worker."""
        if self._lock is not None:
            self._lock.advertise(CONNECT, url)

    def advertise_ksql(self, url: str | None) -> None:
        """And ksqlDB's REST API, so `kafkatui ksql` in a second process uses this server
        (its running queries, its push queries) rather than starting one of its own."""
        if self._lock is not None:
            self._lock.advertise(KSQL, url)

    async def __aenter__(self) -> Cluster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- topics ----------------------------------------------------------------------

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
                    tuple(
                        b
                        for b in p.replicas
                        if (r := self.metadata.brokers.get(b)) is not None and not r.dir_online
                    ),
                    rebuilding(self.metadata, p),
                    p.eligible_leader_replicas,
                    p.last_known_elr,
                )
            )
        return TopicDescription(
            name,
            info.topic_id,
            info.replication_factor,
            tuple(partitions),
            dict(info.config.overrides),
        )

    # --- segments, retention, compaction (see log/cleaner.py) -------------------------

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
        leader = self.leader(name, partition)
        log = leader.logs.get((info.topic_id, partition))
        if log is None:  # the metadata named the leader before its log was opened: retriable
            raise KafkaError(
                ErrorCode.NOT_LEADER_OR_FOLLOWER,
                f"broker {leader.broker_id} is not serving {name}-{partition} yet",
            )
        return info, log

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

    # --- the brokers' logs ------------------------------------------------------------

    @property
    def duplicates_dropped(self) -> int:
        """Retried batches the brokers recognised and did not append again (since start)."""
        return sum(b.duplicates_dropped for b in self.brokers.values())

    def broker_configs(self, broker_id: int) -> list[ConfigEntry]:
        """DescribeConfigs(BROKER): the broker settings kafkatui has (`BrokerDefaults`),
        by Kafka's names and types; read-only, as kafkatui has no dynamic broker configs."""
        self._broker(broker_id)
        d = self.defaults
        boolean, integer, long, short = ConfigType.BOOLEAN, ConfigType.INT, ConfigType.LONG, ConfigType.SHORT
        settings = [
            ("auto.create.topics.enable", str(d.auto_create_topics_enable).lower(), boolean),
            ("auto.leader.rebalance.enable", str(d.auto_leader_rebalance_enable).lower(), boolean),
            ("broker.heartbeat.interval.ms", d.broker_heartbeat_interval_ms, integer),
            ("broker.session.timeout.ms", d.broker_session_timeout_ms, integer),
            ("connections.max.idle.ms", d.connections_max_idle_ms, long),
            ("controller.quorum.election.timeout.ms", d.controller_quorum_election_timeout_ms, integer),
            ("default.replication.factor", d.default_replication_factor, integer),
            ("group.initial.rebalance.delay.ms", d.group_initial_rebalance_delay_ms, integer),
            ("leader.imbalance.check.interval.seconds", d.leader_imbalance_check_interval_ms // 1000, long),
            ("leader.imbalance.per.broker.percentage", d.leader_imbalance_per_broker_percentage, integer),
            ("log.cleaner.backoff.ms", d.log_cleaner_backoff_ms, long),
            ("log.retention.check.interval.ms", d.log_retention_check_interval_ms, long),
            ("max.connections", d.max_connections, integer),
            ("max.connections.per.ip", d.max_connections_per_ip, integer),
            ("node.id", broker_id, integer),
            ("num.partitions", d.num_partitions, integer),
            ("offsets.topic.num.partitions", d.offsets_topic_num_partitions, integer),
            ("offsets.topic.replication.factor", d.offsets_topic_replication_factor, short),
            ("producer.id.expiration.check.interval.ms", d.producer_id_expiration_check_interval_ms, integer),
            ("producer.id.expiration.ms", d.producer_id_expiration_ms, integer),
            ("replica.fetch.backoff.ms", d.replica_fetch_backoff_ms, integer),
            ("replica.fetch.wait.max.ms", d.replica_fetch_wait_max_ms, integer),
            ("replica.lag.time.max.ms", d.replica_lag_time_max_ms, long),
            ("socket.request.max.bytes", d.socket_request_max_bytes, integer),
            ("transaction.state.log.num.partitions", d.transaction_state_log_num_partitions, integer),
            ("transaction.state.log.replication.factor", d.transaction_state_log_replication_factor, short),
        ]
        source = ConfigSource.STATIC_BROKER_CONFIG
        return [ConfigEntry(n, str(v), source, False, True, False, t, "") for n, v, t in settings]

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
            try:
                datas = await leader.read_replica(topic, partition, offset, 32 * 1024)
            except KafkaError as error:
                # A topic just created: the controller has it, its leader has not made the
                # replica yet (a moment later it has). Nothing to show yet, not an error.
                if error.code is ErrorCode.UNKNOWN_TOPIC_OR_PARTITION and not batches:
                    return []
                raise
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
        """Bytes each broker's database occupies (0 for one offline)."""
        usage = {}
        for b in self.brokers.values():
            try:
                usage[b.broker_id] = await b.storage.file_size()
            except KafkaError:
                usage[b.broker_id] = 0
        return usage
