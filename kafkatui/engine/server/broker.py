"""A broker: the partition replicas it hosts and the produce/fetch paths into them.

Kafka's `BrokerServer` + `ReplicaManager` in one class. A broker learns which replicas
it hosts from the metadata image (as a KRaft broker does from the metadata log), opens
or creates their logs in its own database, and serves produce requests for partitions
it leads and fetch requests up to the high watermark.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

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
from kafkatui.engine.coordinator.group.coordinator import OFFSETS_TOPIC, GroupCoordinator
from kafkatui.engine.coordinator.group.model import GroupConfig
from kafkatui.engine.coordinator.transaction.coordinator import (
    TRANSACTION_STATE_TOPIC,
    TransactionCoordinator,
)
from kafkatui.engine.coordinator.transaction.producer_ids import AllocateProducerIds, ProducerIdManager
from kafkatui.engine.log.partition_log import LogAppendInfo, PartitionLog
from kafkatui.engine.log.producer_state import last_sequence
from kafkatui.engine.log.records import (
    RecordTuple,
    TimestampType,
    decode_batch,
    decode_record_tuples,
    encode_txn_marker,
    read_header,
)
from kafkatui.engine.log.storage import BrokerStorage
from kafkatui.engine.log.validator import validate_compression
from kafkatui.engine.metadata.image import MetadataImage, PartitionInfo, TopicInfo
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.engine.server.network import Network
from kafkatui.engine.server.replication import REPLICA_FETCH_MAX_BYTES, ReplicaFetcher, ReplicaFetchResult

# AlterPartition requests to the controller (topic, partition, replica(s), leader epoch).
AlterPartition = Callable[[str, int, int, int], Awaitable[None]]
ShrinkIsr = Callable[[str, int, Sequence[int], int], Awaitable[None]]

# ListOffsets' special timestamps (ListOffsetsRequest.EARLIEST_TIMESTAMP / LATEST_TIMESTAMP).
EARLIEST = -2
LATEST = -1
VALID_ACKS = (-1, 0, 1)
READ_UNCOMMITTED = 0  # Fetch's isolation_level (KIP-98)
READ_COMMITTED = 1
REQUEST_TIMEOUT_MS = 30_000  # request.timeout.ms: how long acks=all waits for the ISR


@dataclass(frozen=True)
class ProduceResult:
    """A partition's answer to a produce request (ProduceResponse.PartitionResponse)."""

    base_offset: int
    log_append_time: int  # -1 unless the topic uses LogAppendTime
    log_start_offset: int


@dataclass(frozen=True)
class FetchPartition:
    """One partition in a fetch request."""

    topic: str
    partition: int
    fetch_offset: int
    max_bytes: int = 1_048_576


@dataclass
class FetchedPartition:
    """One partition in a fetch response: its batches, or the error that stopped it."""

    topic: str
    partition: int
    high_watermark: int = -1
    log_start_offset: int = -1
    batches: list[bytes] = field(default_factory=list)
    error: KafkaError | None = None
    last_stable_offset: int = -1
    # read_committed: (producer id, first offset) of aborted transactions in the batches.
    aborted_transactions: list[tuple[int, int]] | None = None

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.batches)


@dataclass
class FollowerState:
    """What a leader knows of one follower (Kafka's `Replica` state on the leader)."""

    log_end_offset: int = 0  # the follower's last fetch offset: it has everything below
    last_caught_up_ms: int = 0  # last time it had all the leader had (replica.lag.time.max.ms)
    last_fetch_leader_end: int = 0
    last_fetch_ms: int = 0


@dataclass(frozen=True)
class ReplicaSnapshot:
    """A replica's log positions, for describe and the UI."""

    broker_id: int
    log_start_offset: int
    log_end_offset: int
    high_watermark: int
    size_bytes: int


class Broker:
    """One Kafka broker with its own SQLite database."""

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
        self._clock = clock
        self._bus = bus
        self._image = MetadataImage()
        self.logs: dict[tuple[str, int], PartitionLog] = {}  # (topic_id, partition) -> log
        self.running = False
        # Set while stop()/crash() runs: a metadata change committed meanwhile (e.g. a
        # producer-id block) must not start fetchers on logs about to close.
        self._stopping = False
        self._peers: Callable[[int], Broker | None] = lambda _: None
        self._fetchers: dict[tuple[str, int], ReplicaFetcher] = {}
        # Leader side: each follower's progress, per partition this broker leads, and
        # the leader epoch that state belongs to (a new epoch starts it afresh).
        self._followers: dict[tuple[str, int], dict[int, FollowerState]] = {}
        self._led_epochs: dict[tuple[str, int], int] = {}
        self._expand_isr: AlterPartition | None = None
        self._shrink_isr: ShrinkIsr | None = None
        self._isr_requests: set[asyncio.Task[None]] = set()
        self._isr_expiration: asyncio.Task[None] | None = None
        self._producer_expiration: asyncio.Task[None] | None = None
        self.network = network or Network(random.Random(0))
        self.defaults = defaults or BrokerDefaults()  # replica.* settings
        group_config = GroupConfig(
            group_initial_rebalance_delay_ms=self.defaults.group_initial_rebalance_delay_ms
        )
        # The groups whose __consumer_offsets partition this broker leads.
        self.coordinator = GroupCoordinator(self, clock, bus, group_config)
        # The transactional ids whose __transaction_state partition this broker leads.
        self.txn_coordinator = TransactionCoordinator(self, clock, bus)
        self.producer_ids = ProducerIdManager(broker_id)
        # Retried batches of idempotent producers this broker did not append twice.
        self.duplicates_dropped = 0

    def connect(
        self,
        peers: Callable[[int], Broker | None],
        expand_isr: AlterPartition | None = None,
        shrink_isr: ShrinkIsr | None = None,
        allocate_producer_ids: AllocateProducerIds | None = None,
    ) -> None:
        """How this broker reaches the others (in-process; `network` decides whether a
        request gets through) and the controller (AlterPartition: a caught-up follower
        joins the ISR, a lagging one leaves it; AllocateProducerIds, KIP-730)."""
        self._peers = peers
        self._expand_isr = expand_isr
        self._shrink_isr = shrink_isr
        self.producer_ids.allocate = allocate_producer_ids

    async def start(self, image: MetadataImage) -> None:
        """Recover the logs on disk, then host the replicas the metadata assigns here.

        (A cluster starting several brokers calls `recover` on each, then
        `apply_metadata` on each, then `sync_fetchers`, so no follower looks for a
        leader, or a leader's log, that is not there yet.)
        """
        await self.recover()
        await self.apply_metadata(image)
        self.sync_fetchers()

    async def recover(self) -> None:
        """Open the partition logs found on disk and start serving."""
        for old in self.logs.values():
            await old.quiesce()  # a write that was under way when it stopped lands first
        for state in await self.storage.load_logs():
            log = PartitionLog(self.storage, state)
            await log.load_producer_state()
            self._watch(log)
            self.logs[(state.topic_id, state.partition)] = log
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
        for log in list(self.logs.values()):  # a metadata change may add logs meanwhile
            await log.checkpoint()
        self._go_down()

    async def crash(self) -> None:
        """Die without a clean shutdown: no checkpoint, fetchers just stop (kill -9)."""
        await self.stop_fetchers()
        self._go_down()

    def _go_down(self) -> None:
        """What stopping and crashing share: leader state, the group coordinator and the
        logs go; requests waiting on this broker fail now, as on a dropped connection."""
        self._followers.clear()
        self._led_epochs.clear()
        self.coordinator.stop()
        self.txn_coordinator.stop()
        self.producer_ids.reset()
        self.running = False
        for log in self.logs.values():
            log.close()

    async def close(self) -> None:
        if self.running:
            await self.stop()
        await self.storage.close()

    async def apply_metadata(self, image: MetadataImage) -> None:
        """Create logs for new replicas here, delete logs of removed topics."""
        self._image = image
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
        offsets_topic = image.topics.get(OFFSETS_TOPIC)
        if offsets_topic is not None:
            led = {
                p.partition: p.leader_epoch for p in offsets_topic.partitions if p.leader == self.broker_id
            }
            self.coordinator.on_leadership(led, len(offsets_topic.partitions))
        txn_topic = image.topics.get(TRANSACTION_STATE_TOPIC)
        if txn_topic is not None:
            led = {p.partition: p.leader_epoch for p in txn_topic.partitions if p.leader == self.broker_id}
            self.txn_coordinator.on_leadership(led, len(txn_topic.partitions))
        for topic in image.topics.values():
            for info in topic.partitions:
                log = self.logs.get((topic.topic_id, info.partition))
                if log is None:
                    continue
                log.leader_epoch = info.leader_epoch if info.leader == self.broker_id else -1
                if info.leader == self.broker_id:
                    self._become_leader(log, info)
                    self._maybe_advance_high_watermark(log, info)
                elif self._led_epochs.pop((topic.topic_id, info.partition), None) is not None:
                    self._followers.pop((topic.topic_id, info.partition), None)
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
        """A leader's HW is the smallest log end offset in the ISR (Kafka's
        `maybeIncrementLeaderHW`): its own LEO and what each in-sync follower has fetched.
        With the leader alone in the ISR that is its own LEO, also right after a restart
        from a checkpoint that lagged behind."""
        if info.leader != self.broker_id:
            return
        states = self._followers.get((log.topic_id, info.partition), {})
        followers = [s.log_end_offset if (s := states.get(b)) else 0 for b in info.isr if b != self.broker_id]
        log.advance_high_watermark(min([log.log_end_offset, *followers]))

    def _become_leader(self, log: PartitionLog, info: PartitionInfo) -> None:
        """On a new leader epoch, forget what followers had (they may have truncated):
        the HW waits for each in-sync follower's next fetch. In-sync followers count as
        caught up now, the others never (Kafka's `Partition.makeLeader`)."""
        key = (log.topic_id, info.partition)
        if self._led_epochs.get(key) == info.leader_epoch:
            return
        self._led_epochs[key] = info.leader_epoch
        log.wake_waiters()  # produce requests of an earlier epoch re-check and fail
        now = self._clock.now_ms()
        self._followers[key] = {
            b: FollowerState(last_caught_up_ms=now if b in info.isr else 0)
            for b in info.replicas
            if b != self.broker_id
        }

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
                key = (topic.topic_id, info.partition)
                if info.leader != self.broker_id or key not in self._followers:
                    continue
                states = self._followers[key]
                lagging = [
                    b
                    for b in info.isr
                    if b != self.broker_id
                    and now - (states[b].last_caught_up_ms if b in states else 0)
                    > self.defaults.replica_lag_time_max_ms
                ]
                if lagging and self._shrink_isr is not None:
                    self._request(self._shrink_isr(topic.name, info.partition, lagging, info.leader_epoch))

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
            self._validate_timestamps(data, info, now)
            if "compact" in config.cleanup_policy:
                _require_keys(data, topic, partition, records)
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
            await self._await_replication(
                topic,
                partition,
                log,
                appended.last_offset + 1,
                part.leader_epoch,
                config.min_insync_replicas,
                timeout_ms,
            )
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

    async def write_txn_marker(
        self,
        topic: str,
        partition: int,
        producer_id: int,
        producer_epoch: int,
        commit: bool,
        coordinator_epoch: int,
    ) -> None:
        """WriteTxnMarkers for one partition this broker leads: append a COMMIT or ABORT
        control batch with acks=all (the coordinator's side of EndTxn)."""
        marker = encode_txn_marker(
            producer_id, producer_epoch, commit, coordinator_epoch, self._clock.now_ms()
        )
        await self.produce(topic, partition, marker, acks=-1)
        if topic == OFFSETS_TOPIC:
            # The group coordinator materializes or drops the producer's pending offsets
            # (Kafka's `GroupCoordinator.scheduleHandleTxnCompletion`).
            await self.coordinator.complete_txn_offsets(partition, producer_id, commit)

    async def init_producer_id(self) -> tuple[int, int]:
        """InitProducerId without a transactional.id (KIP-98): a new producer id from
        this broker's block, epoch 0."""
        if not self.running:
            raise KafkaError(ErrorCode.NETWORK_EXCEPTION, f"broker {self.broker_id} is not running")
        return await self.producer_ids.generate(), 0

    async def _await_replication(
        self,
        topic: str,
        partition: int,
        log: PartitionLog,
        needed: int,
        leader_epoch: int,
        min_isr: int,
        timeout_ms: int,
    ) -> None:
        """acks=all: answer once the high watermark covers the batch (Kafka's DelayedProduce).

        Fails with NOT_LEADER_OR_FOLLOWER if this broker stops leading the partition
        meanwhile (the batch may be truncated away by the new leader), with
        NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below min.insync.replicas
        before it was covered, and with REQUEST_TIMED_OUT after request.timeout.ms."""
        moved = asyncio.Event()
        log.add_waiter(moved)
        deadline = self._clock.now_ms() + timeout_ms
        try:
            while True:
                if not self.running:
                    raise KafkaError(
                        ErrorCode.NETWORK_EXCEPTION,
                        f"broker {self.broker_id} went away before {topic}-{partition} was replicated",
                    )
                info = self._image.topics.get(topic)
                part = info.partitions[partition] if info and partition < len(info.partitions) else None
                if part is None or part.leader != self.broker_id or part.leader_epoch != leader_epoch:
                    raise KafkaError(
                        ErrorCode.NOT_LEADER_OR_FOLLOWER,
                        f"broker {self.broker_id} lost the leadership of {topic}-{partition} before "
                        f"offset {needed - 1} was replicated",
                    )
                if log.high_watermark >= needed:
                    if len(part.isr) < min_isr:
                        raise KafkaError(
                            ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                            f"{topic}-{partition}: the ISR shrank to {len(part.isr)} replica(s), fewer than "
                            f"min.insync.replicas={min_isr}, before offset {needed - 1} was replicated",
                        )
                    return
                remaining = deadline - self._clock.now_ms()
                if remaining <= 0 or not await wait_event(self._clock, moved, remaining / 1000):
                    raise KafkaError(
                        ErrorCode.REQUEST_TIMED_OUT,
                        f"{topic}-{partition}: in-sync replicas did not acknowledge offset {needed - 1} "
                        f"within request.timeout.ms={timeout_ms}",
                    )
                moved.clear()
        finally:
            log.remove_waiter(moved)

    def _validate_timestamps(self, data: bytes, info: TopicInfo, now: int) -> None:
        """message.timestamp.before.max.ms / after.max.ms (KIP-937), on the batch's bounds."""
        config = info.config
        if config.message_timestamp_type != "CreateTime":
            return
        header = read_header(data)
        before = config.message_timestamp_before_max_ms
        after = config.message_timestamp_after_max_ms
        if now - header.base_timestamp > before or header.max_timestamp - now > after:
            raise KafkaError(
                ErrorCode.INVALID_TIMESTAMP,
                f"timestamp {header.base_timestamp}..{header.max_timestamp} is outside the "
                f"range allowed by message.timestamp.before.max.ms={before} and "
                f"message.timestamp.after.max.ms={after} (now {now})",
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
        if self._satisfied(results, min_bytes) or max_wait_ms <= 0:
            return results
        moved = asyncio.Event()
        logs = [log for p in partitions if (log := self._log(p.topic, p.partition)) is not None]
        for log in logs:
            log.add_waiter(moved)
        try:
            deadline = self._clock.now_ms() + max_wait_ms
            while not self._satisfied(results, min_bytes):
                remaining = deadline - self._clock.now_ms()
                if remaining <= 0 or not await wait_event(self._clock, moved, remaining / 1000):
                    break
                moved.clear()
                results = await self._read(partitions, isolation_level)
        finally:
            for log in logs:
                log.remove_waiter(moved)
        return results

    @staticmethod
    def _satisfied(results: list[FetchedPartition], min_bytes: int) -> bool:
        return any(r.error for r in results) or sum(r.size for r in results) >= min_bytes

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
        """Kafka's `Replica.updateFetchState`: a follower fetching at the leader's end is
        caught up now; one fetching at least where the leader ended at its previous
        fetch was caught up then."""
        key = (topic_id, part.partition)
        if self._led_epochs.get(key) != part.leader_epoch:
            return  # leadership is changing under us; the next fetch counts
        state = self._followers[key].setdefault(replica_id, FollowerState())
        now = self._clock.now_ms()
        if fetch_offset >= log.log_end_offset:
            state.last_caught_up_ms = now
        elif fetch_offset >= state.last_fetch_leader_end:
            state.last_caught_up_ms = max(state.last_caught_up_ms, state.last_fetch_ms)
        state.log_end_offset = fetch_offset
        state.last_fetch_leader_end = log.log_end_offset
        state.last_fetch_ms = now

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


def _require_keys(data: bytes, topic: str, partition: int, records: list[RecordTuple] | None) -> None:
    """A compacted topic keeps the latest record per key, so a record must have one
    (Kafka's LogValidator: INVALID_RECORD)."""
    header = read_header(data)
    if header.is_control:
        return
    if records is None:
        records = decode_record_tuples(data, header)
    if any(key is None for _, _, key, _, _ in records):
        raise KafkaError(
            ErrorCode.INVALID_RECORD,
            f"Compacted topic cannot accept message without key in topic partition {topic}-{partition}.",
        )
