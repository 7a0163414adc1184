"""The replicas a broker hosts and the produce and fetch paths into them: Kafka's
`ReplicaManager`.

A broker learns which replicas it hosts from the metadata image (as a KRaft broker does
from the metadata log), opens or creates their logs in its own database, runs a replica
fetcher for each partition it follows, and for each one it leads keeps its followers'
progress (`partition.py`), from which the high watermark advances and the ISR shrinks or
grows. Produce appends to partitions it leads (`produce_path.py`: an acks=all produce then
waits as a `DelayedProduce`); fetch reads up to the high watermark, long-polling as a
`DelayedFetch` (`fetch_path.py`, `purgatory.py`); followers read up to the log end.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable

from kafkatui.common.admin import ReplicaSnapshot
from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import EventBus, HighWatermarkAdvanced
from kafkatui.engine.log.log_dir import LogDirFailure
from kafkatui.engine.log.partition_log import PartitionLog
from kafkatui.engine.log.storage import BrokerStorage
from kafkatui.engine.metadata.image import MetadataImage, PartitionInfo, TopicInfo
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.engine.server.fetch_path import FetchPath
from kafkatui.engine.server.network import Network
from kafkatui.engine.server.partition import Partition, leader_high_watermark
from kafkatui.engine.server.produce_path import ProducePath
from kafkatui.engine.server.replication import LeaderEndPoint, ReplicaFetcher
from kafkatui.engine.server.requests import AlterPartition, ReportLogDirFailure, ShrinkIsr


class ReplicaManager(ProducePath, FetchPath):
    """One broker's partition replicas, in its own SQLite database (Kafka's
    `ReplicaManager`); `Broker` adds the coordinators it hosts."""

    def __init__(
        self,
        broker_id: int,
        storage: BrokerStorage,
        clock: Clock,
        bus: EventBus,
        *,
        network: Network | None = None,
        defaults: BrokerDefaults | None = None,
    ) -> None:
        self.broker_id = broker_id
        self.storage = storage
        storage.on_failure = self._log_dir_failed
        self.report_log_dir_failure: ReportLogDirFailure | None = None
        self._offline_handling: asyncio.Task[None] | None = None
        self._clock = clock
        self._bus = bus
        self._image = MetadataImage()
        self.logs: dict[tuple[str, int], PartitionLog] = {}  # (topic_id, partition) -> log
        self.running = False
        # Set while stop()/crash() runs: a metadata change committed meanwhile (e.g. a
        # producer-id block) must not start fetchers on logs about to close.
        self._stopping = False
        self._peers: Callable[[int], LeaderEndPoint | None] = lambda _: None
        self._fetchers: dict[tuple[str, int], ReplicaFetcher] = {}
        # The partitions this broker leads, each with its followers' progress in the
        # leader epoch it leads in (a new epoch starts it afresh).
        self._leading: dict[tuple[str, int], Partition] = {}
        self._expand_isr: AlterPartition | None = None
        self._shrink_isr: ShrinkIsr | None = None
        self._isr_requests: set[asyncio.Task[None]] = set()
        self._isr_expiration: asyncio.Task[None] | None = None
        self._producer_expiration: asyncio.Task[None] | None = None
        self.network = network or Network(random.Random(0))
        self.defaults = defaults or BrokerDefaults()  # replica.* settings
        # Retried batches of idempotent producers this broker did not append twice.
        self.duplicates_dropped = 0

    def connect(
        self,
        peers: Callable[[int], LeaderEndPoint | None],
        expand_isr: AlterPartition | None = None,
        shrink_isr: ShrinkIsr | None = None,
    ) -> None:
        """How this broker reaches the others (in-process; `network` decides whether a
        request gets through) and the controller (AlterPartition: a caught-up follower
        joins the ISR, a lagging one leaves it)."""
        self._peers = peers
        self._expand_isr = expand_isr
        self._shrink_isr = shrink_isr

    async def start(self, image: MetadataImage) -> None:
        """Recover the logs on disk, then host the replicas the metadata assigns here.

        (A cluster starting several brokers calls `recover` on each, then
        `apply_metadata` on each, then `sync_fetchers`, so no follower looks for a
        leader, or a leader's log, that is not there yet.)
        """
        await self.recover()
        await self.apply_metadata(image)
        self.sync_fetchers()

    def use_storage(self, storage: BrokerStorage) -> None:
        """Replace a stopped broker's database (reopened after a failure, or a repair's
        new one): the logs of the old one are forgotten."""
        assert not self.running
        for log in self.logs.values():
            log.close()
        self.logs.clear()
        self.storage = storage
        storage.on_failure = self._log_dir_failed

    async def recover(self) -> None:
        """Open the partition logs found on disk and start serving. A broker whose
        database is offline runs without replicas (KIP-112): it still heartbeats and can
        hold the controller role, and its partitions are led elsewhere."""
        for old in self.logs.values():
            await old.quiesce()  # a write that was under way when it stopped lands first
        try:
            for state in await self.storage.load_logs():
                log = PartitionLog(self.storage, state)
                await log.load_producer_state()
                self._watch(log)
                self.logs[(state.topic_id, state.partition)] = log
        except LogDirFailure:
            self.logs.clear()
        self.running = True
        self._stopping = False
        self._isr_expiration = asyncio.ensure_future(self._expire_isr_loop())
        self._producer_expiration = asyncio.ensure_future(self._expire_producers_loop())

    async def stop_fetchers(self) -> None:
        self._stopping = True  # until recover(): no new fetchers on these logs
        tasks = [f.task for f in self._fetchers.values() if f.task is not None]
        for fetcher in self._fetchers.values():
            fetcher.stop()
        self._fetchers.clear()
        for task in (self._isr_expiration, self._producer_expiration):
            if task is not None:
                task.cancel()
                tasks.append(task)
        self._isr_expiration = self._producer_expiration = None
        for request in self._isr_requests:
            request.cancel()
        tasks.extend(self._isr_requests)
        # Wait for them to finish, so none touches the database after it closes.
        await asyncio.gather(*tasks, return_exceptions=True)

    async def stop(self) -> None:
        """A clean shutdown: fetchers stop, high watermarks are checkpointed."""
        await self.stop_fetchers()
        try:
            for log in list(self.logs.values()):  # a metadata change may add logs meanwhile
                await log.checkpoint()
        except LogDirFailure:
            pass  # offline now: nothing more can be written there
        finally:
            self._go_down()

    async def crash(self) -> None:
        """Die without a clean shutdown: no checkpoint, fetchers just stop (kill -9)."""
        await self.stop_fetchers()
        self._go_down()

    def _go_down(self) -> None:
        """What stopping and crashing share: leader state and the logs go; requests
        waiting on this broker fail now, as on a dropped connection."""
        self._leading.clear()
        self.running = False
        for log in self.logs.values():
            log.close()

    async def close(self) -> None:
        try:
            if self.running:
                await self.stop()
            if self._offline_handling is not None:
                await asyncio.gather(self._offline_handling, return_exceptions=True)
        finally:
            # Even when the checkpoint fails (a full disk): an open database keeps its
            # SQLite thread, and so the process, alive.
            await self.storage.close()

    async def apply_metadata(self, image: MetadataImage) -> None:
        """Create logs for new replicas here, delete logs of removed topics, then lead or
        follow each replica as the image says."""
        await self._host_replicas(image)
        self._apply_leadership(image)

    async def _host_replicas(self, image: MetadataImage) -> None:
        """Create logs for new replicas here, delete logs of removed topics."""
        self._image = image
        if self.storage.offline:
            return  # no replicas on an offline log dir
        # The dir may go offline under us: `_log_dir_failed` takes it from there.
        with contextlib.suppress(LogDirFailure):
            await self._host_replicas_in(image)

    async def _host_replicas_in(self, image: MetadataImage) -> None:
        hosted: set[tuple[str, int]] = set()
        for topic in image.topics.values():
            for info in topic.partitions:
                if self.broker_id in info.replicas:
                    hosted.add((topic.topic_id, info.partition))
                    if (topic.topic_id, info.partition) not in self.logs:
                        state = await self.storage.create_log(topic.topic_id, topic.name, info.partition)
                        log = PartitionLog(self.storage, state)
                        self._watch(log)
                        self.logs[(topic.topic_id, info.partition)] = log
        for key in [k for k in self.logs if k not in hosted]:
            await self.storage.delete_log(self.logs.pop(key).log_id)

    def _apply_leadership(self, image: MetadataImage) -> None:
        """Become leader of the replicas the image says this broker leads (each starting
        its followers' state afresh in a new epoch), stop leading the others."""
        for topic in image.topics.values():
            for info in topic.partitions:
                log = self.logs.get((topic.topic_id, info.partition))
                if log is None:
                    continue
                log.leader_epoch = info.leader_epoch if info.leader == self.broker_id else -1
                if info.leader == self.broker_id:
                    self._become_leader(log, info)
                    self._maybe_advance_high_watermark(log, info)
                elif self._leading.pop((topic.topic_id, info.partition), None) is not None:
                    log.wake_waiters()  # acks=all requests waiting here fail: not the leader now

    def sync_fetchers(self) -> None:
        """Run one replica fetcher per partition this broker follows, toward its leader."""
        followed: set[tuple[str, int]] = set()
        for topic in self._image.topics.values():
            for info in topic.partitions:
                key = (topic.topic_id, info.partition)
                log = self.logs.get(key)
                if (
                    log is not None
                    and self.running
                    and not self._stopping
                    and 0 <= info.leader != self.broker_id
                ):
                    followed.add(key)
                    self._follow(key, topic.name, info, log)
        for key in [k for k in self._fetchers if k not in followed]:
            self._fetchers.pop(key).stop()

    def _follow(self, key: tuple[str, int], topic: str, info: PartitionInfo, log: PartitionLog) -> None:
        fetcher = self._fetchers.get(key)
        if fetcher is not None and fetcher.leader_id == info.leader:
            return
        if fetcher is not None:
            fetcher.stop()
        fetcher = ReplicaFetcher(
            self.broker_id,
            topic,
            info.partition,
            log,
            info.leader,
            self._peers,
            self._clock,
            self.network,
            self.defaults.replica_fetch_wait_max_ms,
            self.defaults.replica_fetch_backoff_ms,
        )
        self._fetchers[key] = fetcher
        fetcher.start()

    def _maybe_advance_high_watermark(self, log: PartitionLog, info: PartitionInfo) -> None:
        """A leader's HW is the smallest log end offset in the ISR (see
        `leader_high_watermark`), and stays where it is while the ISR is below
        min.insync.replicas (KIP-966): what the replicas that left it hold, the eligible
        leader replicas, is then still every committed record."""
        if info.leader != self.broker_id:
            return
        topic = self._image.topics.get(info.topic)
        if topic is not None and len(info.isr) < topic.effective_min_isr:
            return
        led = self._leading.get((log.topic_id, info.partition))
        followers = led.followers if led is not None else {}
        log.advance_high_watermark(
            leader_high_watermark(self.broker_id, log.log_end_offset, info.isr, followers)
        )

    def _become_leader(self, log: PartitionLog, info: PartitionInfo) -> None:
        """Lead the partition in the image's leader epoch (`Partition.make_leader`), unless
        it already does in that epoch."""
        key = (log.topic_id, info.partition)
        led = self._leading.get(key)
        if led is not None and led.leader_epoch == info.leader_epoch:
            return
        self._leading[key] = Partition.make_leader(self.broker_id, info, self._clock.now_ms())
        log.wake_waiters()  # produce requests of an earlier epoch re-check and fail

    async def _expire_isr_loop(self) -> None:
        """Kafka's isr-expiration task: every replica.lag.time.max.ms / 2, ask the
        controller to drop followers that have not caught up for replica.lag.time.max.ms."""
        while True:
            await self._clock.sleep(max(1, self.defaults.replica_lag_time_max_ms // 2) / 1000)
            self.expire_isr()

    async def _expire_producers_loop(self) -> None:
        """Kafka's producer-expiry task: every producer.id.expiration.check.interval.ms,
        each replica forgets producers silent for producer.id.expiration.ms (KIP-854)."""
        while True:
            await self._clock.sleep(self.defaults.producer_id_expiration_check_interval_ms / 1000)
            self.expire_producers()

    def expire_producers(self) -> int:
        """Forget expired producer ids in every replica; how many entries went."""
        now = self._clock.now_ms()
        return sum(
            len(log.producer_state.remove_expired(now, self.defaults.producer_id_expiration_ms))
            for log in self.logs.values()
        )

    def expire_isr(self) -> None:
        now = self._clock.now_ms()
        for topic in self._image.topics.values():
            for info in topic.partitions:
                led = self._leading.get((topic.topic_id, info.partition))
                if info.leader != self.broker_id or led is None:
                    continue
                lagging = led.out_of_sync_replicas(info.isr, now, self.defaults.replica_lag_time_max_ms)
                if lagging and self._shrink_isr is not None:
                    self._request(self._shrink_isr(topic.name, info.partition, lagging, info.leader_epoch))

    # --- an offline log dir (KIP-112's LogDirFailureChannel) ---------------------------

    def _log_dir_failed(self, failure: LogDirFailure) -> None:
        """The database failed under some request: take it offline in a task of its own
        (the failing call may be a fetcher that going offline stops)."""
        if self._offline_handling is None or self._offline_handling.done():
            self._offline_handling = asyncio.ensure_future(self._take_log_dir_offline(failure))

    async def _take_log_dir_offline(self, failure: LogDirFailure) -> None:
        """Stop following, forget leaderships and logs (waiting requests fail), close the
        database, then tell the controller, which moves leadership to in-sync replicas."""
        tasks = [f.task for f in self._fetchers.values() if f.task is not None]
        for fetcher in self._fetchers.values():
            fetcher.stop()
        self._fetchers.clear()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._leading.clear()
        for log in self.logs.values():
            log.close()
        self.logs.clear()
        await self.storage.close()
        if self.running and self.report_log_dir_failure is not None:
            await self.report_log_dir_failure(self.broker_id, failure)

    @property
    def log_dir_offline(self) -> LogDirFailure | None:
        """Why this broker's database is offline, or None."""
        return self.storage.failure

    def _request(self, call: Awaitable[None]) -> None:
        """Send an AlterPartition to the controller without waiting for it."""
        request = asyncio.ensure_future(call)
        self._isr_requests.add(request)
        request.add_done_callback(self._isr_requests.discard)

    def _watch(self, log: PartitionLog) -> None:
        def published(high_watermark: int) -> None:
            topic = self._image.topics.get(log.topic)
            if topic is None or topic.partitions[log.partition].leader != self.broker_id:
                return  # followers' copies of the HW are not news
            self._bus.publish(
                HighWatermarkAdvanced(
                    timestamp_ms=self._clock.now_ms(),
                    topic=log.topic,
                    partition=log.partition,
                    high_watermark=high_watermark,
                )
            )

        log.on_high_watermark = published

    # --- lookups ---------------------------------------------------------------------

    def _partition(self, topic: str, partition: int) -> tuple[TopicInfo, PartitionInfo]:
        info = self._image.topics.get(topic)
        if info is None or not 0 <= partition < len(info.partitions):
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"this server does not host {topic}-{partition}",
            )
        return info, info.partitions[partition]

    def _leader_log(self, topic: str, partition: int) -> tuple[TopicInfo, PartitionInfo, PartitionLog]:
        if not self.running:
            raise KafkaError(ErrorCode.NETWORK_EXCEPTION, f"broker {self.broker_id} is not running")
        info, part = self._partition(topic, partition)
        if part.leader != self.broker_id:
            raise KafkaError(
                ErrorCode.NOT_LEADER_OR_FOLLOWER,
                f"broker {self.broker_id} is not the leader of {topic}-{partition} (leader: {part.leader})",
            )
        if self.storage.failure is not None:  # the controller has not moved it yet
            raise self.storage.failure
        log = self.logs.get((info.topic_id, partition))
        if log is None:  # metadata arrived before the log was opened: retriable
            raise KafkaError(
                ErrorCode.NOT_LEADER_OR_FOLLOWER,
                f"broker {self.broker_id} is not serving {topic}-{partition} yet",
            )
        return info, part, log

    def _log(self, topic: str, partition: int) -> PartitionLog | None:
        info = self._image.topics.get(topic)
        return self.logs.get((info.topic_id, partition)) if info else None

    def partition_state(self, topic: str, partition: int) -> PartitionInfo | None:
        """The partition as this broker's metadata says now (None: no such partition)."""
        info = self._image.topics.get(topic)
        return info.partitions[partition] if info and partition < len(info.partitions) else None

    def replica(self, topic: str, partition: int) -> ReplicaSnapshot | None:
        """This broker's replica of a partition, if it hosts one."""
        log = self._log(topic, partition)
        if log is None:
            return None
        return ReplicaSnapshot(
            self.broker_id,
            log.log_start_offset,
            log.log_end_offset,
            log.high_watermark,
            log.size_bytes,
        )
