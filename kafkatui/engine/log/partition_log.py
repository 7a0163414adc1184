"""A partition replica's log: offsets, log end offset, high watermark.

Kafka's `UnifiedLog` in miniature. The leader assigns offsets on append (the producer
sends a batch with base offset 0); the log end offset (LEO) is the next offset to be
written; the high watermark (HW) is the end of what consumers may read. The leader
moves its HW to the smallest LEO among the in-sync replicas; followers copy batches
with their offsets and take the HW from the leader's fetch responses (see `Broker`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from kafkatui.common.clients import TimestampType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.producer_state import ProducerStateManager, last_sequence
from kafkatui.engine.log.records import (
    marker_is_commit,
    read_header,
    verify_crc,
    with_base_offset,
    with_log_append_time,
    with_partition_leader_epoch,
)
from kafkatui.engine.log.storage import BrokerStorage, LogState, StoredBatch

T = TypeVar("T")


async def _to_completion(write: Awaitable[T]) -> T:
    """Finish a write even if the caller is cancelled meanwhile (a replica fetcher
    stopped mid-append): SQLite runs it in its thread regardless, and the log's offsets
    in memory must match what the database holds. The cancellation is delivered again
    at the caller's next await, after it has recorded the write."""
    task = asyncio.ensure_future(write)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({task})
        current = asyncio.current_task()
        if current is not None:
            current.cancel()
        return task.result()


@dataclass(frozen=True, slots=True)
class LogAppendInfo:
    """Where a leader append put a batch (Kafka's `LogAppendInfo`). `duplicate`: the
    batch was a producer's retry of one already in the log (KIP-98), so nothing was
    written and the offsets are those of the first append."""

    base_offset: int
    last_offset: int
    record_count: int
    size_bytes: int
    producer_id: int
    duplicate: bool = False


class PartitionLog:
    """One replica's log of one partition, stored in its broker's database."""

    def __init__(self, storage: BrokerStorage, state: LogState) -> None:
        self._storage = storage
        self.log_id = state.log_id
        self.topic_id = state.topic_id
        self.topic = state.topic
        self.partition = state.partition
        self.log_start_offset = state.log_start_offset
        self.log_end_offset = state.log_end_offset
        self.high_watermark = state.high_watermark
        self.size_bytes = state.size_bytes
        self._append_lock = asyncio.Lock()
        # Woken whenever the high watermark moves, for fetches waiting on new data.
        self._hw_waiters: list[asyncio.Event] = []
        # Woken whenever the log end offset moves, for followers waiting to replicate.
        self._leo_waiters: list[asyncio.Event] = []
        self.on_high_watermark: Callable[[int], None] | None = None
        # The epoch in which this replica leads, or -1 while it follows; set by its broker
        # from the metadata. A leader append of another epoch is refused under the append
        # lock, so nothing is appended as leader once the replica has started following.
        self.leader_epoch = -1
        self.closed = False  # its broker stopped; a restart opens a new PartitionLog
        # Idempotent producers' epochs and last batches (KIP-98), on leader and followers.
        self.producer_state = ProducerStateManager()

    async def load_producer_state(self) -> None:
        """Rebuild the producer state from the log (on open, and after a truncation)."""
        self.producer_state.load(await self._storage.producer_batches(self.log_id))
        await self._load_transactions()

    async def reload_transactions(self) -> None:
        """Rebuild the open and aborted transactions from the log (after the cleaner
        removed aborted records and markers; hold `exclusive()`)."""
        await self._load_transactions()

    async def _load_transactions(self) -> None:
        state = self.producer_state
        state.ongoing.clear()
        state.aborted.clear()
        for producer_id, epoch, base, last, control in await self._storage.transaction_batches(self.log_id):
            self._track(producer_id, epoch, base, last, control)

    def _track(self, producer_id: int, epoch: int, base: int, last: int, control: bytes | None) -> None:
        """Open or close a transaction for an appended transactional batch."""
        if control is None:
            self.producer_state.track_transaction(producer_id, base)
        else:
            self.producer_state.complete_transaction(producer_id, epoch, marker_is_commit(control), last)

    @property
    def last_stable_offset(self) -> int:
        """The LSO: the HW, or the first offset of the earliest open transaction below it."""
        first = self.producer_state.first_unstable_offset()
        if first is None:
            return self.high_watermark
        # An open transaction that began below the log start is unstable from there
        # (Kafka's `maybeIncrementFirstUnstableOffset`).
        return min(max(first, self.log_start_offset), self.high_watermark)

    async def append_as_leader(
        self,
        data: bytes,
        *,
        leader_epoch: int,
        timestamp_type: TimestampType,
        now_ms: int,
        from_coordinator: bool = False,
    ) -> LogAppendInfo:
        """Validate a producer's batch, assign its offsets, write it; returns where it went.

        Offsets are assigned and written under one lock, so concurrent producers to the
        same partition get contiguous, non-overlapping offsets in append order. A batch
        with a producer id is checked against the producer state first (KIP-98); a
        coordinator's own batch (`from_coordinator`, Kafka's `AppendOrigin.COORDINATOR`:
        TxnOffsetCommit's records in `__consumer_offsets`) only for its epoch.
        """
        header = read_header(data)
        if header.size != len(data):
            raise KafkaError(
                ErrorCode.CORRUPT_MESSAGE,
                f"produce request holds {len(data)} bytes but its batch says {header.size}",
            )
        verify_crc(data, header)
        if header.records_count <= 0 or header.last_offset_delta != header.records_count - 1:
            raise KafkaError(
                ErrorCode.INVALID_RECORD,
                "a producer batch must hold records with offset deltas 0..count-1",
            )
        if header.producer_id >= 0 and header.base_sequence < 0 and not header.is_control:
            raise KafkaError(
                ErrorCode.INVALID_RECORD,
                f"Invalid sequence number {header.base_sequence} in record batch with producerId "
                f"{header.producer_id}",
            )
        async with self._append_lock:
            if leader_epoch != self.leader_epoch or self.closed:
                raise KafkaError(
                    ErrorCode.NOT_LEADER_OR_FOLLOWER,
                    f"{self.topic}-{self.partition}: leadership changed (epoch {leader_epoch} is over)",
                )
            producer_id = header.producer_id
            if producer_id >= 0 and not header.is_control and from_coordinator:
                self.producer_state.check_epoch(
                    f"{self.topic}-{self.partition}", producer_id, header.producer_epoch
                )
            elif producer_id >= 0 and not header.is_control:
                first_seq = header.base_sequence
                duplicate = self.producer_state.check(
                    f"{self.topic}-{self.partition}",
                    producer_id,
                    header.producer_epoch,
                    first_seq,
                    last_sequence(first_seq, header.last_offset_delta),
                )
                if duplicate is not None:
                    return LogAppendInfo(
                        duplicate.first_offset,
                        duplicate.last_offset,
                        header.records_count,
                        header.size,
                        producer_id,
                        duplicate=True,
                    )
            base_offset = self.log_end_offset
            stored = with_base_offset(data, base_offset)
            if timestamp_type is TimestampType.LOG_APPEND_TIME:
                stored = with_log_append_time(stored, now_ms)
            stored = with_partition_leader_epoch(stored, leader_epoch)
            stored_header = read_header(stored)
            await _to_completion(self._storage.append(self.log_id, [(stored_header, stored)]))
            self._extend(stored_header.last_offset + 1, stored_header.size)
            if producer_id >= 0 and not header.is_control:
                self.producer_state.update(
                    producer_id,
                    header.producer_epoch,
                    header.base_sequence,
                    base_offset,
                    stored_header.last_offset,
                    stored_header.max_timestamp,
                )
            if header.is_transactional and producer_id >= 0:
                self._track(
                    producer_id,
                    header.producer_epoch,
                    base_offset,
                    stored_header.last_offset,
                    stored if header.is_control else None,
                )
        return LogAppendInfo(
            base_offset, stored_header.last_offset, header.records_count, stored_header.size, producer_id
        )

    async def append_as_follower(self, batches: list[bytes]) -> int:
        """Append batches fetched from the leader, keeping their offsets; returns the new LEO.

        A follower's log is a copy of the leader's, so each batch must start exactly at
        this log's end (Kafka's follower append checks the same).
        """
        if not batches:
            return self.log_end_offset
        async with self._append_lock:
            if self.closed:
                raise KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, f"{self.topic}-{self.partition} is closed")
            rows = []
            expected = self.log_end_offset
            for data in batches:
                header = read_header(data)
                verify_crc(data, header)
                if header.base_offset != expected:
                    raise KafkaError(
                        ErrorCode.OFFSET_OUT_OF_RANGE,
                        f"{self.topic}-{self.partition}: leader sent offset {header.base_offset}, "
                        f"this replica ends at {expected}",
                    )
                rows.append((header, data))
                expected = header.last_offset + 1
            await _to_completion(self._storage.append(self.log_id, rows))
            self._extend(expected, sum(h.size for h, _ in rows))
            for h, data in rows:  # ProducerAppendInfo with origin REPLICATION: no checks
                if h.producer_id >= 0 and not h.is_control:
                    self.producer_state.update(
                        h.producer_id, h.producer_epoch, h.base_sequence, h.base_offset, h.last_offset,
                        h.max_timestamp,
                    )  # fmt: skip
                if h.is_transactional and h.producer_id >= 0:
                    self._track(
                        h.producer_id, h.producer_epoch, h.base_offset, h.last_offset,
                        data if h.is_control else None,
                    )  # fmt: skip
        return self.log_end_offset

    async def truncate_to(self, offset: int) -> None:
        """Drop everything from `offset` on: a returning replica discarding what its new
        leader never had (KIP-101). The high watermark never stays above the log end."""
        async with self._append_lock:
            if offset >= self.log_end_offset:
                return
            self.size_bytes -= await _to_completion(self._storage.truncate(self.log_id, offset))
            self.log_end_offset = offset
            self.high_watermark = min(self.high_watermark, offset)
            # Batches cut away must not count as duplicates (Kafka truncates its
            # producer state with the log and reloads it).
            self.producer_state.load(await _to_completion(self._storage.producer_batches(self.log_id)))
            await _to_completion(self._load_transactions())

    def close(self) -> None:
        """Its broker stopped or crashed: requests still holding this object (a produce
        suspended mid-way) must not write behind the back of the log that replaces it."""
        self.closed = True
        self.leader_epoch = -1
        self.wake_waiters()

    async def quiesce(self) -> None:
        """Wait for appends in progress to finish (a new follower does, before it
        compares its log with its leader's)."""
        async with self._append_lock:
            pass

    async def last_epoch(self) -> int:
        return await self._storage.last_epoch(self.log_id)

    async def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """OffsetForLeaderEpoch (KIP-279): the largest epoch in this log not above `epoch`,
        and where it ends (the first offset of a later epoch, or the LEO). (-1, log start
        offset) if the log holds no such epoch."""
        async with self._append_lock:  # one view of the log: not mid-append
            found = await self._storage.largest_epoch_at_most(self.log_id, epoch)
            if found is None:
                return -1, self.log_start_offset
            later = await self._storage.first_offset_after_epoch(self.log_id, found)
            return found, self.log_end_offset if later is None else later

    def _extend(self, log_end_offset: int, size: int) -> None:
        self.log_end_offset = log_end_offset
        self.size_bytes += size
        for waiter in self._leo_waiters:
            waiter.set()

    async def read(self, offset: int, max_bytes: int, upper_offset: int) -> list[StoredBatch]:
        """Whole batches from `offset` up to (not including) `upper_offset`.

        Raises OFFSET_OUT_OF_RANGE if `offset` is before the log start or past the end.
        """
        if offset < self.log_start_offset or offset > self.log_end_offset:
            raise KafkaError(
                ErrorCode.OFFSET_OUT_OF_RANGE,
                f"offset {offset} is outside {self.topic}-{self.partition}'s log "
                f"[{self.log_start_offset}, {self.log_end_offset}]",
            )
        if offset >= upper_offset:
            return []
        return await self._storage.read(self.log_id, offset, upper_offset, max_bytes)

    def advance_high_watermark(self, high_watermark: int) -> bool:
        """Move the HW forward (never back, never past the LEO); True if it moved."""
        high_watermark = min(high_watermark, self.log_end_offset)
        if high_watermark <= self.high_watermark:
            return False
        self.high_watermark = high_watermark
        for waiter in self._hw_waiters:
            waiter.set()
        if self.on_high_watermark is not None:
            self.on_high_watermark(high_watermark)
        return True

    def add_waiter(self, event: asyncio.Event) -> None:
        """Set `event` whenever the high watermark advances (until `remove_waiter`)."""
        self._hw_waiters.append(event)

    def remove_waiter(self, event: asyncio.Event) -> None:
        self._hw_waiters.remove(event)

    def wake_waiters(self) -> None:
        """Wake everyone waiting on this log (its broker is going away)."""
        for waiter in (*self._hw_waiters, *self._leo_waiters):
            waiter.set()

    def add_end_waiter(self, event: asyncio.Event) -> None:
        """Set `event` whenever the log end offset advances (until `remove_end_waiter`)."""
        self._leo_waiters.append(event)

    def remove_end_waiter(self, event: asyncio.Event) -> None:
        self._leo_waiters.remove(event)

    async def checkpoint(self) -> None:
        """Persist the high watermark (Kafka's replication-offset-checkpoint file)."""
        await self._storage.checkpoint_high_watermark(self.log_id, self.high_watermark)

    # --- for segments, retention and the log cleaner (`cleaner.py`) -------------------

    @property
    def storage(self) -> BrokerStorage:
        return self._storage

    def exclusive(self) -> asyncio.Lock:
        """Hold it (`async with`) to change the log's old batches: no append or
        truncation runs meanwhile."""
        return self._append_lock
