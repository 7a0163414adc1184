"""Per-partition producer state: what the idempotent producer (KIP-98) relies on.

Kafka's `ProducerStateManager`. For each producer id that wrote to a partition the
replica keeps the producer's current epoch and the metadata of its last five batches
(`ProducerStateEntry.NUM_BATCHES_TO_RETAIN`): first and last sequence, first and last
offset. A leader checks every batch with a producer id against it before appending
(`ProducerAppendInfo` with origin CLIENT):

- an epoch lower than the known one is refused (`INVALID_PRODUCER_EPOCH`);
- a batch whose sequence range is one of the cached five is a retry of a batch already
  in the log: it is not appended again, and the producer is answered with the offsets
  it got the first time (`UnifiedLog.analyzeAndValidateProducerState`);
- otherwise its first sequence must follow the last one (`OUT_OF_ORDER_SEQUENCE_NUMBER`);
  a new epoch starts again at 0; an id never seen must start at 0 (else
  `UNKNOWN_PRODUCER_ID`, as Kafka did before KIP-360).

Followers update the state from replicated batches without checking (origin
REPLICATION), and a replica rebuilds it from the log's batch headers when the log is
opened or truncated, so a new leader after a failover or a restarted process dedups
as the old leader did. A producer silent for `producer.id.expiration.ms` (KIP-854;
measured from its last batch's max timestamp, as Kafka's `lastTimestamp`) and without an
open transaction is forgotten by the broker's periodic check, so its next batch with a
sequence other than 0 is `UNKNOWN_PRODUCER_ID` (the client bumps its epoch and starts
again at 0, KIP-360). *Differs from Kafka:* no snapshot files; the rebuild reads the last
five batch headers of each producer from the broker's database.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from kafkatui.common.errors import ErrorCode, KafkaError

NUM_BATCHES_TO_RETAIN = 5  # ProducerStateEntry.NUM_BATCHES_TO_RETAIN
INT32_MAX = 2**31 - 1


def last_sequence(base_sequence: int, last_offset_delta: int) -> int:
    """The sequence of a batch's last record; sequences wrap from Int32.MAX to 0
    (`DefaultRecordBatch.incrementSequence`)."""
    if base_sequence > INT32_MAX - last_offset_delta:
        return base_sequence - (INT32_MAX - last_offset_delta) - 1
    return base_sequence + last_offset_delta


def in_sequence(last_seq: int, next_seq: int) -> bool:
    """Does `next_seq` directly follow `last_seq`? (`ProducerAppendInfo.inSequence`)"""
    return next_seq == last_seq + 1 or (next_seq == 0 and last_seq == INT32_MAX)


@dataclass(frozen=True, slots=True)
class BatchMetadata:
    """Kafka's `BatchMetadata`: where one producer batch landed."""

    first_seq: int
    last_seq: int
    first_offset: int
    last_offset: int


@dataclass(slots=True)
class ProducerStateEntry:
    """One producer id's epoch and its last batches on this partition."""

    producer_id: int
    epoch: int
    batches: deque[BatchMetadata] = field(default_factory=lambda: deque(maxlen=NUM_BATCHES_TO_RETAIN))
    last_timestamp: int = -1  # the newest batch's max timestamp (producer.id.expiration.ms)

    @property
    def last_seq(self) -> int:
        return self.batches[-1].last_seq if self.batches else -1

    def find_duplicate(self, epoch: int, first_seq: int, last_seq: int) -> BatchMetadata | None:
        if epoch != self.epoch:
            return None
        for batch in self.batches:
            if batch.first_seq == first_seq and batch.last_seq == last_seq:
                return batch
        return None


@dataclass(frozen=True, slots=True)
class ProducerBatch:
    """The producer fields of one stored batch (what the rebuild reads back)."""

    producer_id: int
    epoch: int
    base_sequence: int
    first_offset: int
    last_offset: int
    max_timestamp: int = -1


@dataclass(frozen=True, slots=True)
class AbortedTxn:
    """Kafka's `AbortedTxn` (the aborted transaction index): a transaction of
    `producer_id` that began at `first_offset` and was aborted by the marker at
    `last_offset`. A read_committed consumer drops that producer's records in between."""

    producer_id: int
    first_offset: int
    last_offset: int


class ProducerStateManager:
    """The producer state of one partition replica, with its open transactions (the
    first offset of each producer's ongoing transaction) and the aborted ones."""

    def __init__(self) -> None:
        self.producers: dict[int, ProducerStateEntry] = {}
        self.ongoing: dict[int, int] = {}  # producer id -> first offset of its open transaction
        self.aborted: list[AbortedTxn] = []

    def first_unstable_offset(self) -> int | None:
        """The first offset of the earliest open transaction (bounds the LSO)."""
        return min(self.ongoing.values()) if self.ongoing else None

    def track_transaction(self, producer_id: int, first_offset: int) -> None:
        """A transactional batch was appended: it opens a transaction if none is open."""
        self.ongoing.setdefault(producer_id, first_offset)

    def complete_transaction(self, producer_id: int, epoch: int, commit: bool, marker_offset: int) -> None:
        """A COMMIT/ABORT marker was appended: the transaction is over; an abort is
        indexed. The marker's epoch (bumped when a producer was fenced) becomes current."""
        first = self.ongoing.pop(producer_id, None)
        if not commit and first is not None:
            self.aborted.append(AbortedTxn(producer_id, first, marker_offset))
        entry = self.producers.get(producer_id)
        if entry is None or epoch > entry.epoch:
            self.producers[producer_id] = ProducerStateEntry(producer_id, epoch)

    def truncate_head(self, log_start_offset: int) -> None:
        """The log start offset moved (retention, DeleteRecords): aborted transactions
        whose marker is below it leave the index, as Kafka's `.txnindex` goes with the
        segment holding the marker (`LogSegment.deleteIfExists`)."""
        self.aborted = [a for a in self.aborted if a.last_offset >= log_start_offset]

    def aborted_between(self, start: int, end: int) -> list[AbortedTxn]:
        """Aborted transactions overlapping [start, end) (`collectAbortedTxns`)."""
        return [a for a in self.aborted if a.last_offset >= start and a.first_offset < end]

    def check(
        self, topic_partition: str, producer_id: int, epoch: int, first_seq: int, last_seq: int
    ) -> BatchMetadata | None:
        """Validate a client's batch before a leader appends it. Returns the cached
        batch if this one is a duplicate (do not append), None if it may be appended;
        raises INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID."""
        entry = self.producers.get(producer_id)
        if entry is None:
            if first_seq != 0:
                raise KafkaError(
                    ErrorCode.UNKNOWN_PRODUCER_ID,
                    f"{topic_partition} has no record of producer id {producer_id}; "
                    f"its first batch must have sequence 0, not {first_seq}",
                )
            return None
        if epoch < entry.epoch:
            raise KafkaError(
                ErrorCode.INVALID_PRODUCER_EPOCH,
                f"producer id {producer_id} wrote to {topic_partition} with epoch {epoch}, "
                f"older than its current epoch {entry.epoch}",
            )
        duplicate = entry.find_duplicate(epoch, first_seq, last_seq)
        if duplicate is not None:
            return duplicate
        if epoch > entry.epoch:
            if first_seq != 0:
                raise KafkaError(
                    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    f"producer id {producer_id} started epoch {epoch} on {topic_partition} at "
                    f"sequence {first_seq}; a new epoch starts at 0",
                )
        elif not in_sequence(entry.last_seq, first_seq):
            raise KafkaError(
                ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                f"producer id {producer_id} sent sequence {first_seq} to {topic_partition}, "
                f"expected {0 if entry.last_seq == INT32_MAX else entry.last_seq + 1}",
            )
        return None

    def check_epoch(self, topic_partition: str, producer_id: int, epoch: int) -> None:
        """A coordinator's transactional batch (`AppendOrigin.COORDINATOR`, such as
        TxnOffsetCommit's records): only the epoch is checked, not sequences
        (`ProducerAppendInfo.checkProducerEpoch`)."""
        entry = self.producers.get(producer_id)
        if entry is not None and epoch < entry.epoch:
            raise KafkaError(
                ErrorCode.INVALID_PRODUCER_EPOCH,
                f"producer id {producer_id} wrote to {topic_partition} with epoch {epoch}, "
                f"older than its current epoch {entry.epoch}",
            )

    def update(
        self,
        producer_id: int,
        epoch: int,
        first_seq: int,
        first_offset: int,
        last_offset: int,
        max_timestamp: int = -1,
    ) -> None:
        """Record an appended batch (leader or follower): a new epoch forgets the old
        one's batches (`ProducerStateEntry.update`)."""
        entry = self.producers.get(producer_id)
        if entry is None or epoch != entry.epoch:
            entry = self.producers[producer_id] = ProducerStateEntry(producer_id, epoch)
        seq = last_sequence(first_seq, last_offset - first_offset)
        entry.batches.append(BatchMetadata(first_seq, seq, first_offset, last_offset))
        entry.last_timestamp = max(entry.last_timestamp, max_timestamp)

    def remove_expired(self, now_ms: int, expiration_ms: int) -> list[int]:
        """Forget producers silent for `producer.id.expiration.ms` that have no open
        transaction (`ProducerStateManager.removeExpiredProducers`); their ids."""
        expired = [
            pid
            for pid, entry in self.producers.items()
            if pid not in self.ongoing and now_ms - entry.last_timestamp >= expiration_ms
        ]
        for pid in expired:
            del self.producers[pid]
        return expired

    def load(self, batches: Iterable[ProducerBatch]) -> None:
        """Rebuild from the log's producer batches, oldest first."""
        self.producers.clear()
        for b in batches:
            self.update(
                b.producer_id, b.epoch, b.base_sequence, b.first_offset, b.last_offset, b.max_timestamp
            )
