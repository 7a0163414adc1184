"""The interface the TUI uses: snapshots of cluster state and the actions on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, Self

from kafkatui.common.admin import ConfigEntry, LinkState, TopicDescription
from kafkatui.common.clients import (
    ConsumerConfig,
    ConsumerRecord,
    ProducerConfig,
    RecordMetadata,
    TopicPartition,
)
from kafkatui.common.clock import Clock
from kafkatui.common.connections import ConnectedClient
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import EventBus

# What `EngineControls.check_broker` answers, re-exported for the CLI and the TUI.
from kafkatui.common.log_dirs import BrokerCheck as BrokerCheck
from kafkatui.common.log_dirs import ReplicaReport as ReplicaReport


class Feature(StrEnum):
    """What only a backend that owns the brokers can do; the value finishes the sentence
    "… needs kafkatui's own cluster"."""

    STOP_BROKER = "stopping, crashing or restarting a broker"
    NETWORK = "cutting a link or adding latency between brokers"
    LOST_ACKS = "losing a produce acknowledgement"
    LOG_CLEANER = "running the log cleaner or retention now"
    LOG_SEGMENTS = "showing log segments"
    CRASH_CONSUMER = "crashing a consumer (gone without LeaveGroup)"
    BROKER_STORAGE = "checking or repairing a broker's database"
    LOSE_DATABASE = "deleting a broker's database"
    SCENARIO = "stepping the cluster on a manual clock (the lessons)"


class FeatureUnavailable(KafkaError):
    """An action this backend cannot do (it does not own the brokers). The CLI prints
    `error: FEATURE_UNAVAILABLE: reason`; the TUI shows the reason as a notification.
    A KafkaError (UNSUPPORTED_VERSION underneath) so every `except KafkaError` reports it."""

    def __init__(self, reason: str) -> None:
        super().__init__(ErrorCode.UNSUPPORTED_VERSION, reason)

    @property
    def name(self) -> str:
        return "FEATURE_UNAVAILABLE"


def no_auto_create(name: str, where: str) -> KafkaError:
    """A producer's unknown topic when auto.create.topics.enable is off: which setting
    to change, and the command that creates it instead."""
    return KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        f"topic '{name}' does not exist and auto.create.topics.enable is false {where}: create it "
        f"with `kafkatui topic create {name}`, or set auto.create.topics.enable=true (`kafkatui serve` "
        "does, unless --no-auto-create-topics)",
    )


class BrokerState(StrEnum):
    """A broker as the controller sees it (KRaft fencing, KIP-631)."""

    RUNNING = "running"
    FENCED = "fenced"  # running, but the controller cannot hear its heartbeats
    CRASHED = "crashed"  # dead, and the controller has not noticed yet
    STOPPED = "stopped"  # dead and fenced


@dataclass(frozen=True)
class BrokerView:
    """A broker as the Cluster and Partitions panels show it.

    `session_remaining_ms` is set while the controller is not hearing from the broker
    (it crashed, or its link to the controller is cut) but has not fenced it yet: how
    long until broker.session.timeout.ms runs out. None otherwise.
    """

    broker_id: int
    running: bool
    is_controller: bool
    partitions_led: int
    replicas_hosted: int
    bytes_on_disk: int
    state: BrokerState = BrokerState.RUNNING
    session_remaining_ms: int | None = None
    # Why its log dir (database) is offline (KIP-112), None while online or unknown.
    log_dir_offline: str | None = None


@dataclass(frozen=True)
class BatchView:
    """The RecordBatch a record belongs to (the fields Kafka keeps per batch)."""

    base_offset: int
    last_offset: int
    record_count: int
    size_bytes: int
    crc: int
    partition_leader_epoch: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    is_transactional: bool
    is_control: bool
    compression: str
    timestamp_type: str
    max_timestamp: int


@dataclass(frozen=True)
class SegmentView:
    """One segment of a partition's log (Kafka's `LogSegment`): its offsets and size."""

    base_offset: int
    last_offset: int
    batches: int
    size_bytes: int


@dataclass(frozen=True)
class LogLayout:
    """How a partition's (leader) log is laid out: its segments, and for a compacted
    topic where the dirty (not yet cleaned) part starts and how dirty it is."""

    segments: tuple[SegmentView, ...]  # the last one is the active segment
    first_dirty: int | None  # None unless cleanup.policy includes compact
    compacted: bool = False
    dirty_ratio: float | None = None  # the cleaner's dirty ratio; None unless compacted

    @property
    def segment_bases(self) -> tuple[int, ...]:
        return tuple(s.base_offset for s in self.segments)


@dataclass(frozen=True)
class StableOffsets:
    """Transactions in one partition (KIP-98): the last stable offset, where
    read_committed consumers stop (the first offset of the oldest open transaction, else
    the HW), the open transactions and the aborted ones."""

    last_stable_offset: int
    open_transactions: tuple[tuple[int, int], ...]  # (producer id, first offset)
    aborted: tuple[AbortedRange, ...]

    def status(self, producer_id: int, offset: int) -> str | None:
        """A transactional record's fate: "aborted", "open" (not decided yet) or None."""
        if any(a.covers(producer_id, offset) for a in self.aborted):
            return "aborted"
        if any(pid == producer_id and offset >= first for pid, first in self.open_transactions):
            return "open"
        return None


@dataclass(frozen=True)
class AbortedRange:
    """An aborted transaction in one partition (Kafka's aborted transaction index):
    `producer_id`'s records from `first_offset` up to its ABORT marker at `last_offset`."""

    producer_id: int
    first_offset: int
    last_offset: int

    def covers(self, producer_id: int, offset: int) -> bool:
        return producer_id == self.producer_id and self.first_offset <= offset <= self.last_offset


@dataclass(frozen=True)
class CleaningView:
    """What one run of the log cleaner did to one replica."""

    partition: int
    broker_id: int
    first_offset: int
    end_offset: int
    records_before: int
    records_after: int
    tombstones_removed: int
    bytes_freed: int
    removed: tuple[int, ...]


@dataclass(frozen=True)
class LogRecordView:
    """One record in a partition's log, with its batch."""

    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]
    batch: BatchView


@dataclass(frozen=True)
class ProduceRequest:
    topic: str
    # A str is sent as its UTF-8 bytes; bytes as they are (a serializer's output, e.g.
    # Confluent's wire format from the Schema Registry's serde).
    value: str | bytes | None
    key: str | None = None
    headers: Sequence[tuple[str, str]] = ()
    partition: int | None = None
    acks: str = "all"
    # enable.idempotence: None is Kafka 3's default (on with acks=all, else off); True
    # with acks other than all is Kafka's INVALID_CONFIG.
    idempotent: bool | None = None
    # compression.type of the producer's batches: none, gzip, snappy, lz4 or zstd.
    compression: str = "none"
    # Send with the transactional producer of this transactional.id, inside the
    # transaction begun with Backend.begin_transaction (KIP-98).
    transactional_id: str | None = None
    # What made a bytes `value` (the producer's value.serializer, in words), for the
    # producer path's serialize step.
    value_serializer: str = ""


@dataclass(frozen=True)
class IdempotenceView:
    """The workbench's idempotent producer as the brokers know it (KIP-98)."""

    producer_id: int  # -1 until its first send (InitProducerId)
    producer_epoch: int
    next_sequence: tuple[tuple[int, int], ...]  # (partition, next sequence) of one topic
    duplicates_dropped: int  # retried batches the brokers recognised (all producers)
    acks_to_drop: int  # the lost-ack fault, armed this many times


@dataclass(frozen=True)
class TransactionView:
    """The workbench's transactional producer of one `transactional.id` (KIP-98): the
    client's state (Kafka's TransactionManager states) and the coordinator's."""

    transactional_id: str
    state: str  # UNINITIALIZED, READY, IN_TRANSACTION, ... FATAL_ERROR (fenced)
    producer_id: int  # -1 before InitProducerId
    producer_epoch: int
    coordinator: int  # the broker leading its __transaction_state partition; -1 unknown
    coordinator_state: str  # Empty, Ongoing, PrepareCommit, CompleteCommit, ...; "" unknown
    partitions: tuple[tuple[str, int], ...]  # in the open transaction (AddPartitionsToTxn)
    records: int  # sent in the open transaction
    committed: int  # transactions this producer committed
    aborted: int  # and aborted
    error: str = ""  # why it is FATAL_ERROR (fenced by a newer producer)


@dataclass(frozen=True)
class TraceStep:
    """One step of the seed's producer path: send → serialize → partition → write."""

    name: str
    detail: str


@dataclass(frozen=True)
class ProduceTrace:
    """What happened to one produced record, step by step, and where it landed."""

    topic: str
    partition: int
    offset: int
    leader: int
    latency_ms: float
    steps: tuple[TraceStep, ...] = field(default_factory=tuple)


class ConsumerStatus(StrEnum):
    """What a workbench consumer's application loop is doing."""

    POLLING = "polling"
    PAUSED = "paused"  # not polling, still heartbeating: max.poll.interval.ms runs out
    CRASHED = "crashed"  # gone without LeaveGroup: session.timeout.ms runs out


@dataclass(frozen=True)
class ConsumerView:
    """A consumer the workbench runs itself (subscribe() and a poll loop)."""

    consumer_id: int
    client_id: str
    group_id: str
    topic: str
    assignor: str
    status: ConsumerStatus
    member_id: str  # "" while it is not a member (joining, or left)
    generation_id: int
    joined: bool  # in the group with an assignment of the current generation
    partitions: tuple[tuple[str, int], ...]
    error: str = ""  # the last error its poll loop met, if any
    # Its step in a rebalance: revoking, joining, syncing, stable, rejoining, left.
    phase: str = "joining"
    # (topic, partition, position): the offset its next poll returns, where known.
    positions: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class GroupMemberView:
    """One member of a group as DescribeGroups shows it, with its partitions; the
    workbench consumer behind it, if the workbench runs it."""

    member_id: str
    client_id: str
    partitions: tuple[tuple[str, int], ...]
    consumer: ConsumerView | None = None
    group_instance_id: str | None = None  # a static member's id (KIP-345)


@dataclass(frozen=True)
class GroupPartitionView:
    """One row of `kafka-consumer-groups.sh --describe`, with who reads the partition."""

    topic: str
    partition: int
    committed: int  # -1: nothing committed
    high_watermark: int
    lag: int  # -1 when nothing is committed
    owner: str | None  # the member reading it; None while unassigned


@dataclass(frozen=True)
class GroupView:
    """A consumer group: DescribeGroups plus committed offsets and lag."""

    group_id: str
    state: str  # Kafka's name: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead
    protocol: str
    generation_id: int
    leader_id: str | None
    members: tuple[GroupMemberView, ...]
    partitions: tuple[GroupPartitionView, ...]
    crashed: tuple[ConsumerView, ...] = ()  # crashed consumers the coordinator still counts
    outside: tuple[ConsumerView, ...] = ()  # workbench consumers not members now (joining, left)
    coordinator: int = -1  # the broker coordinating the group (FindCoordinator); -1 if unknown


# ListOffsets' special timestamps (Kafka's ListOffsetsRequest.EARLIEST_TIMESTAMP and
# LATEST_TIMESTAMP): the log start offset, and the high watermark.
EARLIEST_TIMESTAMP = -2
LATEST_TIMESTAMP = -1


class EngineControls(Protocol):
    """What only the owner of the brokers can do to them: kafkatui's own cluster
    (`EmbeddedBackend`), never a client of a real Kafka. Ask for it with
    `Backend.engine_controls(feature)`; a backend that cannot raises `FeatureUnavailable`
    with its one-line reason instead of handing one out."""

    async def stop_broker(self, broker_id: int, crash: bool = False) -> None:
        """Stop a broker: a controlled shutdown, or with `crash` a kill -9 that the
        controller only notices after broker.session.timeout.ms."""
        ...

    async def start_broker(self, broker_id: int) -> None: ...
    async def cut_link(self, a: int, b: int) -> None: ...
    async def heal_link(self, a: int, b: int) -> None: ...
    async def set_latency(self, a: int, b: int, ms: int) -> None: ...
    def drop_next_ack(self, topic: str) -> None:
        """A fault: the next produce response for `topic` is lost after the append, so
        the producer retries (a duplicate unless it is idempotent)."""
        ...

    async def compact_topic(self, topic: str) -> list[CleaningView]:
        """Run the log cleaner now on every replica of a compacted topic."""
        ...

    async def enforce_retention(self, topic: str) -> list[tuple[int, int, int]]:
        """Run the retention check now: (broker, partition, new log start offset)."""
        ...

    async def check_broker(self, broker_id: int) -> BrokerCheck:
        """Read every batch of a broker's database and say, per partition replica, what
        is damaged (CRC-32C, offsets, SQLite's integrity check) and where it stands."""
        ...

    async def repair_broker(self, broker_id: int, force: bool = False) -> list[tuple[str, int]]:
        """Rebuild a broker's logs from the other replicas: its database is dropped and
        it restarts as a new incarnation that refetches every replica. Returns them."""
        ...

    async def lose_database(self, broker_id: int) -> None:
        """A fault: a stopped broker's database is gone (deleted, or an empty file, as a
        disk or a user can leave it). It starts on an empty one, as a new incarnation
        (KIP-858): it leads nothing and refetches every replica from its leader."""
        ...

    async def crash_consumer_client(self, consumer: ConsumerClient) -> None:
        """A consumer made by `Backend.consumer` dies as with kill -9: its heartbeats stop,
        no LeaveGroup, so its coordinator notices only after session.timeout.ms."""
        ...

    # --- deterministic stepping (Feature.SCENARIO): lessons on a ManualClock ----------

    async def settle(self) -> None:
        """Wait until nothing in the cluster moves without the clock (appends, fetches,
        metadata, SQLite calls in flight): on a ManualClock the next step then plays out
        the same every time."""
        ...

    async def advance_until(
        self, check: Callable[[], bool], *, limit_ms: int = 120_000, step_ms: int | None = None
    ) -> int:
        """Move the ManualClock a controller tick (or `step_ms`) at a time, settling
        between steps, until `check()` holds; returns the cluster time that took
        (TimeoutError past `limit_ms`). Steps of 1 ms keep chains of short waits (a slow
        link's fetches) deterministic."""
        ...

    def rejoin_needed(self, consumer: ConsumerClient) -> bool:
        """Whether a group consumer made by `Backend.consumer` must join its group again:
        it has not joined yet, or it learned of a rebalance (Kafka's
        `rejoinNeededOrPending`; librdkafka keeps this to itself)."""
        ...


class ProducerClient(Protocol):
    """A producer as the CLI and the services use it, whichever backend made it (the
    engine's in-process `Producer`, or confluent-kafka's behind the remote backend):
    Kafka's `Producer` interface with kafkatui's names."""

    @property
    def idempotent(self) -> bool: ...
    async def send(
        self,
        topic: str,
        value: Any = None,
        *,
        key: Any = None,
        headers: Sequence[tuple[str, Any]] = (),
        partition: int | None = None,
    ) -> asyncio.Future[RecordMetadata]:
        """Queue a record; the future resolves when it is acknowledged."""
        ...

    async def send_and_wait(self, topic: str, value: Any = None, **kwargs: Any) -> RecordMetadata: ...
    async def flush(self) -> None: ...
    async def init_transactions(self) -> None: ...
    def begin_transaction(self) -> None: ...
    async def send_offsets_to_transaction(
        self, offsets: Mapping[tuple[str, int], int], group_id: str
    ) -> None:
        """Commit `group_id`'s offsets (the next offset to read, per partition) in the open
        transaction (AddOffsetsToTxn, TxnOffsetCommit): they count only if it commits."""
        ...

    async def commit_transaction(self) -> None: ...
    async def abort_transaction(self) -> None: ...
    def abort(self) -> None:
        """Give up at once (Kafka's close with a zero timeout): what is not acknowledged
        yet fails instead of being retried."""
        ...

    async def close(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...


class ConsumerClient(Protocol):
    """A consumer as the CLI and the services use it, whichever backend made it: Kafka's
    `Consumer` interface (assign or subscribe, seek, poll, commit, close)."""

    on_assignment: Callable[[list[TopicPartition]], None] | None

    def assign(self, partitions: Iterable[TopicPartition | tuple[str, int]]) -> None: ...
    def assign_topic(self, topic: str) -> list[TopicPartition]: ...
    def assignment(self) -> list[TopicPartition]: ...
    def subscribe(self, topics: Iterable[str]) -> None: ...
    def seek(self, tp: TopicPartition | tuple[str, int], offset: int) -> None: ...
    async def poll(self, timeout_ms: int = 0) -> list[ConsumerRecord]: ...
    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> dict[TopicPartition, int]: ...
    async def close(self) -> None: ...


class Listeners(Protocol):
    """Where a cluster is served to outside clients (`serve.ServiceHost`, which lives
    above the backends): how it stands, who is connected, and closing it."""

    def status(self) -> str | None: ...
    def clients(self) -> list[ConnectedClient]: ...
    @property
    def registry_url(self) -> str | None: ...
    @property
    def rest_url(self) -> str | None: ...
    async def close(self) -> None: ...


class Backend(Protocol):
    """What a workbench screen and a CLI command may ask of a cluster: the one door to
    it, whether kafkatui's own engine or any Kafka over the wire.

    Everything here is what Kafka's clients and admin API can do (Metadata, ListOffsets,
    DescribeConfigs, CreatePartitions, DeleteRecords, ElectLeaders, the group APIs…), so
    every backend serves it. What only the owner of the brokers can do (stop them, cut
    their links, lose an ack, run the cleaner now) is `engine_controls(feature)`, a
    separate capability; `unavailable(feature)` says in one line why a backend cannot,
    and what a client cannot see is empty (`links()`, `log_layout()`).
    `supports_faults` and `faults_unsupported_reason` say the same for broker and
    network faults.
    """

    bus: EventBus
    # partition.assignment.strategy values a workbench consumer can take, the default first.
    assignors: tuple[str, ...]
    clock: Clock
    supports_faults: bool
    faults_unsupported_reason: str

    @property
    def description(self) -> str: ...
    @property
    def controller_id(self) -> int:
        """The broker holding the active controller role; -1 while one is being elected."""
        ...

    @property
    def broker_session_timeout_ms(self) -> int:
        """broker.session.timeout.ms: how long the controller waits for a silent broker."""
        ...

    def unavailable(self, feature: Feature) -> str | None:
        """Why `feature` cannot be used here (one line for the UI), or None if it can."""
        ...

    def engine_controls(self, feature: Feature) -> EngineControls:
        """The controls only kafkatui's own cluster has, for `feature`; raises
        `FeatureUnavailable` (with `unavailable(feature)`'s line) where they are not."""
        ...

    def brokers(self) -> list[BrokerView]: ...
    async def broker_configs(self, broker_id: int) -> list[ConfigEntry]:
        """DescribeConfigs(BROKER): the broker's settings."""
        ...

    def topic_names(self, include_internal: bool = False) -> list[str]: ...
    def describe_topic(self, name: str) -> TopicDescription: ...
    def topic_configs(self, name: str) -> list[ConfigEntry]: ...
    async def refresh_disk_usage(self) -> None: ...
    async def create_topic(
        self,
        name: str,
        partitions: int | None = None,
        replication_factor: int | None = None,
        configs: Mapping[str, str] | None = None,
        *,
        validate_only: bool = False,
    ) -> None: ...
    async def auto_create_topic(self, name: str) -> bool:
        """What a producer's Metadata request for `name` does (allow_auto_topic_creation):
        nothing if the topic exists (False); else the cluster creates it, with its
        num.partitions and default.replication.factor, if its auto.create.topics.enable
        is on (True), or it is UNKNOWN_TOPIC_OR_PARTITION naming that setting."""
        ...

    async def delete_topic(self, name: str) -> None: ...
    async def create_partitions(self, name: str, count: int) -> None:
        """CreatePartitions: grow the topic to `count` partitions."""
        ...

    async def alter_topic_configs(self, name: str, changes: Mapping[str, str | None]) -> None: ...
    async def read_log(self, topic: str, partition: int, offset: int, limit: int) -> list[LogRecordView]: ...
    async def produce(self, request: ProduceRequest) -> ProduceTrace: ...
    def idempotence(self, topic: str | None, transactional_id: str | None = None) -> IdempotenceView:
        """The idempotent producer's id, epoch and next sequence per partition of `topic`
        (the transactional producer's, given its transactional.id)."""
        ...

    def transaction(self, transactional_id: str) -> TransactionView:
        """The transactional producer of `transactional_id` (UNINITIALIZED if none yet)."""
        ...

    async def begin_transaction(self, transactional_id: str) -> TransactionView:
        """Begin a transaction (InitProducerId first, if this id has no producer yet,
        or a new producer after the last one was fenced)."""
        ...

    async def end_transaction(self, transactional_id: str, *, commit: bool) -> TransactionView:
        """Commit or abort the open transaction (EndTxn: markers on every partition)."""
        ...

    async def fence_transaction(self, transactional_id: str) -> TransactionView:
        """Start a second producer with the same transactional.id (InitProducerId bumps
        the epoch): the workbench's producer becomes a fenced zombie."""
        ...

    async def log_layout(self, topic: str) -> dict[int, LogLayout]:
        """Each partition's segments and, if compacted, its first dirty offset (empty
        where the segments are the brokers' own business: over the wire)."""
        ...

    def stable_offsets(self, topic: str) -> dict[int, StableOffsets]:
        """Per partition (of its leader), the LSO and the open and aborted transactions."""
        ...

    async def list_offsets(self, topic: str, partitions: Sequence[int], timestamp: int) -> dict[int, int]:
        """ListOffsets: per partition, the log start (`EARLIEST_TIMESTAMP`), the high
        watermark (`LATEST_TIMESTAMP`), or the first offset whose record is at or after
        `timestamp` (epoch ms; -1 if none is that recent)."""
        ...

    async def delete_records(self, topic: str, partition: int, offset: int) -> int:
        """DeleteRecords: the partition's log start moves up to `offset` (-1: the high
        watermark) on every replica; returns the new low watermark."""
        ...

    async def elect_leaders(
        self, election_type: str, partitions: Sequence[tuple[str, int]] | None = None
    ) -> dict[tuple[str, int], KafkaError | None]:
        """ElectLeaders (KIP-460), "preferred" or "unclean": each partition's outcome
        (None: it has a new leader). Asked for every partition (None), those that needed
        no election are left out, as Kafka's controller leaves them out."""
        ...

    async def elect_preferred_leaders(self) -> int:
        """ElectLeaders(PREFERRED) for every partition; how many changed leader."""
        ...

    def links(self) -> list[LinkState]:
        """Links between brokers that differ from a perfect one (latency, loss, cut)."""
        ...

    # --- consumer groups --------------------------------------------------------------
    async def groups(self) -> list[tuple[str, str]]:
        """Every group with its state (ListGroups): those with committed offsets and
        those of workbench consumers."""
        ...

    async def describe_group(self, group_id: str) -> GroupView: ...
    async def alter_group_offsets(self, group_id: str, offsets: Mapping[tuple[str, int], int]) -> None:
        """AlterConsumerGroupOffsets: commit these offsets for the group, as an admin
        (refused while the group has members)."""
        ...

    async def delete_group(self, group_id: str) -> None:
        """DeleteGroups: an empty group's committed offsets and metadata go
        (NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND if there is none)."""
        ...

    def consumers(self, group_id: str | None = None) -> list[ConsumerView]:
        """The consumers the workbench runs (of one group, or all)."""
        ...

    async def add_consumer(self, group_id: str, topic: str, assignor: str) -> ConsumerView:
        """Start a consumer that subscribes to `topic` in `group_id` and polls in a loop."""
        ...

    async def crash_consumer(self, consumer_id: int) -> None:
        """Kill it: no LeaveGroup, no heartbeats; the coordinator waits session.timeout.ms."""
        ...

    async def stop_consumer(self, consumer_id: int) -> None:
        """Close it: commit, then LeaveGroup at once."""
        ...

    async def pause_consumer(self, consumer_id: int) -> bool:
        """Stop (or resume) polling while heartbeats go on; True if now paused."""
        ...

    # --- clients (the CLI's produce and consume) -------------------------------------
    def producer(self, config: ProducerConfig) -> ProducerClient:
        """A producer for this cluster (send, flush, transactions)."""
        ...

    def consumer(self, config: ConsumerConfig) -> ConsumerClient:
        """A consumer for this cluster (assign, subscribe, seek, poll, commit, close)."""
        ...

    def listener_status(self) -> str | None:
        """Where Kafka clients can connect, and how many are, if the cluster is served
        over the wire protocol; None if not."""
        ...

    def connected_clients(self) -> list[ConnectedClient]:
        """The Kafka clients connected over the wire protocol now (none if not served)."""
        ...

    def schema_registry_url(self) -> str | None:
        """Where the Schema Registry over this cluster's `_schemas` answers (Confluent's
        REST API): the one served beside the listeners, or the owner's when attached to a
        kafkatui process; None if none is known to run."""
        ...

    def rest_proxy_url(self) -> str | None:
        """Where the REST Proxy over this cluster answers (Confluent's v2/v3 HTTP APIs),
        likewise: served beside the listeners, or the owner's when attached; else None."""
        ...

    async def close(self) -> None: ...
