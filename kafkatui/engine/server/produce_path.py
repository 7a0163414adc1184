"""The produce path into the partitions a broker leads: Kafka's
`ReplicaManager.appendRecords` with the leader's checks before it (`acks`,
`max.message.bytes`, `min.insync.replicas`, the `LogValidator`'s) and, for acks=all, the
wait for the high watermark as a `DelayedProduce` (`purgatory.py`).
"""

from __future__ import annotations

from kafkatui.common.clients import TimestampType
from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import (
    AckLost,
    DuplicateBatchDropped,
    EventBus,
    ProduceRejected,
    RecordAppended,
)
from kafkatui.engine.log.partition_log import LogAppendInfo
from kafkatui.engine.log.producer_state import last_sequence
from kafkatui.engine.log.records import read_header
from kafkatui.engine.log.validator import validate_compression, validate_keys, validate_timestamps
from kafkatui.engine.server.network import Network
from kafkatui.engine.server.purgatory import DelayedProduce
from kafkatui.engine.server.requests import (
    REQUEST_TIMEOUT_MS,
    VALID_ACKS,
    ProduceResult,
)


class ProducePath:
    """`ReplicaManager`'s produce part. The replica manager sets these attributes and
    provides `_leader_log` and `_maybe_advance_high_watermark`; it is also the
    `LeaderHost` a `DelayedProduce` waits on."""

    broker_id: int
    running: bool
    network: Network
    duplicates_dropped: int
    _clock: Clock
    _bus: EventBus

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
            validate_timestamps(data, config, now)
            if "compact" in config.cleanup_policy:
                validate_keys(data, topic, partition, records)
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
            await DelayedProduce(
                self, self._clock, topic, partition, log, appended.last_offset + 1, part.leader_epoch,
                config.min_insync_replicas, timeout_ms,
            ).wait()  # fmt: skip
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
