"""Segments, retention and the log cleaner: how a log forgets.

Kafka splits each partition replica's log into segments. The last one is the *active*
segment, where appends go; it rolls (a new one starts) when the next batch would make
it bigger than `segment.bytes`, or when that batch is more than `segment.ms` newer than
the segment's first one (`LogSegment.shouldRoll`). Closed segments are what the two
cleanup policies work on, each replica on its own:

- `delete` (`UnifiedLog.deleteOldSegments`): closed segments, oldest first, while the
  segment is older than `retention.ms` (its newest timestamp) or the log without it is
  still at least `retention.bytes`; the log start offset moves to the next segment.
- `compact` (`LogCleaner`): of each key, only the record with the latest offset stays;
  offsets are kept, so the log has gaps. A tombstone (null value) stays for
  `delete.retention.ms` after the cleaner first sees it (KIP-534 keeps that deadline
  in the batch), so consumers catching up still see the delete. Cleaning starts when
  the dirty part (written since the last cleaning) is at least `min.cleanable.dirty.
  ratio` of the closed log, and skips records newer than `min.compaction.lag.ms`.
  Transactions (`CleanedTransactionMetadata`): the cleaner stops at the last stable
  offset, drops the records of aborted transactions (they never enter the offset map
  either), and removes a COMMIT/ABORT marker once no batch of its transaction is left
  and its own delete horizon (`delete.retention.ms`, set the first time it could go)
  has passed; a producer's last data batch and a marker that is its last batch stay,
  for the producer state (epoch, sequences) a rebuilt replica needs.

Here the batches of all segments are rows of the broker's `batches` table; a segment
is the run of batches from one recorded boundary to the next (`segments` table).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from kafkatui.common.clock import Clock
from kafkatui.common.errors import KafkaError
from kafkatui.common.events import EventBus, LogCleaned, LogStartOffsetAdvanced
from kafkatui.engine.log.configs import TopicConfig
from kafkatui.engine.log.partition_log import PartitionLog
from kafkatui.engine.log.producer_state import AbortedTxn
from kafkatui.engine.log.records import (
    ATTR_DELETE_HORIZON,
    BatchHeader,
    Record,
    decode_batch,
    encode_batch,
    read_header,
)


class LogOwner(Protocol):
    """A broker as the cleaner sees it (Kafka's `LogManager`): its id, whether it runs,
    and its replicas' logs by (topic id, partition). `Broker` is one."""

    broker_id: int
    running: bool
    logs: Mapping[tuple[str, int], PartitionLog]


# The log cleaner reads at most this much per storage read.
_READ_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of batches: [base_offset, next segment's base)."""

    base_offset: int
    last_offset: int  # of its last batch (base_offset - 1 while empty)
    size: int
    batches: int
    first_timestamp: int  # max timestamp of its first batch (Kafka's rolling-based timestamp)
    max_timestamp: int


@dataclass(frozen=True, slots=True)
class CleanResult:
    """What one pass of the cleaner did to a log."""

    first_offset: int  # the cleaned range, [first_offset, end_offset)
    end_offset: int
    records_before: int
    records_after: int
    tombstones_removed: int
    bytes_freed: int
    dirty_ratio: float
    next_horizon: int | None  # the earliest delete horizon of a tombstone kept, if any
    removed: tuple[int, ...] = ()  # the offsets it removed
    aborted_removed: int = 0  # records of aborted transactions
    markers_removed: int = 0  # transaction markers past their delete horizon


async def segments(log: PartitionLog, config: TopicConfig) -> list[Segment]:
    """The log's segments, oldest first; the last is the active one (it may be empty).

    Boundaries already recorded stay where they are (cleaning shrinks batches, which
    must not move them); after the last recorded one, the roll rule decides, and the
    boundaries it finds are recorded."""
    storage = log.storage
    recorded = [
        b for b in await storage.segment_bases(log.log_id) if log.log_start_offset < b < log.log_end_offset
    ]
    replay_from = recorded[-1] if recorded else log.log_start_offset
    bases = [log.log_start_offset, *recorded]
    entries = await storage.batch_index(log.log_id, log.log_start_offset)
    built: list[list[int]] = []  # base, last, size, batches, first ts, max ts
    for e in entries:
        if e.base_offset < replay_from:
            at = bisect.bisect_right(bases, e.base_offset) - 1
            base = bases[max(at, 0)]
            if not built or built[-1][0] != base:
                built.append([base, e.last_offset, 0, 0, e.max_timestamp, e.max_timestamp])
        else:
            current = built[-1] if built and built[-1][0] >= replay_from else None
            if current is None:
                built.append([replay_from, e.last_offset, 0, 0, e.max_timestamp, e.max_timestamp])
            elif (
                current[2] + e.size > config.segment_bytes or e.max_timestamp - current[4] > config.segment_ms
            ):
                built.append([e.base_offset, e.last_offset, 0, 0, e.max_timestamp, e.max_timestamp])
        segment = built[-1]
        segment[1] = e.last_offset
        segment[2] += e.size
        segment[3] += 1
        segment[5] = max(segment[5], e.max_timestamp)
    if not built:
        return [Segment(log.log_end_offset, log.log_end_offset - 1, 0, 0, -1, -1)]
    found = [Segment(*s) for s in built]
    new = [
        s.base_offset for s in found if s.base_offset >= replay_from and s.base_offset > log.log_start_offset
    ]
    if new and new != recorded[-len(new) :]:
        await storage.save_segment_bases(log.log_id, new)
    return found


async def delete_old_segments(log: PartitionLog, config: TopicConfig, now_ms: int) -> int:
    """Retention (`cleanup.policy` with `delete`): drop closed segments past
    `retention.ms` or beyond `retention.bytes`, only below the high watermark; returns
    the new log start offset (unchanged if nothing went)."""
    if "delete" not in config.cleanup_policy:
        return log.log_start_offset
    async with log.exclusive():
        found = await segments(log, config)
        closed = [s for s in found[:-1] if s.last_offset < log.high_watermark]
        over = sum(s.size for s in found) - config.retention_bytes
        doomed = 0
        for segment in closed:
            too_old = config.retention_ms >= 0 and now_ms - segment.max_timestamp > config.retention_ms
            too_big = config.retention_bytes >= 0 and over - segment.size >= 0
            if not (too_old or too_big):
                break  # oldest first: retention stops at the first segment it keeps
            over -= segment.size
            doomed += 1
        if doomed == 0:
            return log.log_start_offset
        start = found[doomed].base_offset
        log.size_bytes -= await log.storage.delete_before(log.log_id, start)
        log.log_start_offset = start
        log.producer_state.truncate_head(start)
    return start


async def dirty_ratio(
    log: PartitionLog, config: TopicConfig, now_ms: int, found: list[Segment] | None = None
) -> tuple[float, int, int]:
    """(dirty bytes / cleanable bytes, first dirty offset, first uncleanable offset);
    `found` is the log's `segments` if the caller has them already."""
    if found is None:
        found = await segments(log, config)
    first_dirty = max(await log.storage.cleaner_checkpoint(log.log_id), log.log_start_offset)
    # Never past the last stable offset: an open transaction's outcome is not known yet
    # (Kafka's `LogCleanerManager.cleanableOffsets`).
    uncleanable = min(found[-1].base_offset, log.last_stable_offset)
    for segment in found[:-1]:  # min.compaction.lag.ms: too recent to clean yet
        if now_ms - segment.max_timestamp < config.min_compaction_lag_ms:
            uncleanable = min(uncleanable, segment.base_offset)
            break
    closed = [s for s in found if s.last_offset < uncleanable and s.batches]
    total = sum(s.size for s in closed)
    dirty = sum(s.size for s in closed if s.base_offset >= first_dirty)
    if first_dirty >= uncleanable or total == 0:
        return 0.0, first_dirty, uncleanable
    return dirty / total, first_dirty, uncleanable


async def clean(
    log: PartitionLog, config: TopicConfig, now_ms: int, *, force: bool = False
) -> CleanResult | None:
    """One pass of the log cleaner over a compacted log; None if there was nothing to do
    (no closed dirty segment, or less dirty than min.cleanable.dirty.ratio unless `force`)."""
    if "compact" not in config.cleanup_policy:
        return None
    async with log.exclusive():
        ratio, first_dirty, end = await dirty_ratio(log, config, now_ms)
        start = log.log_start_offset
        if start >= end or (not force and (first_dirty >= end or ratio < config.min_cleanable_dirty_ratio)):
            return None
        latest: dict[bytes, int] = {}  # Kafka's OffsetMap, over the dirty part
        txns = CleanedTransactionMetadata(log.producer_state.aborted_between(first_dirty, end))
        for header, records, _ in await _batches(log, first_dirty, end):
            if header.is_control:
                txns.on_control_batch_read(header, records)
            elif not txns.on_batch_read(header):  # an aborted batch's keys do not count
                for record in records:
                    if record.key is not None:
                        latest[record.key] = record.offset
        # The producer state a rebuilt replica needs (Kafka's `lastRecordsOfActiveProducers`).
        last_of = await log.storage.last_offsets_of_producers(log.log_id)
        txns = CleanedTransactionMetadata(log.producer_state.aborted_between(start, end))
        kept: list[tuple[BatchHeader, bytes]] = []
        before = after = tombstones = aborted = markers = 0
        horizons: list[int] = []
        removed: list[int] = []
        for header, records, original in await _batches(log, start, end):
            last_data, last_any = last_of.get(header.producer_id, (-1, -1))
            if header.is_control:
                horizon = header.base_timestamp if header.attributes & ATTR_DELETE_HORIZON else None
                empty = txns.on_control_batch_read(header, records)
                if not empty or header.last_offset == last_any:
                    kept.append((header, original))  # needed: its transaction's data, or the epoch
                    continue
                if horizon is not None and now_ms >= horizon:
                    markers += 1
                    removed.append(header.base_offset)
                    continue  # past delete.retention.ms with nothing left of its transaction
                if horizon is None:
                    horizon = now_ms + config.delete_retention_ms  # first seen empty: the clock starts
                    data = _reencode(header, records, horizon)
                    kept.append((read_header(data), data))
                else:
                    kept.append((header, original))
                horizons.append(horizon)
                continue
            if txns.on_batch_read(header) and header.last_offset != last_data:
                aborted += len(records)
                before += len(records)
                removed.extend(r.offset for r in records)
                continue  # an aborted transaction's records (Kafka's `shouldDiscardBatch`)
            horizon = header.base_timestamp if header.attributes & ATTR_DELETE_HORIZON else None
            survivors = []
            for record in records:
                if record.key is not None and latest.get(record.key, record.offset) > record.offset:
                    removed.append(record.offset)
                    continue  # a later record of this key exists
                if record.value is None and horizon is not None and now_ms >= horizon:
                    tombstones += 1
                    removed.append(record.offset)
                    continue  # the delete has been visible for delete.retention.ms
                survivors.append(record)
            before += len(records)
            after += len(survivors)
            if not survivors:
                continue  # Kafka keeps an empty batch only for a producer's state
            if header.is_transactional:
                txns.kept(header.producer_id)
            if any(r.value is None for r in survivors):
                if horizon is None:
                    horizon = now_ms + config.delete_retention_ms  # first seen: the clock starts
                horizons.append(horizon)
            if len(survivors) == len(records) and header.attributes & ATTR_DELETE_HORIZON == (
                0 if horizon is None else ATTR_DELETE_HORIZON
            ):
                kept.append((header, original))  # untouched: the very same bytes
                continue
            data = encode_batch(
                survivors, base_offset=header.base_offset, last_offset_delta=header.last_offset_delta,
                timestamp_type=header.timestamp_type, producer_id=header.producer_id,
                producer_epoch=header.producer_epoch, base_sequence=header.base_sequence,
                is_transactional=header.is_transactional,
                partition_leader_epoch=header.partition_leader_epoch, delete_horizon_ms=horizon,
                compression=header.compression,  # kept, as Kafka's MemoryRecords.filterTo does
            )  # fmt: skip
            kept.append((read_header(data), data))
        freed = await log.storage.replace_batches(log.log_id, start, end, kept, end)
        log.size_bytes -= freed
        if aborted or markers:
            await log.reload_transactions()  # the aborted index follows what is left
    return CleanResult(
        start, end, before, after, tombstones, freed, ratio, min(horizons, default=None), tuple(removed),
        aborted, markers,
    )  # fmt: skip


def _reencode(header: BatchHeader, records: list[Record], delete_horizon_ms: int) -> bytes:
    """A marker batch again, with its delete horizon set (KIP-534)."""
    return encode_batch(
        records, base_offset=header.base_offset, last_offset_delta=header.last_offset_delta,
        timestamp_type=header.timestamp_type, producer_id=header.producer_id,
        producer_epoch=header.producer_epoch, base_sequence=header.base_sequence,
        is_transactional=header.is_transactional, is_control=header.is_control,
        partition_leader_epoch=header.partition_leader_epoch, delete_horizon_ms=delete_horizon_ms,
    )  # fmt: skip


class CleanedTransactionMetadata:
    """Kafka's `CleanedTransactionMetadata`: follows transactions through one pass of
    the cleaner, in offset order, knowing the aborted ones in range (the aborted
    transaction index). A data batch of an aborted transaction may go; a marker may go
    (after its delete horizon) once no batch of its transaction stays in the log.
    *Differs from Kafka:* a marker counts as empty in the pass that removes its
    transaction's last batch (Kafka waits for the next pass to see none), so its delete
    horizon starts when its data goes."""

    def __init__(self, aborted: list[AbortedTxn]) -> None:
        self._aborted = sorted(aborted, key=lambda a: a.first_offset)
        self._next = 0
        self._ongoing_aborted: set[int] = set()  # producer ids
        self._kept: set[int] = set()  # producer ids whose open transaction keeps a batch

    def _consume_aborted_up_to(self, offset: int) -> None:
        while self._next < len(self._aborted) and self._aborted[self._next].first_offset <= offset:
            self._ongoing_aborted.add(self._aborted[self._next].producer_id)
            self._next += 1

    def on_batch_read(self, header: BatchHeader) -> bool:
        """A data batch: True if it belongs to an aborted transaction."""
        self._consume_aborted_up_to(header.last_offset)
        return header.is_transactional and header.producer_id in self._ongoing_aborted

    def kept(self, producer_id: int) -> None:
        """A batch of the producer's transaction stays in the log."""
        self._kept.add(producer_id)

    def on_control_batch_read(self, header: BatchHeader, records: list[Record]) -> bool:
        """A marker ends its producer's transaction: True if nothing of it is left."""
        self._consume_aborted_up_to(header.last_offset)
        self._ongoing_aborted.discard(header.producer_id)
        if header.producer_id in self._kept:
            self._kept.discard(header.producer_id)
            return False
        return True


async def _batches(log: PartitionLog, first: int, end: int) -> list[tuple[BatchHeader, list[Record], bytes]]:
    """The batches wholly inside [first, end), decoded, with their bytes."""
    out: list[tuple[BatchHeader, list[Record], bytes]] = []
    offset = first
    while offset < end:
        stored = await log.storage.read(log.log_id, offset, end, _READ_BYTES)
        if not stored:
            break
        for batch in stored:
            if batch.last_offset >= end:  # a batch spanning the end is not cleanable
                return out
            decoded = decode_batch(batch.data)
            out.append((decoded.header, decoded.records, batch.data))
        offset = stored[-1].last_offset + 1
    return out


class LogHousekeeping:
    """Every broker's log cleaner (`log.cleaner.backoff.ms` between checks) and
    retention check (`log.retention.check.interval.ms`), on the cluster's clock. Each
    replica is cleaned on its own, as in Kafka."""

    def __init__(
        self,
        brokers: Mapping[int, LogOwner],
        config_of: Callable[[str], TopicConfig | None],
        clock: Clock,
        bus: EventBus,
        *,
        cleaner_backoff_ms: int,
        retention_check_interval_ms: int,
    ) -> None:
        self._brokers = brokers
        self._config_of = config_of
        self._clock = clock
        self._bus = bus
        self._cleaner_backoff_ms = cleaner_backoff_ms
        self._retention_check_interval_ms = retention_check_interval_ms
        self._tasks: list[asyncio.Task[None]] = []
        # (broker, log id) -> when its earliest kept tombstone may go (KIP-534): the
        # cleaner comes back for it even if the log is not dirty.
        self._horizons: dict[tuple[int, int], int] = {}

    def start(self) -> None:
        self._tasks = [
            asyncio.ensure_future(self._every(self._cleaner_backoff_ms, self.clean_all)),
            asyncio.ensure_future(self._every(self._retention_check_interval_ms, self.retain_all)),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _every(self, interval_ms: int, work: Callable[[], Awaitable[object]]) -> None:
        while True:
            await self._clock.sleep(interval_ms / 1000)
            with contextlib.suppress(KafkaError):  # a log closing under us: next round
                await work()

    def _logs(self, topic: str | None = None) -> list[tuple[LogOwner, PartitionLog, TopicConfig]]:
        found = []
        for broker in self._brokers.values():
            if not broker.running:
                continue
            for log in list(broker.logs.values()):
                config = self._config_of(log.topic)
                if config is not None and not log.closed and topic in (None, log.topic):
                    found.append((broker, log, config))
        return found

    async def clean_all(
        self, topic: str | None = None, *, force: bool = False
    ) -> list[tuple[int, int, CleanResult]]:
        """One cleaner pass over every compacted replica (of `topic`); `force` ignores
        min.cleanable.dirty.ratio (the `topic compact` command)."""
        done = []
        now = self._clock.now_ms()
        for broker, log, config in self._logs(topic):
            due = self._horizons.get((broker.broker_id, log.log_id), now + 1) <= now
            result = await clean(log, config, now, force=force or due)
            if result is not None:
                key = (broker.broker_id, log.log_id)
                if result.next_horizon is None:
                    self._horizons.pop(key, None)
                else:
                    self._horizons[key] = result.next_horizon
                done.append((broker.broker_id, log.partition, result))
                self._bus.publish(
                    LogCleaned(
                        timestamp_ms=self._clock.now_ms(), broker_id=broker.broker_id, topic=log.topic,
                        partition=log.partition, first_offset=result.first_offset,
                        end_offset=result.end_offset, records_before=result.records_before,
                        records_after=result.records_after,
                        bytes_freed=result.bytes_freed,
                    )
                )  # fmt: skip
        return done

    async def delete_before(self, topic: str, partition: int, offset: int) -> list[int]:
        """DeleteRecords on every running replica of one partition: the log start offset
        moves to `offset` (never back) and batches wholly below it go."""
        starts = []
        for broker, log, _ in self._logs(topic):
            if log.partition != partition:
                continue
            async with log.exclusive():
                before = log.log_start_offset
                if offset <= before or offset > log.log_end_offset:
                    # Not behind, or an out-of-sync follower that has not reached it yet
                    # (in-sync replicas all have the high watermark).
                    starts.append(before)
                    continue
                log.size_bytes -= await log.storage.delete_before(log.log_id, offset)
                log.log_start_offset = offset
                log.producer_state.truncate_head(offset)
            starts.append(offset)
            self._bus.publish(
                LogStartOffsetAdvanced(
                    timestamp_ms=self._clock.now_ms(), broker_id=broker.broker_id, topic=topic,
                    partition=partition, log_start_offset=offset, previous=before,
                )
            )  # fmt: skip
        return starts

    async def retain_all(self, topic: str | None = None) -> list[tuple[int, int, int]]:
        """Retention over every replica (of `topic`): (broker, partition, new log start)."""
        moved = []
        for broker, log, config in self._logs(topic):
            before = log.log_start_offset
            start = await delete_old_segments(log, config, self._clock.now_ms())
            if start != before:
                moved.append((broker.broker_id, log.partition, start))
                self._bus.publish(
                    LogStartOffsetAdvanced(
                        timestamp_ms=self._clock.now_ms(), broker_id=broker.broker_id, topic=log.topic,
                        partition=log.partition, log_start_offset=start, previous=before,
                    )
                )  # fmt: skip
        return moved
