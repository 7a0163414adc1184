"""The Cluster facade: brokers, controller, clock, RNG and event bus in one object.

Everything outside the engine (CLI, TUI, wire server, demos) goes through `Cluster`.
On disk a cluster is a data directory:

    <data-dir>/cluster-metadata.db   the metadata log (topics, partitions, configs)
    <data-dir>/broker-<id>.db        one database per broker: its partition logs
    <data-dir>/kafkatui.lock         held by the process that owns the cluster
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kafkatui.engine.broker import Broker, ReplicaSnapshot
from kafkatui.engine.clock import Clock, RealClock
from kafkatui.engine.controller import BrokerDefaults, Controller
from kafkatui.engine.errors import ErrorCode, KafkaError
from kafkatui.engine.events import BrokerStarted, BrokerStopped, EventBus
from kafkatui.engine.metadata import MetadataImage, MetadataLog, TopicInfo
from kafkatui.engine.records import RecordBatch, decode_batch
from kafkatui.engine.storage import BrokerStorage

DEFAULT_BROKERS = 3
LOCK_FILE = "kafkatui.lock"
METADATA_FILE = "cluster-metadata.db"


class DataDirLockedError(Exception):
    """Another process owns the data directory (Kafka's 'Failed to acquire lock')."""

    name = "DATA_DIR_LOCKED"

    def __init__(self, data_dir: Path, owner: Mapping[str, Any]) -> None:
        self.data_dir = data_dir
        self.owner = dict(owner)
        pid = owner.get("pid", "?")
        command = owner.get("command", "kafkatui")
        super().__init__(f"{data_dir} is in use by pid {pid} ({command}); stop it or use another --data-dir")


class _DataDirLock:
    """An exclusive `flock` on the data dir; released by the OS if the owner dies."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._file: IO[str] | None = None

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
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "command": command}))
        handle.flush()
        self._file = handle

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
    ) -> None:
        self.data_dir = data_dir
        self.clock = clock
        self.rng = rng
        self.bus = bus
        self.controller = controller
        self._metadata_log = metadata_log
        self._lock = lock
        self.brokers: dict[int, Broker] = {}

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
            cluster = cls(path, clock, rng, bus, controller, metadata_log, lock)
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
                    broker_id, await BrokerStorage.open(db), self.clock, self.bus
                )
            await self.controller.register_brokers(ids)
            fenced = {b for b, info in self.controller.image.brokers.items() if info.fenced}
            for broker in self.brokers.values():
                broker.connect(self._reachable, self.controller.expand_isr)
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
        except BaseException:
            for broker in self.brokers.values():
                await broker.close()
            raise

    def _reachable(self, broker_id: int) -> Broker | None:
        broker = self.brokers.get(broker_id)
        return broker if broker is not None and broker.running else None

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

    async def create_topic(
        self,
        name: str,
        partitions: int | None = None,
        replication_factor: int | None = None,
        configs: Mapping[str, str] | None = None,
        *,
        validate_only: bool = False,
    ) -> TopicInfo:
        return await self.controller.create_topic(
            name, partitions, replication_factor, configs, validate_only=validate_only
        )

    async def delete_topic(self, name: str) -> None:
        await self.controller.delete_topic(name)

    async def create_partitions(self, name: str, total: int) -> TopicInfo:
        return await self.controller.create_partitions(name, total)

    async def alter_topic_configs(self, name: str, changes: Mapping[str, str | None]) -> TopicInfo:
        return await self.controller.alter_topic_configs(name, changes)

    async def stop_broker(self, broker_id: int, *, crash: bool = False) -> None:
        """Stop a broker. Gracefully, it hands leadership over first (controlled shutdown);
        a crash just dies, and the controller fences it. Persisted: it stays stopped."""
        broker = self._broker(broker_id)
        if not broker.running:
            raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, f"broker {broker_id} is already stopped")
        if crash:
            await broker.crash()
            await self.controller.fence_broker(broker_id)
        else:
            await self.controller.fence_broker(broker_id)
            await broker.stop()
        self.bus.publish(BrokerStopped(timestamp_ms=self.clock.now_ms(), broker_id=broker_id, crashed=crash))

    async def start_broker(self, broker_id: int) -> None:
        """Restart a stopped broker: recover its logs, rejoin as follower (truncating what
        its leaders never had) or as leader of partitions waiting for it."""
        broker = self._broker(broker_id)
        if broker.running:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"broker {broker_id} is already running")
        await broker.recover()
        await self.controller.unfence_broker(broker_id)
        self.bus.publish(BrokerStarted(timestamp_ms=self.clock.now_ms(), broker_id=broker_id))

    def set_latency(self, ms: int, a: int | None = None, b: int | None = None) -> None:
        """Delay replica fetches between brokers `a` and `b` (both ways), or between all."""
        pairs = [(x, y) for x in self.brokers for y in self.brokers if x != y]
        for x, y in pairs:
            if a is None or {x, y} == {a, b}:
                self.brokers[x].link_latency_ms[y] = ms

    def progress(self) -> tuple[object, ...]:
        """A fingerprint of everything that can move: logs, HWs, metadata, sleepers.

        Unchanged over a few real-time checks means the cluster is idle until the
        clock moves (see `settle`)."""
        logs = tuple(
            (b.broker_id, key, log.log_end_offset, log.high_watermark)
            for b in self.brokers.values()
            for key, log in sorted(b.logs.items())
        )
        busy = sum(b.storage.in_flight for b in self.brokers.values())
        return (logs, self.metadata.offset, getattr(self.clock, "pending", None), busy)

    async def settle(self, checks: int = 3, interval: float = 0.002) -> None:
        """Wait until nothing moves without the clock: deterministic steps on a ManualClock
        (SQLite answers from its own threads, so 'idle' must be observed, not assumed)."""
        stable = 0
        last = self.progress()
        while stable < checks:
            await asyncio.sleep(interval)
            now = self.progress()
            idle = now == last and now[-1] == 0
            stable = stable + 1 if idle else 0
            last = now

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
        """The broker acting as the active controller (the lowest running id, for now)."""
        running = [b for b, broker in sorted(self.brokers.items()) if broker.running]
        return running[0] if running else -1

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
