"""What the backend interface answers and takes: frozen snapshots of a cluster's state
as the panels and the CLI show it (brokers, a partition's log and its batches, groups
and their lag, a transaction, a produce's trace) and the one request a front end
builds (`ProduceRequest`). Both backends fill them; no engine type appears here.
Topic descriptions and configs are `common.admin`'s, client configs `common.clients`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


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
    # The producer config it was sent with, for whoever checks it (the course's steps)
    # without reading the steps' text.
    key: bytes | None = None
    acks: str = "all"
    idempotent: bool = False


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
    protocol_type: str = ""  # "consumer", or another's such as Connect's "connect"; "" if unknown


# ListOffsets' special timestamps (Kafka's ListOffsetsRequest.EARLIEST_TIMESTAMP and
# LATEST_TIMESTAMP): the log start offset, and the high watermark.
EARLIEST_TIMESTAMP = -2
LATEST_TIMESTAMP = -1
