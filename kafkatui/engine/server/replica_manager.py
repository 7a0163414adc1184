"""The replicas a broker hosts and the produce and fetch paths into them: Kafka's
`ReplicaManager`.

A broker learns which replicas it hosts from the metadata image (as a KRaft broker does
from the metadata log), opens or creates their logs in its own database, runs a replica
fetcher for each partition it follows, and for each one it leads keeps its followers'
progress (`partition.py`), from which the high watermark advances and the ISR shrinks or
grows. Produce appends to partitions it leads (an acks=all produce then waits as a
`DelayedProduce`); fetch reads up to the high watermark, long-polling as a `DelayedFetch`
(`purgatory.py`); followers read up to the log end.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from kafkatui.common.admin import ReplicaSnapshot
from kafkatui.common.clients import TimestampType
from kafkatui.common.clock import Clock, wait_event
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import (
    AckLost,
    DuplicateBatchDropped,
    EventBus,
    HighWatermarkAdvanced,
    ProduceRejected,
    RecordAppended,
)
from kafkatui.engine.log.log_dir import LogDirFailure
from kafkatui.engine.log.partition_log import LogAppendInfo, PartitionLog
from kafkatui.engine.log.producer_state import last_sequence
from kafkatui.engine.log.records import decode_batch, read_header
from kafkatui.engine.log.storage import BrokerStorage
from kafkatui.engine.log.validator import validate_compression, validate_keys, validate_timestamps
from kafkatui.engine.metadata.image import MetadataImage, PartitionInfo, TopicInfo
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.engine.server.network import Network
from kafkatui.engine.server.partition import Partition, leader_high_watermark
from kafkatui.engine.server.purgatory import DelayedFetch, DelayedProduce
from kafkatui.engine.server.replication import (
    REPLICA_FETCH_MAX_BYTES,
    LeaderEndPoint,
    ReplicaFetcher,
    ReplicaFetchResult,
)
from kafkatui.engine.server.requests import (
    EARLIEST,
    LATEST,
    READ_COMMITTED,
    READ_UNCOMMITTED,
    REQUEST_TIMEOUT_MS,
    VALID_ACKS,
    FetchedPartition,
    FetchPartition,
    ProduceResult,
)

# AlterPartition requests to the controller (topic, partition, replica(s), leader epoch).
AlterPartition = Callable[[str, int, int, int], Awaitable[None]]
ShrinkIsr = Callable[[str, int, Sequence[int], int], Awaitable[None]]
# A broker telling the controller its log dir is offline (KIP-112, in the heartbeat).
ReportLogDirFailure = Callable[[int, LogDirFailure], Awaitable[None]]


class ReplicaManager:
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

    # --- produce ---------------------------------------------------------------------

    async def produce(
        self,
        topic: str,
        partition: int,
        data: bytes,
        *,
        acks: int = -1,
        timeout_ms: int = REQUEST_TIMEOUT_MS,
        from_coordinator: bool = False,
    ) -> ProduceResult:
        """Append one producer batch to a partition this broker leads.

        acks=1 answers once the leader has written it; acks=all once every in-sync
        replica has fetched it (the high watermark covers it); acks=0 callers don't wait.
        `from_coordinator`: a group coordinator's transactional batch (no sequence checks).
        """
        try:
            if acks not in VALID_ACKS:
                raise KafkaError(ErrorCode.INVALID_REQUIRED_ACKS, f"acks must be -1, 0 or 1, not {acks}")
            info, part, log = self._leader_log(topic, partition)
            config = info.config
            max_bytes = config.max_message_bytes
            if len(data) > max_bytes:
                raise KafkaError(
                    ErrorCode.MESSAGE_TOO_LARGE,
                    f"record batch of {len(data)} bytes exceeds {topic}'s max.message.bytes={max_bytes}",
                )
            if acks == -1 and len(part.isr) < config.min_insync_replicas:
                raise KafkaError(
                    ErrorCode.NOT_ENOUGH_REPLICAS,
                    f"{topic}-{partition} has {len(part.isr)} in-sync replica(s), fewer than "
                    f"min.insync.replicas={config.min_insync_replicas}",
                )
            data, records = validate_compression(data, config)
            now = self._clock.now_ms()
            validate_timestamps(data, config, now)
            if "compact" in config.cleanup_policy:
                validate_keys(data, topic, partition, records)
            timestamp_type = TimestampType.from_config(config.message_timestamp_type)
            appended = await log.append_as_leader(
                data, leader_epoch=part.leader_epoch, timestamp_type=timestamp_type, now_ms=now,
                from_coordinator=from_coordinator,
            )  # fmt: skip
        except KafkaError as error:
            self._bus.publish(
                ProduceRejected(
                    timestamp_ms=self._clock.now_ms(),
                    broker_id=self.broker_id,
                    topic=topic,
                    partition=partition,
                    error=error.name,
                    message=error.message,
                )
            )
            raise
        if appended.duplicate:
            self._dropped_duplicate(topic, partition, data, appended, now)
        else:
            self._bus.publish(
                RecordAppended(
                    timestamp_ms=now,
                    broker_id=self.broker_id,
                    topic=topic,
                    partition=partition,
                    base_offset=appended.base_offset,
                    last_offset=appended.last_offset,
                    record_count=appended.record_count,
                    size_bytes=appended.size_bytes,
                    producer_id=appended.producer_id,
                )
            )
            self._maybe_advance_high_watermark(log, part)
        if acks == -1:
            # A duplicate waits too: its first append may not be replicated yet.
            await DelayedProduce(
                self, self._clock, topic, partition, log, appended.last_offset + 1, part.leader_epoch,
                config.min_insync_replicas, timeout_ms,
            ).wait()  # fmt: skip
        if acks != 0 and self.network.loses_ack(topic):
            self._bus.publish(
                AckLost(
                    timestamp_ms=self._clock.now_ms(), broker_id=self.broker_id, topic=topic,
                    partition=partition, base_offset=appended.base_offset, last_offset=appended.last_offset,
                )
            )  # fmt: skip
            raise KafkaError(
                ErrorCode.NETWORK_EXCEPTION,
                f"the response for {topic}-{partition} offsets {appended.base_offset}.."
                f"{appended.last_offset} was lost on its way to the producer (a lost-ack fault)",
            )
        log_append_time = now if timestamp_type is TimestampType.LOG_APPEND_TIME else -1
        return ProduceResult(appended.base_offset, log_append_time, log.log_start_offset)

    def _dropped_duplicate(
        self, topic: str, partition: int, data: bytes, appended: LogAppendInfo, now: int
    ) -> None:
        """Count and announce a retried batch the log already holds (KIP-98)."""
        self.duplicates_dropped += 1
        header = read_header(data)
        self._bus.publish(
            DuplicateBatchDropped(
                timestamp_ms=now,
                broker_id=self.broker_id,
                topic=topic,
                partition=partition,
                producer_id=header.producer_id,
                producer_epoch=header.producer_epoch,
                base_sequence=header.base_sequence,
                last_sequence=last_sequence(header.base_sequence, header.last_offset_delta),
                base_offset=appended.base_offset,
                last_offset=appended.last_offset,
            )
        )

    # --- fetch -----------------------------------------------------------------------

    async def fetch(
        self,
        partitions: Sequence[FetchPartition],
        *,
        max_wait_ms: int = 500,
        min_bytes: int = 1,
        isolation_level: int = READ_UNCOMMITTED,
    ) -> list[FetchedPartition]:
        """Read from led partitions up to the high watermark, long-polling like Kafka.

        Returns at once if at least `min_bytes` are available or any partition has an
        error; otherwise waits up to `max_wait_ms` for a high watermark to move.
        read_committed (KIP-98) reads only up to the last stable offset and lists the
        aborted transactions among the batches, for the consumer to drop.
        """
        results = await self._read(partitions, isolation_level)
        delayed = DelayedFetch(
            self._clock,
            [log for p in partitions if (log := self._log(p.topic, p.partition)) is not None],
            min_bytes,
            max_wait_ms,
            partial(self._read, partitions, isolation_level),
        )
        if delayed.try_complete(results) or max_wait_ms <= 0:
            return results
        return await delayed.wait(results)

    async def _read(
        self, partitions: Sequence[FetchPartition], isolation_level: int = READ_UNCOMMITTED
    ) -> list[FetchedPartition]:
        results = []
        for p in partitions:
            result = FetchedPartition(p.topic, p.partition)
            try:
                _, _, log = self._leader_log(p.topic, p.partition)
                result.high_watermark = log.high_watermark
                result.log_start_offset = log.log_start_offset
                result.last_stable_offset = log.last_stable_offset
                upper = log.high_watermark
                if isolation_level == READ_COMMITTED:
                    upper = result.last_stable_offset
                stored = await log.read(p.fetch_offset, p.max_bytes, upper)
                result.batches = [b.data for b in stored]
                if isolation_level == READ_COMMITTED:
                    end = stored[-1].last_offset + 1 if stored else p.fetch_offset
                    result.aborted_transactions = [
                        (a.producer_id, a.first_offset)
                        for a in log.producer_state.aborted_between(p.fetch_offset, end)
                    ]
            except KafkaError as error:
                result.error = error
            results.append(result)
        return results

    async def read_replica(self, topic: str, partition: int, offset: int, max_bytes: int) -> list[bytes]:
        """Batches of this broker's replica from `offset` up to its log end (not the HW).

        For inspection (the log view), not for consumers: it also shows records the
        high watermark has not reached yet.
        """
        log = self._log(topic, partition)
        if log is None:
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"broker {self.broker_id} has no replica of {topic}-{partition}",
            )
        offset = min(max(offset, log.log_start_offset), log.log_end_offset)
        stored = await log.read(offset, max_bytes, log.log_end_offset)
        return [b.data for b in stored]

    async def fetch_as_follower(
        self, topic: str, partition: int, *, replica_id: int, fetch_offset: int, max_wait_ms: int
    ) -> ReplicaFetchResult:
        """A follower's fetch: record how far it got, advance the HW, return new batches.

        Followers read past the high watermark (up to the LEO) — that is how records
        reach them before they count as committed. Long-polls up to `max_wait_ms` for
        new records like Kafka's replica fetch.
        """
        info, part, log = self._leader_log(topic, partition)
        if replica_id not in part.replicas:
            raise KafkaError(
                ErrorCode.NOT_LEADER_OR_FOLLOWER,
                f"broker {replica_id} is not a replica of {topic}-{partition}",
            )
        if fetch_offset > log.log_end_offset:
            raise KafkaError(
                ErrorCode.OFFSET_OUT_OF_RANGE,
                f"follower {replica_id} fetches {topic}-{partition} at {fetch_offset}, "
                f"past the leader's end {log.log_end_offset}",
            )
        self._record_follower_fetch(info.topic_id, part, log, replica_id, fetch_offset)
        self._maybe_advance_high_watermark(log, part)
        if replica_id not in part.isr and fetch_offset >= log.high_watermark and self._expand_isr:
            # Caught up with the HW: ask the controller to add it back (AlterPartition).
            self._request(self._expand_isr(topic, partition, replica_id, part.leader_epoch))
        if fetch_offset == log.log_end_offset and max_wait_ms > 0:
            grew = asyncio.Event()
            log.add_end_waiter(grew)
            try:
                await wait_event(self._clock, grew, max_wait_ms / 1000)
            finally:
                log.remove_end_waiter(grew)
        stored = await log.read(fetch_offset, REPLICA_FETCH_MAX_BYTES, log.log_end_offset)
        return ReplicaFetchResult([b.data for b in stored], log.high_watermark, log.log_start_offset)

    def _record_follower_fetch(
        self, topic_id: str, part: PartitionInfo, log: PartitionLog, replica_id: int, fetch_offset: int
    ) -> None:
        led = self._leading.get((topic_id, part.partition))
        if led is None or led.leader_epoch != part.leader_epoch:
            return  # leadership is changing under us; the next fetch counts
        led.update_follower_fetch_state(replica_id, fetch_offset, log.log_end_offset, self._clock.now_ms())

    async def end_offset_for_epoch(self, topic: str, partition: int, epoch: int) -> tuple[int, int]:
        """OffsetForLeaderEpoch (KIP-101/279): the leader's largest epoch not above `epoch`, and its end."""
        _, _, log = self._leader_log(topic, partition)
        return await log.end_offset_for_epoch(epoch)

    async def offset_for_timestamp(self, topic: str, partition: int, timestamp: int) -> int:
        """ListOffsets by time: the first offset (below the HW) whose record timestamp is
        at least `timestamp`, or -1 if there is none (Kafka answers offset -1 too)."""
        if timestamp in (EARLIEST, LATEST):
            return self.list_offset(topic, partition, timestamp)
        _, _, log = self._leader_log(topic, partition)
        data = await self.storage.first_batch_at_or_after_time(log.log_id, timestamp, log.high_watermark)
        if data is None:
            return -1
        for record in decode_batch(data).records:
            if record.timestamp >= timestamp and record.offset < log.high_watermark:
                return record.offset
        return -1

    def list_offset(
        self, topic: str, partition: int, timestamp: int, isolation_level: int = READ_UNCOMMITTED
    ) -> int:
        """ListOffsets for EARLIEST (-2) or LATEST (-1): log start offset or high watermark
        (the last stable offset for read_committed, KIP-98)."""
        _, _, log = self._leader_log(topic, partition)
        if timestamp == EARLIEST:
            return log.log_start_offset
        if timestamp == LATEST:
            return log.last_stable_offset if isolation_level == READ_COMMITTED else log.high_watermark
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"unsupported ListOffsets timestamp {timestamp}")
