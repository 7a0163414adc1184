"""The read paths out of a broker's replicas: a consumer's fetch up to the high
watermark (or the last stable offset, KIP-98), long-polling as a `DelayedFetch`; a
follower's fetch up to the log end, which moves the high watermark and the ISR; the
log view's read of a replica; ListOffsets and OffsetForLeaderEpoch (KIP-101/279).
Kafka's `ReplicaManager.fetchMessages` and the offset lookups beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial

from kafkatui.common.clock import Clock, wait_event
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.partition_log import PartitionLog
from kafkatui.engine.log.records import decode_batch
from kafkatui.engine.log.storage import BrokerStorage
from kafkatui.engine.metadata.image import PartitionInfo
from kafkatui.engine.server.partition import Partition
from kafkatui.engine.server.purgatory import DelayedFetch
from kafkatui.engine.server.replication import (
    REPLICA_FETCH_MAX_BYTES,
    ReplicaFetchResult,
)
from kafkatui.engine.server.requests import (
    EARLIEST,
    LATEST,
    READ_COMMITTED,
    READ_UNCOMMITTED,
    AlterPartition,
    FetchedPartition,
    FetchPartition,
)


class FetchPath:
    """`ReplicaManager`'s fetch part. The replica manager sets these attributes and
    provides `_leader_log`, `_log`, `_maybe_advance_high_watermark` and `_request`."""

    broker_id: int
    storage: BrokerStorage
    _clock: Clock
    _leading: dict[tuple[str, int], Partition]
    _expand_isr: AlterPartition | None

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
