"""Transactions (KIP-98): each `transactional.id`'s state, kept by its coordinator.

Kafka's `TransactionCoordinator` + `TransactionStateManager` in miniature. The
coordinator of a transactional id is the leader of partition
`abs(transactionalId.hashCode()) % transaction.state.log.num.partitions` of the internal,
compacted topic `__transaction_state`. Every state change (InitProducerId,
AddPartitionsToTxn, EndTxn's PrepareCommit/PrepareAbort and CompleteCommit/CompleteAbort)
is a record appended there with acks=all before the client is answered; a broker that
becomes the leader replays the partition, and finishes any transaction it finds in a
Prepare state by writing its markers again (Kafka does the same on failover). Markers
that cannot be written (a partition without a leader) are retried in the background
until every partition has one (Kafka's `TransactionMarkerChannelManager`).

Keys and values use Kafka's binary schemas (TransactionLogKey v0, TransactionLogValue
v0). Offsets sent to a transaction are the group coordinator's business (`offsets.py`):
AddOffsetsToTxn adds the group's `__consumer_offsets` partition to the transaction, so
the markers reach it like any other partition. *Differs from Kafka:* InitProducerId on
an ongoing transaction bumps the epoch once and aborts it at once, rather than
answering CONCURRENT_TRANSACTIONS and bumping again on the retry. EndTxn is answered
once the markers are written (up to MARKER_TIMEOUT_MS), not after Prepare*.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import struct
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kafkatui.common.admin import TransactionDescription
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import TransactionStateChanged
from kafkatui.common.kafka_types import read_string, write_string
from kafkatui.engine.coordinator.runtime import (
    CoordinatorHost,
    CoordinatorPartition,
    PartitionedCoordinator,
    partition_for,
    replay_records,
)
from kafkatui.engine.log.records import Record, encode_batch

if TYPE_CHECKING:
    from kafkatui.common.clock import Clock
    from kafkatui.common.events import EventBus

TRANSACTION_STATE_TOPIC = "__transaction_state"
# Kafka's TransactionLog.transactionTopicConfigs (min.insync.replicas left at the
# default, so a small demo cluster with a broker down still runs transactions).
TRANSACTION_STATE_TOPIC_CONFIGS = {
    "cleanup.policy": "compact",
    "compression.type": "uncompressed",
    "segment.bytes": "104857600",
}
DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000  # transaction.timeout.ms (producer)
MAX_TRANSACTION_TIMEOUT_MS = 900_000  # transaction.max.timeout.ms (broker)
ABORT_TIMED_OUT_INTERVAL_MS = 10_000  # transaction.abort.timed.out.transaction.cleanup.interval.ms
MARKER_RETRY_BACKOFF_MS = 100
MARKER_TIMEOUT_MS = 30_000
INT16_MAX = 2**15 - 1

TopicPartition = tuple[str, int]
# Write a COMMIT/ABORT marker to a partition's leader: (tp, pid, epoch, commit, coordinator epoch).
WriteMarker = Callable[[TopicPartition, int, int, bool, int], Awaitable[None]]


class TransactionState(enum.IntEnum):
    """Kafka's `TransactionState` with its byte ids in the log."""

    EMPTY = 0
    ONGOING = 1
    PREPARE_COMMIT = 2
    PREPARE_ABORT = 3
    COMPLETE_COMMIT = 4
    COMPLETE_ABORT = 5

    @property
    def kafka_name(self) -> str:
        return self.name.title().replace("_", "")


@dataclass
class TransactionMetadata:
    """Kafka's `TransactionMetadata` for one transactional id."""

    transactional_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: TransactionState = TransactionState.EMPTY
    partitions: set[TopicPartition] = field(default_factory=set)
    last_update_ms: int = -1
    start_ms: int = -1


def transaction_partition_for(transactional_id: str, partitions: int) -> int:
    """The `__transaction_state` partition of an id (`Utils.abs(hash) % n`, as for groups)."""
    return partition_for(transactional_id, partitions)


# --- Kafka's record schemas ------------------------------------------------------------


def txn_key(transactional_id: str) -> bytes:
    """TransactionLogKey (version 0): the transactional id."""
    return struct.pack(">h", 0) + write_string(transactional_id)


def txn_value(meta: TransactionMetadata) -> bytes:
    """TransactionLogValue (version 0): producer id and epoch, timeout, state, partitions
    by topic, last update and start timestamps."""
    by_topic: dict[str, list[int]] = {}
    for topic, partition in sorted(meta.partitions):
        by_topic.setdefault(topic, []).append(partition)
    out = bytearray(
        struct.pack(">hqhib", 0, meta.producer_id, meta.producer_epoch, meta.timeout_ms, meta.state)
    )
    out += struct.pack(">i", len(by_topic))
    for topic, parts in by_topic.items():
        out += write_string(topic) + struct.pack(f">i{len(parts)}i", len(parts), *parts)
    out += struct.pack(">qq", meta.last_update_ms, meta.start_ms)
    return bytes(out)


def parse_txn_key(key: bytes) -> str:
    (version,) = struct.unpack_from(">h", key, 0)
    if version != 0:
        raise KafkaError(
            ErrorCode.CORRUPT_MESSAGE, f"unknown {TRANSACTION_STATE_TOPIC} key version {version}"
        )
    return read_string(key, 2)[0]


def parse_txn_value(transactional_id: str, value: bytes) -> TransactionMetadata:
    version, producer_id, epoch, timeout, state = struct.unpack_from(">hqhib", value, 0)
    if version != 0:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"unsupported TransactionLogValue version {version}")
    pos = 17
    (topics,) = struct.unpack_from(">i", value, pos)
    pos += 4
    partitions: set[TopicPartition] = set()
    for _ in range(max(topics, 0)):
        topic, pos = read_string(value, pos)
        (count,) = struct.unpack_from(">i", value, pos)
        pos += 4
        for p in struct.unpack_from(f">{count}i", value, pos):
            partitions.add((topic, p))
        pos += 4 * count
    last_update, start = struct.unpack_from(">qq", value, pos)
    if state in (TransactionState.COMPLETE_COMMIT, TransactionState.COMPLETE_ABORT):
        partitions = set()  # written by a kafkatui that kept them (before Kafka's rule)
    return TransactionMetadata(
        transactional_id, producer_id, epoch, timeout, TransactionState(state), partitions, last_update, start
    )


# --- the coordinator ---------------------------------------------------------------------


@dataclass
class _Partition(CoordinatorPartition):
    """One `__transaction_state` partition this broker leads."""

    transactions: dict[str, TransactionMetadata] = field(default_factory=dict)
    # The partitions of a Prepare* transaction still without their marker, by id.
    unmarked: dict[str, set[TopicPartition]] = field(default_factory=dict)


class TransactionCoordinator(PartitionedCoordinator[_Partition]):
    """One broker's transaction coordinator: the transactional ids whose
    `__transaction_state` partition it leads."""

    TOPIC = TRANSACTION_STATE_TOPIC
    KEY_NAME = "transactional id"
    EMPTY_KEY = (ErrorCode.INVALID_REQUEST, "the transactional id is empty")

    def __init__(self, broker: CoordinatorHost, clock: Clock, bus: EventBus) -> None:
        super().__init__(broker)
        self._clock = clock
        self._bus = bus
        self.write_marker: WriteMarker | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._completions: set[asyncio.Task[None]] = set()
        # The ids whose markers the background sender is retrying.
        self._retrying: set[str] = set()

    # --- leadership ----------------------------------------------------------------

    def _new_partition(self, leader_epoch: int) -> _Partition:
        return _Partition(leader_epoch)

    def stop(self) -> None:
        super().stop()
        for task in self._completions:
            task.cancel()
        self._completions.clear()
        self._retrying.clear()

    async def _load(self, partition: int, state: _Partition) -> None:
        """Replay the partition (latest record per id wins), then finish the transactions
        a previous coordinator left in PrepareCommit/PrepareAbort."""
        transactions: dict[str, TransactionMetadata] = {}
        async for record in replay_records(self._broker, TRANSACTION_STATE_TOPIC, partition):
            if record.key is None:
                continue
            tid = parse_txn_key(record.key)
            if record.value is None:
                transactions.pop(tid, None)
            else:
                transactions[tid] = parse_txn_value(tid, record.value)
        if self._partitions.get(partition) is not state:
            return
        state.transactions = transactions
        state.loaded = True
        for meta in transactions.values():
            if meta.state in (TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT):
                self._spawn(self._complete_quietly(meta))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._completions.add(task)
        task.add_done_callback(self._completions.discard)

    def _lock(self, transactional_id: str) -> asyncio.Lock:
        return self._locks.setdefault(transactional_id, asyncio.Lock())

    async def _persist(
        self, meta: TransactionMetadata, reason: str = "", marked: set[TopicPartition] | None = None
    ) -> None:
        """Append the id's new state (acks=all) before anyone is answered. `marked`: the
        partitions that just got their markers, for the event of a Complete* state
        (which itself names none)."""
        partition, state = self._state(meta.transactional_id)
        meta.last_update_ms = self._clock.now_ms()
        record = Record(0, meta.last_update_ms, txn_key(meta.transactional_id), txn_value(meta), ())
        await self._broker.produce(TRANSACTION_STATE_TOPIC, partition, encode_batch([record]), acks=-1)
        state.transactions[meta.transactional_id] = meta
        self._bus.publish(
            TransactionStateChanged(
                timestamp_ms=meta.last_update_ms, broker_id=self._broker.broker_id,
                transactional_id=meta.transactional_id, producer_id=meta.producer_id,
                producer_epoch=meta.producer_epoch, state=meta.state.kafka_name,
                partitions=tuple(sorted(meta.partitions if marked is None else marked)), reason=reason,
            )
        )  # fmt: skip

    @staticmethod
    def _check_producer(
        meta: TransactionMetadata | None, producer_id: int, epoch: int
    ) -> TransactionMetadata:
        if meta is None or meta.producer_id != producer_id:
            raise KafkaError(
                ErrorCode.INVALID_PRODUCER_ID_MAPPING,
                f"producer id {producer_id} is not the one of this transactional id",
            )
        if epoch != meta.producer_epoch:
            raise KafkaError(
                ErrorCode.PRODUCER_FENCED,
                f"producer epoch {epoch} of producer id {producer_id} is fenced: the current epoch "
                f"is {meta.producer_epoch} (another producer with the same transactional.id started)",
            )
        return meta

    # --- requests --------------------------------------------------------------------

    async def init_producer_id(
        self,
        transactional_id: str,
        timeout_ms: int,
        generate: Callable[[], Awaitable[int]],
        expected: tuple[int, int] | None = None,
    ) -> tuple[int, int]:
        """InitProducerId with a transactional id: the same producer id, the epoch bumped
        (fencing the previous producer); its ongoing transaction is aborted first.

        `expected`: the producer id and epoch a v3+ client sends to bump its own epoch
        after an abortable error (KIP-360); any other pair than the current one is a
        fenced producer (PRODUCER_FENCED). *Differs from Kafka:* no `lastProducerEpoch`,
        so a retry of a bump whose answer was lost is fenced too."""
        if not 0 < timeout_ms <= MAX_TRANSACTION_TIMEOUT_MS:
            raise KafkaError(
                ErrorCode.INVALID_TRANSACTION_TIMEOUT,
                f"transaction.timeout.ms={timeout_ms} must be from 1 to "
                f"transaction.max.timeout.ms={MAX_TRANSACTION_TIMEOUT_MS}",
            )
        async with self._lock(transactional_id):
            _, state = self._state(transactional_id)
            meta = state.transactions.get(transactional_id)
            if meta is None:
                meta = TransactionMetadata(transactional_id, await generate(), 0, timeout_ms)
                await self._persist(meta, "InitProducerId")
                return meta.producer_id, meta.producer_epoch
            if expected is not None and expected != (meta.producer_id, meta.producer_epoch):
                raise KafkaError(
                    ErrorCode.PRODUCER_FENCED,
                    f"producer id {expected[0]} epoch {expected[1]} is not the current producer of "
                    f"'{transactional_id}' (id {meta.producer_id}, epoch {meta.producer_epoch})",
                )
            if meta.state in (TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT):
                await self._complete(meta)
            if meta.state is TransactionState.ONGOING:
                self._bump(meta)
                await self._end(meta, commit=False, reason="fenced by a new producer (InitProducerId)")
            else:
                self._bump(meta)
            meta.state = TransactionState.EMPTY
            meta.partitions = set()
            meta.timeout_ms = timeout_ms
            meta.start_ms = -1
            await self._persist(meta, "InitProducerId")
            return meta.producer_id, meta.producer_epoch

    @staticmethod
    def _bump(meta: TransactionMetadata) -> None:
        # Epoch exhaustion would need a new producer id (KIP-360); 32767 inits is plenty here.
        meta.producer_epoch = min(meta.producer_epoch + 1, INT16_MAX)

    async def add_partitions(
        self, transactional_id: str, producer_id: int, epoch: int, partitions: Sequence[TopicPartition]
    ) -> None:
        """AddPartitionsToTxn: the transaction starts (Ongoing) with its first partition."""
        async with self._lock(transactional_id):
            meta, started = self._ongoing(transactional_id, producer_id, epoch)
            new = set(partitions) - meta.partitions
            if new or started:
                meta.partitions |= new
                await self._persist(meta, "AddPartitionsToTxn")

    async def add_offsets(
        self, transactional_id: str, producer_id: int, epoch: int, offsets_partition: TopicPartition
    ) -> None:
        """AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the
        transaction, so its marker completes the offsets TxnOffsetCommit appends there
        (Kafka's `handleAddOffsetsToTransaction` adds that one partition)."""
        await self.add_partitions(transactional_id, producer_id, epoch, [offsets_partition])

    async def txn_offset_commit(
        self,
        transactional_id: str,
        producer_id: int,
        epoch: int,
        group_id: str,
        offsets_partition: TopicPartition,
        append: Callable[[], Awaitable[None]],
    ) -> None:
        """TxnOffsetCommit's check with the coordinator before the group coordinator
        appends (KIP-890 part 1 verifies these too): the producer is current and the
        group's partition is in its ongoing transaction. `append` runs under the id's
        lock, so EndTxn cannot write the markers between the check and the append (what
        Kafka's `VerificationGuard` ensures)."""
        async with self._lock(transactional_id):
            _, state = self._state(transactional_id)
            meta = self._check_producer(state.transactions.get(transactional_id), producer_id, epoch)
            if meta.state is not TransactionState.ONGOING or offsets_partition not in meta.partitions:
                raise KafkaError(
                    ErrorCode.INVALID_TXN_STATE,
                    f"group '{group_id}' was not added to the transaction of '{transactional_id}' "
                    "(AddOffsetsToTxn comes first)",
                )
            await append()

    def verify_partitions(
        self, transactional_id: str, producer_id: int, epoch: int, partitions: Sequence[TopicPartition]
    ) -> None:
        """Is each partition in the id's ongoing transaction? What a partition leader asks
        before the first transactional batch of a producer it has no open transaction for
        (KIP-890 part 1, AddPartitionsToTxn v4 with VerifyOnly; Kafka's
        `handleVerifyPartitionsInTransaction`)."""
        meta = self._not_completing(transactional_id, producer_id, epoch)
        missing = sorted(set(partitions) - meta.partitions) if meta.state is TransactionState.ONGOING else []
        if meta.state is not TransactionState.ONGOING or missing:
            tp = (missing or sorted(partitions))[0]
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                f"Partition {tp[0]}-{tp[1]} was not added to the transaction of '{transactional_id}' "
                "(AddPartitionsToTxn comes before the first batch)",
            )

    def _not_completing(self, transactional_id: str, producer_id: int, epoch: int) -> TransactionMetadata:
        """The id's metadata, checked against the producer; CONCURRENT_TRANSACTIONS while
        its previous transaction is still in PrepareCommit/PrepareAbort."""
        _, state = self._state(transactional_id)
        meta = self._check_producer(state.transactions.get(transactional_id), producer_id, epoch)
        if meta.state in (TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT):
            raise KafkaError(
                ErrorCode.CONCURRENT_TRANSACTIONS,
                f"the previous transaction of '{transactional_id}' is still completing",
            )
        return meta

    def _ongoing(
        self, transactional_id: str, producer_id: int, epoch: int
    ) -> tuple[TransactionMetadata, bool]:
        """A copy of the id's metadata in state Ongoing (True: it starts now). A copy, so
        a failed write leaves the coordinator's state as the log has it."""
        meta = self._not_completing(transactional_id, producer_id, epoch)
        if meta.state is TransactionState.ONGOING:
            return replace(meta, partitions=set(meta.partitions)), False
        now = self._clock.now_ms()
        return replace(meta, state=TransactionState.ONGOING, partitions=set(), start_ms=now), True

    async def end_txn(self, transactional_id: str, producer_id: int, epoch: int, commit: bool) -> None:
        """EndTxn: PrepareCommit/PrepareAbort, markers to every partition, then Complete."""
        async with self._lock(transactional_id):
            _, state = self._state(transactional_id)
            meta = self._check_producer(state.transactions.get(transactional_id), producer_id, epoch)
            done = TransactionState.COMPLETE_COMMIT if commit else TransactionState.COMPLETE_ABORT
            if meta.state is done:
                return  # a retry of an EndTxn that completed
            preparing = TransactionState.PREPARE_COMMIT if commit else TransactionState.PREPARE_ABORT
            if meta.state is preparing:
                # A retry of an EndTxn whose markers could not all be written: write them
                # now (Kafka answers CONCURRENT_TRANSACTIONS while its marker sender retries).
                await self._complete(meta)
                return
            if meta.state is not TransactionState.ONGOING:
                raise KafkaError(
                    ErrorCode.INVALID_TXN_STATE,
                    f"cannot {'commit' if commit else 'abort'} the transaction of '{transactional_id}' "
                    f"in state {meta.state.kafka_name}",
                )
            await self._end(meta, commit=commit, reason="EndTxn")

    async def _end(self, meta: TransactionMetadata, *, commit: bool, reason: str) -> None:
        meta.state = TransactionState.PREPARE_COMMIT if commit else TransactionState.PREPARE_ABORT
        await self._persist(meta, reason)
        await self._complete(meta)

    async def _complete(self, meta: TransactionMetadata) -> None:
        """Write the markers (retrying while leaders move), then Complete. If a partition
        still has no marker after MARKER_TIMEOUT_MS, the caller gets the error and the
        background sender keeps trying (below)."""
        commit = meta.state is TransactionState.PREPARE_COMMIT
        _, state = self._state(meta.transactional_id)
        assert self.write_marker is not None
        unmarked = state.unmarked.setdefault(meta.transactional_id, set(meta.partitions))
        for tp in sorted(unmarked):
            deadline = self._clock.now_ms() + MARKER_TIMEOUT_MS
            while True:
                try:
                    await self.write_marker(
                        tp, meta.producer_id, meta.producer_epoch, commit, state.leader_epoch
                    )
                    unmarked.discard(tp)
                    break
                except KafkaError as error:
                    if not error.code.retriable or self._clock.now_ms() >= deadline:
                        self._retry_markers_later(meta.transactional_id)
                        raise
                    await self._clock.sleep(MARKER_RETRY_BACKOFF_MS / 1000)
        state.unmarked.pop(meta.transactional_id, None)
        meta.state = TransactionState.COMPLETE_COMMIT if commit else TransactionState.COMPLETE_ABORT
        # Kafka's `TransactionMetadata.prepareComplete`: a finished transaction names no
        # partitions (in memory and in its TransactionLogValue).
        marked, meta.partitions = meta.partitions, set()
        await self._persist(meta, "markers written", marked)

    def _retry_markers_later(self, transactional_id: str) -> None:
        """Kafka's `TransactionMarkerChannelManager`: markers that could not be written
        are retried in the background, every MARKER_RETRY_BACKOFF_MS of cluster time,
        until every partition has its marker and the state is Complete*; it stops when
        the transaction is no longer in Prepare* here (finished by a client's retry of
        EndTxn or InitProducerId) or this broker no longer coordinates it."""
        if transactional_id not in self._retrying:
            self._retrying.add(transactional_id)
            self._spawn(self._retry_markers(transactional_id))

    async def _retry_markers(self, transactional_id: str) -> None:
        try:
            _, state = self._state(transactional_id)
            while True:
                await self._clock.sleep(MARKER_RETRY_BACKOFF_MS / 1000)
                async with self._lock(transactional_id):
                    try:
                        if self._state(transactional_id)[1] is not state:
                            return  # the partition moved: its new coordinator finishes it
                    except KafkaError:
                        return
                    meta = state.transactions.get(transactional_id)
                    if meta is None or meta.state not in (
                        TransactionState.PREPARE_COMMIT,
                        TransactionState.PREPARE_ABORT,
                    ):
                        return
                    with contextlib.suppress(KafkaError):
                        await self._complete_once(meta)
                        return
        except KafkaError:
            return
        finally:
            self._retrying.discard(transactional_id)

    async def _complete_once(self, meta: TransactionMetadata) -> None:
        """One attempt at each partition still without its marker, then Complete."""
        commit = meta.state is TransactionState.PREPARE_COMMIT
        _, state = self._state(meta.transactional_id)
        assert self.write_marker is not None
        unmarked = state.unmarked.setdefault(meta.transactional_id, set(meta.partitions))
        for tp in sorted(unmarked):
            try:
                await self.write_marker(tp, meta.producer_id, meta.producer_epoch, commit, state.leader_epoch)
            except KafkaError as error:
                if error.code is not ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
                    raise
                # Deleted meanwhile: no marker is owed (Kafka's marker manager skips
                # partitions missing from its metadata cache).
            unmarked.discard(tp)
        await self._complete(meta)  # nothing left to mark: persists Complete*

    async def _complete_quietly(self, meta: TransactionMetadata) -> None:
        async with self._lock(meta.transactional_id):
            # If it fails, the background sender (or the next coordinator) finishes it.
            with contextlib.suppress(KafkaError):
                await self._complete(meta)

    async def abort_timed_out(self) -> list[str]:
        """Abort transactions open longer than their timeout, bumping the epoch so the
        producer is fenced (Kafka's `abortTimedOutTransactions`); returns their ids."""
        # Kafka loads a partition of __transaction_state as soon as it leads it; here a
        # partition loads on first use, so load them all first: after a restart nobody
        # may ever ask for the id of a transaction its dead producer left open.
        for partition in list(self._partitions):
            with contextlib.suppress(KafkaError):  # a partition moving away: next round
                await self.ensure_loaded(partition)
        now = self._clock.now_ms()
        aborted = []
        for state in list(self._partitions.values()):
            if not state.loaded:
                continue
            for meta in list(state.transactions.values()):
                if meta.state is TransactionState.ONGOING and now - meta.start_ms > meta.timeout_ms:
                    async with self._lock(meta.transactional_id):
                        meta = state.transactions.get(meta.transactional_id, meta)  # the latest copy
                        if (
                            meta.state is not TransactionState.ONGOING
                            or now - meta.start_ms <= meta.timeout_ms
                        ):
                            continue
                        self._bump(meta)
                        await self._end(
                            meta, commit=False,
                            reason=f"timed out after transaction.timeout.ms={meta.timeout_ms}",
                        )  # fmt: skip
                        aborted.append(meta.transactional_id)
        return aborted

    def describe(self, transactional_id: str) -> TransactionDescription | None:
        _, state = self._state(transactional_id)
        meta = state.transactions.get(transactional_id)
        return None if meta is None else self._description(meta)

    async def list_transactions(self) -> list[TransactionDescription]:
        """ListTransactions (KIP-664): every transactional id in the partitions this
        coordinator leads, which it loads first (they load on first use otherwise)."""
        for partition in list(self._partitions):
            await self.ensure_loaded(partition)
        return [
            self._description(meta)
            for state in list(self._partitions.values())
            if state.loaded
            for meta in state.transactions.values()
        ]

    def _description(self, meta: TransactionMetadata) -> TransactionDescription:
        return TransactionDescription(
            meta.transactional_id, self._broker.broker_id, meta.producer_id, meta.producer_epoch,
            meta.state.kafka_name, meta.timeout_ms, meta.start_ms, tuple(sorted(meta.partitions)),
        )  # fmt: skip
