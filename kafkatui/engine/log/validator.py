"""What a leader checks and does to a producer batch before appending it: Kafka's
`LogValidator`, the compression half (`validateMessagesAndAssignOffsetsCompressed`) and the
checks on timestamps (`validateTimestamp`) and, for a compacted topic, keys (`validateKey`).

An uncompressed batch bound for an uncompressed topic is not touched here (the hot
path: the log checks its header and CRC and stores the bytes). Otherwise:

- the records are decompressed and parsed, so a batch that cannot be read is refused
  (CORRUPT_MESSAGE) before anything is appended, and their offset deltas must run
  0..n-1 (Kafka: "Inner record offsets must be sequential", INVALID_RECORD);
- the topic's `compression.type` picks the stored codec
  (`BrokerCompressionType.targetCompression`): `producer` keeps the producer's bytes as
  they are, `uncompressed`/`gzip`/`snappy`/`lz4`/`zstd` rebuild the batch in that codec
  at the topic's `compression.<codec>.level` (KIP-390), keeping the producer id, epoch,
  sequence and transactional flag; a rebuilt batch must still fit `max.message.bytes`.

Control batches (transaction markers) are never recompressed, as in Kafka.

Timestamps must lie within `message.timestamp.before.max.ms` / `after.max.ms` of the
broker's clock (KIP-937); a compacted topic refuses a record without a key (INVALID_RECORD).
"""

from __future__ import annotations

from kafkatui.common.clients import Compression
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.compression import decompressed_limit, target_compression
from kafkatui.engine.log.configs import TopicConfig
from kafkatui.engine.log.records import (
    ATTR_COMPRESSION_MASK,
    Record,
    RecordTuple,
    decode_record_tuples,
    encode_batch,
    read_header,
    verify_crc,
)

_LEVEL_CONFIGS = {
    Compression.GZIP: "compression.gzip.level",
    Compression.LZ4: "compression.lz4.level",
    Compression.ZSTD: "compression.zstd.level",
}


def validate_compression(data: bytes, config: TopicConfig) -> tuple[bytes, list[RecordTuple] | None]:
    """The batch to append (the same bytes, or rebuilt in the topic's codec) and its
    records when they had to be read (None for the untouched uncompressed path)."""
    header = read_header(data)
    codec = header.attributes & ATTR_COMPRESSION_MASK
    compression_type = config.get("compression.type")
    if not codec and compression_type in ("producer", "uncompressed"):
        return data, None
    if header.size != len(data):
        raise KafkaError(
            ErrorCode.CORRUPT_MESSAGE,
            f"produce request holds {len(data)} bytes but its batch says {header.size}",
        )
    verify_crc(data, header)  # before inflating: garbage must not reach a codec
    limit = decompressed_limit(config.max_message_bytes)
    records = decode_record_tuples(data, header, max_decompressed=limit)
    if not records:
        raise KafkaError(ErrorCode.INVALID_RECORD, "a producer batch must hold at least one record")
    base = header.base_offset
    for i, (offset, *_) in enumerate(records):
        if offset != base + i:
            raise KafkaError(
                ErrorCode.INVALID_RECORD,
                f"Inner record offsets must be sequential: offset delta {offset - base} at record {i}",
            )
    source = Compression(codec)
    target = target_compression(str(compression_type), source)
    if target is source or header.is_control:
        return data, records
    level_config = _LEVEL_CONFIGS.get(target)
    level = int(config.get(level_config)) if level_config else None  # type: ignore[call-overload]
    rebuilt = encode_batch(
        [Record._make(r) for r in records],
        base_offset=base,
        timestamp_type=header.timestamp_type,
        producer_id=header.producer_id,
        producer_epoch=header.producer_epoch,
        base_sequence=header.base_sequence,
        is_transactional=header.is_transactional,
        partition_leader_epoch=header.partition_leader_epoch,
        compression=target,
        compression_level=level,
    )
    if len(rebuilt) > config.max_message_bytes:
        raise KafkaError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"record batch of {len(rebuilt)} bytes after {target.name.lower()} recompression exceeds "
            f"max.message.bytes={config.max_message_bytes}",
        )
    return rebuilt, records


def validate_timestamps(data: bytes, config: TopicConfig, now: int) -> None:
    """message.timestamp.before.max.ms / after.max.ms (KIP-937), on the batch's bounds."""
    if config.message_timestamp_type != "CreateTime":
        return
    header = read_header(data)
    before = config.message_timestamp_before_max_ms
    after = config.message_timestamp_after_max_ms
    if now - header.base_timestamp > before or header.max_timestamp - now > after:
        raise KafkaError(
            ErrorCode.INVALID_TIMESTAMP,
            f"timestamp {header.base_timestamp}..{header.max_timestamp} is outside the "
            f"range allowed by message.timestamp.before.max.ms={before} and "
            f"message.timestamp.after.max.ms={after} (now {now})",
        )


def validate_keys(data: bytes, topic: str, partition: int, records: list[RecordTuple] | None) -> None:
    """A compacted topic keeps the latest record per key, so a record must have one
    (Kafka's LogValidator: INVALID_RECORD)."""
    header = read_header(data)
    if header.is_control:
        return
    if records is None:
        records = decode_record_tuples(data, header)
    if any(key is None for _, _, key, _, _ in records):
        raise KafkaError(
            ErrorCode.INVALID_RECORD,
            f"Compacted topic cannot accept message without key in topic partition {topic}-{partition}.",
        )
