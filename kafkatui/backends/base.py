"""The interface the TUI, the CLI, the lessons and the services use: the `Backend`
protocol (the actions on a cluster), the clients it hands out (`ProducerClient`,
`ConsumerClient`), what only kafkatui's own cluster can do (`EngineControls`, `Feature`),
and the listeners hosted above it. The snapshots it answers with are in `views.py`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, Self

# The view types are re-exported (see __all__): `kafkatui.backends.base` stays the one
# address of the interface, whichever module of the package declares a type.
from kafkatui.backends.views import (
    EARLIEST_TIMESTAMP,
    LATEST_TIMESTAMP,
    AbortedRange,
    BatchView,
    BrokerState,
    BrokerView,
    CleaningView,
    ConsumerStatus,
    ConsumerView,
    GroupMemberView,
    GroupPartitionView,
    GroupView,
    IdempotenceView,
    LogLayout,
    LogRecordView,
    ProduceRequest,
    ProduceTrace,
    SegmentView,
    StableOffsets,
    TraceStep,
    TransactionView,
)
from kafkatui.common.acl import AclBinding, AclBindingFilter, AclOperation, ResourceType
from kafkatui.common.admin import (
    ConfigEntry,
    LinkState,
    TopicDescription,
    TransactionDescription,
    TransactionListing,
)
from kafkatui.common.clients import (
    ConsumerConfig,
    ConsumerGroupMetadata,
    ConsumerRecord,
    ProducerConfig,
    RecordMetadata,
    TopicPartition,
)
from kafkatui.common.clock import Clock
from kafkatui.common.connections import ConnectedClient, ListenerView
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import EventBus
from kafkatui.common.log_dirs import BrokerCheck as BrokerCheck
from kafkatui.common.log_dirs import ReplicaReport as ReplicaReport

# What `EngineControls.check_broker` answers, re-exported for the CLI and the TUI.
from kafkatui.common.scram import UserScramDeletion, UserScramUpsertion

__all__ = [
    "EARLIEST_TIMESTAMP",
    "LATEST_TIMESTAMP",
    "AbortedRange",
    "Backend",
    "BatchView",
    "BrokerCheck",
    "BrokerState",
    "BrokerView",
    "CleaningView",
    "ConsumerClient",
    "ConsumerStatus",
    "ConsumerView",
    "EngineControls",
    "Feature",
    "FeatureUnavailable",
    "GroupJoin",
    "GroupMember",
    "GroupMemberView",
    "GroupPartitionView",
    "GroupView",
    "IdempotenceView",
    "Listeners",
    "LogLayout",
    "LogRecordView",
    "ProduceRequest",
    "ProduceTrace",
    "ProducerClient",
    "ReplicaReport",
    "SegmentView",
    "StableOffsets",
    "TraceStep",
    "TransactionView",
    "no_auto_create",
]


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


@dataclass(frozen=True)
class GroupJoin:
    """A JoinGroup answer as a member of a classic group sees it: its generation and
    member id, the leader, the protocol the group chose, and (for the leader only) every
    member's metadata for that protocol."""

    generation_id: int
    member_id: str
    leader_id: str
    protocol: str
    members: tuple[tuple[str, bytes], ...] = ()

    @property
    def is_leader(self) -> bool:
        return self.member_id == self.leader_id


class GroupMember(Protocol):
    """Raw membership of a classic group (JoinGroup, SyncGroup, Heartbeat, LeaveGroup)
    for a protocol that is not the consumer's, as Kafka's AbstractCoordinator gives
    Connect's WorkerCoordinator. Errors raise KafkaError with Kafka's codes;
    MEMBER_ID_REQUIRED and a coordinator moving are retried inside."""

    group_id: str
    member_id: str
    generation_id: int

    async def join(self, protocols: Sequence[tuple[str, bytes]]) -> GroupJoin: ...
    async def sync(self, assignments: Mapping[str, bytes] | None) -> bytes:
        """SyncGroup: the leader hands every member's assignment, the others None; each
        gets its own bytes back."""
        ...

    async def heartbeat(self) -> ErrorCode | None:
        """None while the generation is stable; REBALANCE_IN_PROGRESS (rejoin), or
        UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION (dropped: join afresh)."""
        ...

    async def leave(self) -> None: ...
    async def commit_offsets(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """OffsetCommit as this member of its generation (a member of a protocol that
        commits offsets itself, as Kafka Streams' "consumer" group with its own assignor)."""
        ...

    async def assignments(self) -> dict[str, tuple[str, bytes]]:
        """DescribeGroups of this member's group: member id -> (client id, the assignment
        bytes the leader gave it, undecoded; empty unless the group is Stable)."""
        ...


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


# A record as `ProducerClient.send_batch` takes it: (partition, key, value, headers,
# timestamp epoch ms or None), what `send` takes by name.
BatchRecord = tuple[int | None, Any, Any, Sequence[tuple[str, Any]], int | None]


class SentBatch(Protocol):
    """Records sent together: awaiting it gives each one's RecordMetadata, or the error
    it got, in the order they were sent."""

    def __len__(self) -> int: ...
    def done(self) -> bool: ...
    def __await__(self) -> Generator[Any, None, list[RecordMetadata | BaseException]]: ...


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
        timestamp: int | None = None,
    ) -> asyncio.Future[RecordMetadata]:
        """Queue a record; the future resolves when it is acknowledged. `timestamp`
        (epoch ms, default now) is its CreateTime; a LogAppendTime topic replaces it."""
        ...

    async def send_batch(self, topic: str, records: Sequence[BatchRecord]) -> SentBatch:
        """Queue records, each (partition, key, value, headers, timestamp) as `send` takes
        them, in order; one awaitable answers for all of them (a record `send` would
        refuse gets that error in its place)."""
        ...

    async def send_and_wait(self, topic: str, value: Any = None, **kwargs: Any) -> RecordMetadata: ...
    async def flush(self) -> None: ...
    async def init_transactions(self) -> None: ...
    def begin_transaction(self) -> None: ...
    async def send_offsets_to_transaction(
        self, offsets: Mapping[tuple[str, int], int], group: str | ConsumerGroupMetadata
    ) -> None:
        """Commit a group's offsets (the next offset to read, per partition) in the open
        transaction (AddOffsetsToTxn, TxnOffsetCommit): they count only if it commits.
        With the consumer's `ConsumerGroupMetadata` (KIP-447) the coordinator refuses a
        zombie (ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID) and the
        transaction can only be aborted; a group id alone is not checked."""
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
    def group_metadata(self) -> ConsumerGroupMetadata:
        """Kafka's `groupMetadata()` (KIP-447): the group, and the member and generation
        this consumer joined as (-1 and "" while it is no member, as an assign()ing
        consumer never is), for a transactional producer's `send_offsets_to_transaction`."""
        ...

    async def close(self) -> None: ...


class Listeners(Protocol):
    """Where a cluster is served to outside clients (`serve.ServiceHost`, which lives
    above the backends): how it stands, who is connected, and closing it."""

    def status(self) -> str | None: ...
    def clients(self) -> list[ConnectedClient]: ...
    def listeners(self) -> list[ListenerView]: ...
    @property
    def registry_url(self) -> str | None: ...
    @property
    def rest_url(self) -> str | None: ...
    @property
    def connect_url(self) -> str | None: ...
    @property
    def ksql_url(self) -> str | None: ...
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
    def cluster_id(self) -> str:
        """Kafka's `cluster.id` (Metadata's and DescribeCluster's ClusterId): what REST
        Proxy v3 names the cluster by. Empty only if the cluster never said it."""
        ...

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

    async def list_transactions(self) -> list[TransactionListing]:
        """Every transactional id the coordinators hold, sorted (ListTransactions, KIP-664)."""
        ...

    async def describe_transactions(self, transactional_ids: Sequence[str]) -> list[TransactionDescription]:
        """Each id's state at its coordinator, in the order asked (DescribeTransactions);
        TRANSACTIONAL_ID_NOT_FOUND for the first id it does not know."""
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

    # --- ACLs (KIP-801's StandardAuthorizer; `kafkatui acl`) --------------------------
    async def create_acls(self, bindings: Sequence[AclBinding]) -> list[KafkaError | None]:
        """CreateAcls: one outcome per binding (None: created, or already there).
        SECURITY_DISABLED from a broker without an authorizer."""
        ...

    async def describe_acls(self, filter_: AclBindingFilter) -> list[AclBinding]:
        """DescribeAcls: the ACLs the filter matches, sorted."""
        ...

    async def delete_acls(self, filters: Sequence[AclBindingFilter]) -> list[list[AclBinding]]:
        """DeleteAcls: per filter, the ACLs it removed."""
        ...

    async def check_acls(
        self, principal: str, host: str, operation: AclOperation, resource_type: ResourceType, name: str
    ) -> tuple[bool, str]:
        """What StandardAuthorizer would decide over the cluster's ACLs (no super users,
        allow.everyone.if.no.acl.found=false), and the rule or ACL that decided it."""
        ...

    # --- SASL/SCRAM users (KIP-554; `kafkatui user`) ----------------------------------
    async def describe_user_scram_credentials(self) -> dict[str, dict[str, int]]:
        """DescribeUserScramCredentials for every user: user -> mechanism -> iterations
        (never a secret)."""
        ...

    async def alter_user_scram_credentials(
        self, upsertions: Sequence[UserScramUpsertion], deletions: Sequence[UserScramDeletion] = ()
    ) -> dict[str, KafkaError | None]:
        """AlterUserScramCredentials: per user, None or why none of its changes were made."""
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

    def group_member(
        self, group_id: str, protocol_type: str, session_timeout_ms: int, rebalance_timeout_ms: int,
        client_id: str | None = None,
    ) -> GroupMember:  # fmt: skip
        """A new member (not joined yet) of a classic group with this protocol type, such
        as Connect's "connect" (`client_id`: what DescribeGroups shows for it)."""
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

    def listeners(self) -> list[ListenerView]:
        """Each listener's socket per broker, with its security protocol (none if not served)."""
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

    def connect_url(self) -> str | None:
        """Where a Kafka Connect worker over this cluster answers (Apache Kafka's Connect
        REST API): served beside the listeners, or one given to the backend; else None."""
        ...

    def ksql_url(self) -> str | None:
        """Where a ksqlDB server over this cluster answers (ksqlDB's REST API): served
        beside the listeners, or one given to the backend; else None."""
        ...

    async def close(self) -> None: ...
