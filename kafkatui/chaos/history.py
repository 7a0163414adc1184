"""What one chaos run saw, as plain data: every record sent and how it was answered,
every transaction and how it ended, every offset commit and every look at the committed
offsets, and what the cluster held once everything was healed.

The checkers (`checkers.py`) read only this, never the cluster, so a history can be
written by hand to show that each checker catches what it is meant to catch.
"""

from __future__ import annotations

import enum
import traceback
from dataclasses import dataclass, field


class ProducerKind(enum.StrEnum):
    """The producers of a run, by what Kafka promises them."""

    ACKS_0 = "acks=0"  # fire and forget: nothing promised
    ACKS_1 = "acks=1"  # the leader alone has it: may be lost when it dies
    ACKS_ALL = "acks=all"  # in min.insync.replicas before the ack: never lost; retries may duplicate
    IDEMPOTENT = "idempotent"  # acks=all with enable.idempotence (KIP-98): never lost, never twice
    TRANSACTIONAL = "transactional"  # all or nothing, and only committed ones for read_committed


# Acknowledged with acks=all: the broker answered only once min.insync.replicas had it
# (NOT_ENOUGH_REPLICAS otherwise), so these must survive any fault the run injects.
DURABLE_KINDS = frozenset({ProducerKind.ACKS_ALL, ProducerKind.IDEMPOTENT})


class Outcome(enum.StrEnum):
    """How a transaction ended, as its producer knows it."""

    COMMITTED = "committed"  # commit_transaction returned
    ABORTED = "aborted"  # aborted, or EndTxn(commit) never sent: it can never commit
    ABANDONED = "abandoned"  # left open when its process stopped: the coordinator must abort it
    UNKNOWN = "unknown"  # EndTxn(commit) sent but unanswered: either way, but all or nothing


@dataclass
class Delivery:
    """One record a producer sent; `offset` once acknowledged (-1 for acks=0)."""

    producer: str
    kind: ProducerKind
    index: int  # the order the producer sent it in
    partition: int
    value: str
    acked: bool = False
    failed: str | None = None  # the error name, if the producer gave up on it
    offset: int = -1


@dataclass
class Transaction:
    producer: str
    records: list[tuple[int, str]]  # (partition, value)
    outcome: Outcome


@dataclass(frozen=True)
class OffsetCommit:
    """An OffsetCommit the coordinator acknowledged; `seq` orders it among observations."""

    seq: int
    group: str
    partition: int
    offset: int


@dataclass(frozen=True)
class OffsetObservation:
    """The committed offset OffsetFetch answered, asked at `seq`; -1: the group had none."""

    seq: int
    group: str
    partition: int
    offset: int


@dataclass(frozen=True)
class StoredRecord:
    partition: int
    offset: int
    value: str


@dataclass(frozen=True)
class PartitionState:
    """A partition after healing, as the controller and each replica see it."""

    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    ends: dict[int, tuple[int, int]]  # broker → (log end offset, high watermark)
    last_stable_offset: int
    digests: dict[int, str]  # broker → hash of the replica's stored batches


@dataclass
class ReadBack:
    """What the healed cluster holds: the log read by a read_uncommitted and a
    read_committed consumer from the beginning, and each partition's replicas."""

    records: list[StoredRecord] = field(default_factory=list)
    committed: list[StoredRecord] = field(default_factory=list)
    partitions: list[PartitionState] = field(default_factory=list)


@dataclass
class History:
    """Everything a run recorded. `seq()` numbers events, so a checker can tell that a
    commit was acknowledged before an observation was asked for."""

    deliveries: list[Delivery] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    commits: list[OffsetCommit] = field(default_factory=list)
    observations: list[OffsetObservation] = field(default_factory=list)
    seen_committed: list[str] = field(default_factory=list)  # what read_committed members polled
    errors: list[str] = field(default_factory=list)  # what no client should ever see: not Kafka errors
    unavailable: list[str] = field(default_factory=list)  # the cluster would not start, or not be read
    client_errors: dict[str, int] = field(default_factory=dict)  # retriable Kafka errors, counted
    readback: ReadBack | None = None  # None: the cluster could not be healed and read
    not_healed: str | None = None  # why the cluster did not converge after healing
    _seq: int = 0

    def seq(self) -> int:
        self._seq += 1
        return self._seq

    def client_error(self, name: str) -> None:
        self.client_errors[name] = self.client_errors.get(name, 0) + 1

    def unexpected(self, who: str, error: BaseException) -> None:
        """Record an error that is not a Kafka error, with where kafkatui raised it (the
        innermost frame outside the harness)."""
        frames = [
            f
            for f in traceback.extract_tb(error.__traceback__)
            if "/kafkatui/" in f.filename and "/kafkatui/chaos/" not in f.filename
        ]
        where = ""
        if frames:
            path = frames[-1].filename.rsplit("/kafkatui/", 1)[1]
            where = f" (at kafkatui/{path}:{frames[-1].lineno} in {frames[-1].name})"
        self.errors.append(f"{who}: {type(error).__name__}: {error}{where}")
