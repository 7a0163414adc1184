"""Records and record batches, stored in Kafka's own RecordBatch v2 format (magic 2).

A partition's log is a sequence of batches. The engine keeps each batch as the exact
bytes Kafka would write to a segment file and send in a Fetch response, so what the
wire-protocol server later hands to real clients is the stored blob itself.

Layout (KIP-98), all big-endian; the CRC is CRC-32C over everything from `attributes`
to the end, so rewriting `base_offset` or `partition_leader_epoch` keeps it valid:

    base_offset int64 | batch_length int32 | partition_leader_epoch int32 | magic int8
    crc uint32 | attributes int16 | last_offset_delta int32 | base_timestamp int64
    max_timestamp int64 | producer_id int64 | producer_epoch int16 | base_sequence int32
    records_count int32 | records...

Each record: length varint | attributes int8 | timestamp_delta varlong |
offset_delta varint | key | value | headers, with lengths as zig-zag varints (-1 = null).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from crc32c import crc32c

from kafkatui.common.clients import Compression, Headers, TimestampType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.compression import compress, decompress

try:  # the optional C decoder (setup.py); KAFKATUI_PURE_PYTHON=1 turns it off
    if os.environ.get("KAFKATUI_PURE_PYTHON"):
        raise ImportError
    from kafkatui.engine.log import _recordsc
except ImportError:
    _recordsc = None

MAGIC = 2
HEADER_SIZE = 61
# Bytes counted by batch_length start after base_offset and batch_length themselves.
LOG_OVERHEAD = 12
_CRC_START = 21  # attributes begin here
_HEADER = struct.Struct(">qiibIhiqqqhii")

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1
NO_PARTITION_LEADER_EPOCH = -1
NO_TIMESTAMP = -1


# Attribute bits of a v2 batch.
ATTR_COMPRESSION_MASK = 0x07
ATTR_TIMESTAMP_TYPE = 0x08
ATTR_TRANSACTIONAL = 0x10
ATTR_CONTROL = 0x20
ATTR_DELETE_HORIZON = 0x40


class Record(NamedTuple):
    """One record as a consumer sees it: offset, timestamp, key, value and headers.

    A NamedTuple rather than a dataclass: batches create them by the thousand and a
    tuple is several times cheaper to build.
    """

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class BatchHeader:
    """The 61-byte header of a RecordBatch: the fields Kafka indexes a log by."""

    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def size(self) -> int:
        """Bytes the whole batch occupies."""
        return self.batch_length + LOG_OVERHEAD

    @property
    def compression(self) -> Compression:
        return Compression(self.attributes & ATTR_COMPRESSION_MASK)

    @property
    def timestamp_type(self) -> TimestampType:
        return TimestampType(1 if self.attributes & ATTR_TIMESTAMP_TYPE else 0)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & ATTR_TRANSACTIONAL)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & ATTR_CONTROL)


@dataclass(slots=True)
class RecordBatch:
    """A decoded batch: its header and its records (offsets made absolute)."""

    header: BatchHeader
    records: list[Record] = field(default_factory=list)


# --- varints ---------------------------------------------------------------------------


def _encode_varint_slow(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


# Most lengths, deltas and counts are small: look them up instead of looping.
_SMALL_MIN, _SMALL_MAX = -1, 1 << 14
_SMALL_VARINTS = [_encode_varint_slow(n) for n in range(_SMALL_MIN, _SMALL_MAX)]


def encode_varint(n: int) -> bytes:
    """Zig-zag varint/varlong as in Kafka's ByteUtils.writeVarlong."""
    if _SMALL_MIN <= n < _SMALL_MAX:
        return _SMALL_VARINTS[n - _SMALL_MIN]
    return _encode_varint_slow(n)


def decode_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Read a zig-zag varint at `pos`; returns (value, next position)."""
    try:
        b = data[pos]
    except IndexError:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record batch ends inside a varint") from None
    if b < 0x80:  # most lengths and deltas fit in one byte
        return (b >> 1) ^ -(b & 1), pos + 1
    shift = 0
    z = 0
    while True:
        try:
            b = data[pos]
        except IndexError:
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record batch ends inside a varint") from None
        pos += 1
        z |= (b & 0x7F) << shift
        if b < 0x80:
            return (z >> 1) ^ -(z & 1), pos
        shift += 7
        if shift > 63:
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "varint longer than 10 bytes")


# --- encoding --------------------------------------------------------------------------


def _encode_bytes(out: bytearray, data: bytes | None) -> None:
    if data is None:
        out += b"\x01"  # zig-zag(-1)
    else:
        out += encode_varint(len(data))
        out += data


def encode_record_body(
    timestamp_delta: int,
    offset_delta: int,
    key: bytes | None,
    value: bytes | None,
    headers: Headers,
) -> bytes:
    """One record without its length prefix."""
    body = bytearray(b"\x00")  # record attributes: unused in v2
    body += encode_varint(timestamp_delta)
    body += encode_varint(offset_delta)
    _encode_bytes(body, key)
    _encode_bytes(body, value)
    body += encode_varint(len(headers))
    for name, hvalue in headers:
        _encode_bytes(body, name.encode())
        _encode_bytes(body, hvalue)
    return bytes(body)


def encode_batch(
    records: Sequence[Record],
    *,
    base_offset: int | None = None,
    timestamp_type: TimestampType = TimestampType.CREATE_TIME,
    producer_id: int = NO_PRODUCER_ID,
    producer_epoch: int = NO_PRODUCER_EPOCH,
    base_sequence: int = NO_SEQUENCE,
    is_transactional: bool = False,
    is_control: bool = False,
    partition_leader_epoch: int = NO_PARTITION_LEADER_EPOCH,
    last_offset_delta: int | None = None,
    delete_horizon_ms: int | None = None,
    compression: Compression = Compression.NONE,
    compression_level: int | None = None,
) -> bytes:
    """Encode `records` as one RecordBatch v2, its records compressed with `compression`.

    Offset deltas are each record's offset minus `base_offset` (default: the first
    record's offset), so a compacted batch with offset gaps encodes faithfully; the
    log cleaner also keeps the original `last_offset_delta`, and may set the batch's
    delete horizon (KIP-534: the base timestamp holds it, flagged in the attributes).
    """
    if not records:
        raise ValueError("a record batch holds at least one record")
    if base_offset is None:
        base_offset = records[0].offset
    base_timestamp = records[0].timestamp if delete_horizon_ms is None else delete_horizon_ms
    if _recordsc is not None:
        body, max_timestamp = _recordsc.encode_records(records, base_offset, base_timestamp)
    else:
        body, max_timestamp = _encode_records_py(records, base_offset, base_timestamp)
    if last_offset_delta is None:
        last_offset_delta = records[-1].offset - base_offset
    return frame_batch(
        body,
        len(records),
        base_offset=base_offset,
        base_timestamp=base_timestamp,
        max_timestamp=max_timestamp,
        last_offset_delta=last_offset_delta,
        timestamp_type=timestamp_type,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        base_sequence=base_sequence,
        is_transactional=is_transactional,
        is_control=is_control,
        partition_leader_epoch=partition_leader_epoch,
        delete_horizon=delete_horizon_ms is not None,
        compression=compression,
        compression_level=compression_level,
    )


def frame_batch(
    body: bytes | bytearray,
    records_count: int,
    *,
    base_offset: int,
    base_timestamp: int,
    max_timestamp: int,
    last_offset_delta: int,
    timestamp_type: TimestampType = TimestampType.CREATE_TIME,
    producer_id: int = NO_PRODUCER_ID,
    producer_epoch: int = NO_PRODUCER_EPOCH,
    base_sequence: int = NO_SEQUENCE,
    is_transactional: bool = False,
    is_control: bool = False,
    partition_leader_epoch: int = NO_PARTITION_LEADER_EPOCH,
    delete_horizon: bool = False,
    compression: Compression = Compression.NONE,
    compression_level: int | None = None,
) -> bytes:
    """A RecordBatch v2 around already-encoded records (`body`: each with its length
    prefix, uncompressed), compressed with `compression`. The producer's accumulator
    appends records to a body as they are sent and frames it once, when it is sent."""
    attributes = int(timestamp_type) << 3 | compression
    if compression:
        body = compress(compression, bytes(body), compression_level)
    if is_transactional:
        attributes |= ATTR_TRANSACTIONAL
    if is_control:
        attributes |= ATTR_CONTROL
    if delete_horizon:
        attributes |= ATTR_DELETE_HORIZON
    tail = (
        struct.pack(
            ">hiqqqhii",
            attributes,
            last_offset_delta,
            base_timestamp,
            max_timestamp,
            producer_id,
            producer_epoch,
            base_sequence,
            records_count,
        )
        + body
    )
    head = struct.pack(
        ">qiibI",
        base_offset,
        len(tail) + 9,  # partition_leader_epoch + magic + crc + tail
        partition_leader_epoch,
        MAGIC,
        crc32c(tail),
    )
    return head + tail


def append_record_py(
    body: bytearray,
    timestamp_delta: int,
    offset_delta: int,
    key: bytes | None,
    value: bytes | None,
    headers: Headers = (),
) -> None:
    """Append one record, with its length prefix, to a batch body being built.
    (The C `_recordsc.append_record` does the same for a record without headers.)"""
    if headers:
        encoded = encode_record_body(timestamp_delta, offset_delta, key, value, headers)
        body += encode_varint(len(encoded))
        body += encoded
        return
    varint = encode_varint
    ts_part = varint(timestamp_delta)
    off_part = varint(offset_delta)
    key_part = b"\x01" if key is None else varint(len(key))
    value_part = b"\x01" if value is None else varint(len(value))
    length = (
        2  # attributes + header count (0)
        + len(ts_part)
        + len(off_part)
        + len(key_part)
        + (len(key) if key is not None else 0)
        + len(value_part)
        + (len(value) if value is not None else 0)
    )
    body += varint(length)
    body += b"\x00"
    body += ts_part
    body += off_part
    body += key_part
    if key is not None:
        body += key
    body += value_part
    if value is not None:
        body += value
    body += b"\x00"


# The accumulator's per-record call: C for a record without headers when it is built.
append_record_fast = _recordsc.append_record if _recordsc is not None else append_record_py


def _encode_records_py(records: Sequence[Record], base_offset: int, base_timestamp: int) -> tuple[bytes, int]:
    """The records of a batch, each with its length prefix; and their max timestamp.
    (The C encoder in _recordsc does the same, faster.)"""
    max_timestamp = records[0].timestamp
    body = bytearray()
    append = append_record_py
    for offset, ts, key, value, headers in records:
        if ts > max_timestamp:
            max_timestamp = ts
        append(body, ts - base_timestamp, offset - base_offset, key, value, headers)
    return bytes(body), max_timestamp


# --- decoding --------------------------------------------------------------------------


def read_header(data: bytes, pos: int = 0) -> BatchHeader:
    """Parse the batch header at `pos` (raises CORRUPT_MESSAGE if it cannot be one)."""
    if len(data) - pos < HEADER_SIZE:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record batch shorter than its 61-byte header")
    header = BatchHeader(*_HEADER.unpack_from(data, pos))
    if header.magic != MAGIC:
        raise KafkaError(
            ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
            f"record batch magic {header.magic}; only magic 2 (Kafka 0.11+) is supported",
        )
    if header.batch_length + LOG_OVERHEAD > len(data) - pos or header.batch_length < HEADER_SIZE - 12:
        raise KafkaError(
            ErrorCode.CORRUPT_MESSAGE,
            f"record batch length {header.batch_length} does not match the {len(data) - pos} bytes given",
        )
    return header


def verify_crc(data: bytes, header: BatchHeader | None = None, pos: int = 0) -> None:
    """Check the batch's CRC-32C like a broker validating a produce request."""
    header = header or read_header(data, pos)
    end = pos + header.size
    actual = crc32c(memoryview(data)[pos + _CRC_START : end])
    if actual != header.crc:
        raise KafkaError(
            ErrorCode.CORRUPT_MESSAGE,
            f"record batch CRC {header.crc:#010x} does not match its contents ({actual:#010x})",
        )


def iter_headers(data: bytes) -> list[BatchHeader]:
    """The headers of every batch in a concatenation of batches (a Fetch payload)."""
    headers = []
    pos = 0
    while pos < len(data):
        header = read_header(data, pos)
        headers.append(header)
        pos += header.size
    return headers


RecordTuple = tuple[int, int, bytes | None, bytes | None, Headers]


def decode_batch(data: bytes, pos: int = 0) -> RecordBatch:
    """Decode one batch at `pos` with absolute offsets and timestamps."""
    header = read_header(data, pos)
    return RecordBatch(header, list(map(_as_record, decode_record_tuples(data, header, pos))))


def _as_record(values: RecordTuple) -> Record:
    return tuple.__new__(Record, values)


def decode_record_tuples(
    data: bytes, header: BatchHeader, pos: int = 0, max_decompressed: int | None = None
) -> list[RecordTuple]:
    """The batch's records as plain (offset, timestamp, key, value, headers) tuples.

    The consumer's hot path: uses the optional C decoder when it was built, else the
    pure-Python loop; both raise CORRUPT_MESSAGE for a malformed record. A compressed
    batch is inflated first: at most `max_decompressed` bytes (else MESSAGE_TOO_LARGE)
    for a producer's batch; None, no bound, for a batch from a log (bounded on append).
    """
    start, end = pos + HEADER_SIZE, pos + header.size
    codec = header.attributes & ATTR_COMPRESSION_MASK
    if codec:
        if codec > Compression.ZSTD:
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"record batch names an unknown codec {codec}")
        # The records after the header are one compressed stream (Kafka's
        # DefaultRecordBatch.compressedIterator); decode them from the inflated bytes.
        data = decompress(Compression(codec), memoryview(data)[start:end], max_decompressed)
        start, end = 0, len(data)
    if _recordsc is not None:
        log_append_time = header.max_timestamp if header.attributes & ATTR_TIMESTAMP_TYPE else -1
        try:
            return _recordsc.decode_records(
                data,
                start,
                end,
                header.records_count,
                header.base_offset,
                header.base_timestamp,
                log_append_time,
            )
        except ValueError as exc:
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, str(exc)) from None
    return _decode_records_py(data, header, start, end)


def decode_consumer_records(
    data: bytes, header: BatchHeader, cls: type[tuple[Any, ...]], topic: str, partition: int, min_offset: int
) -> list[Any]:
    """The batch's records at or above `min_offset` as `cls(topic, partition, offset,
    timestamp, timestamp_type, key, value, headers, leader_epoch)` (the consumer's
    ConsumerRecord, undecoded keys and values): built by the C decoder in one pass when it
    was built, else from `decode_record_tuples`. Both check every record."""
    timestamp_type, epoch = header.timestamp_type, header.partition_leader_epoch
    if _recordsc is not None and not header.attributes & ATTR_COMPRESSION_MASK:
        log_append_time = header.max_timestamp if header.attributes & ATTR_TIMESTAMP_TYPE else -1
        try:
            return _recordsc.decode_into(  # type: ignore[no-any-return]
                data, HEADER_SIZE, header.size, header.records_count, header.base_offset,
                header.base_timestamp, log_append_time, cls, topic, partition, timestamp_type, epoch,
                min_offset,
            )  # fmt: skip
        except ValueError as exc:
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, str(exc)) from None
    make = tuple.__new__
    return [
        make(cls, (topic, partition, o, ts, timestamp_type, k, v, h, epoch))
        for o, ts, k, v, h in decode_record_tuples(data, header)
        if o >= min_offset
    ]


def _decode_records_py(data: bytes, header: BatchHeader, start: int, end: int) -> list[RecordTuple]:
    base_offset = header.base_offset
    base_timestamp = header.base_timestamp
    log_append = header.attributes & ATTR_TIMESTAMP_TYPE
    p = start
    records: list[RecordTuple] = []
    varint = decode_varint
    append = records.append
    try:
        for _ in range(header.records_count):
            # Varints are inlined for their one- and two-byte forms: this loop is the
            # consumer's hot path and a call per field would double its cost.
            b = data[p]
            if b < 0x80:
                length = (b >> 1) ^ -(b & 1)
                p += 1
            elif data[p + 1] < 0x80:
                z = (b & 0x7F) | (data[p + 1] << 7)
                length = (z >> 1) ^ -(z & 1)
                p += 2
            else:
                length, p = varint(data, p)
            record_end = p + length
            b = data[p + 1]  # after the record attributes byte: timestamp delta
            if b < 0x80:
                ts_delta = (b >> 1) ^ -(b & 1)
                p += 2
            else:
                ts_delta, p = varint(data, p + 1)
            b = data[p]  # offset delta
            if b < 0x80:
                off_delta = (b >> 1) ^ -(b & 1)
                p += 1
            else:
                off_delta, p = varint(data, p)
            b = data[p]  # key length
            if b < 0x80:
                klen = (b >> 1) ^ -(b & 1)
                p += 1
            else:
                klen, p = varint(data, p)
            if klen < 0:
                key = None
            else:
                key = data[p : p + klen]
                p += klen
            b = data[p]  # value length
            if b < 0x80:
                vlen = (b >> 1) ^ -(b & 1)
                p += 1
            elif data[p + 1] < 0x80:
                z = (b & 0x7F) | (data[p + 1] << 7)
                vlen = (z >> 1) ^ -(z & 1)
                p += 2
            else:
                vlen, p = varint(data, p)
            if vlen < 0:
                value = None
            else:
                value = data[p : p + vlen]
                p += vlen
            b = data[p]  # header count
            if b == 0:
                nheaders = 0
                p += 1
            else:
                nheaders, p = varint(data, p)
            headers: Headers = ()
            if nheaders < 0 or nheaders > record_end - p:  # the C decoder's bounds, too
                raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"invalid number of record headers {nheaders}")
            if nheaders:
                hs = []
                for _ in range(nheaders):
                    hklen, p = decode_varint(data, p)
                    if hklen < 0:  # else p would walk backwards (a near-endless loop)
                        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"invalid record header key size {hklen}")
                    hkey = data[p : p + hklen].decode()
                    p += hklen
                    hvlen, p = decode_varint(data, p)
                    if hvlen < 0:
                        hvalue = None
                    else:
                        hvalue = data[p : p + hvlen]
                        p += hvlen
                    hs.append((hkey, hvalue))
                headers = tuple(hs)
            if p != record_end or p > end:
                raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record length does not match its fields")
            timestamp = header.max_timestamp if log_append else base_timestamp + ts_delta
            append((base_offset + off_delta, timestamp, key, value, headers))
    except (IndexError, UnicodeDecodeError) as exc:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"malformed record: {exc}") from None
    return records


# --- rewriting (what a broker does on append) ------------------------------------------


def with_base_offset(data: bytes, base_offset: int) -> bytes:
    """The batch with its base offset set; the CRC does not cover it."""
    return struct.pack(">q", base_offset) + data[8:]


def with_partition_leader_epoch(data: bytes, epoch: int) -> bytes:
    """The batch stamped with the leader epoch that appended it (outside the CRC)."""
    return data[:12] + struct.pack(">i", epoch) + data[16:]


def with_log_append_time(data: bytes, timestamp: int) -> bytes:
    """Set LogAppendTime: the timestamp-type bit and max_timestamp, then a new CRC.

    Kafka rewrites only the batch header; every record then reads the batch's
    max_timestamp as its timestamp.
    """
    header = read_header(data)
    attributes = header.attributes | ATTR_TIMESTAMP_TYPE
    body = bytearray(data[_CRC_START : header.size])
    struct.pack_into(">h", body, 0, attributes)
    struct.pack_into(">q", body, 2 + 4 + 8, timestamp)  # after attributes, delta, base ts
    return data[:17] + struct.pack(">I", crc32c(body)) + bytes(body)


# --- transaction markers (KIP-98) ------------------------------------------------------

CONTROL_ABORT = 0  # ControlRecordType.ABORT
CONTROL_COMMIT = 1  # ControlRecordType.COMMIT


def encode_txn_marker(
    producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int, timestamp: int
) -> bytes:
    """A control batch holding one `EndTransactionMarker`: key = version 0 + type
    (0 abort, 1 commit), value = version 0 + coordinator epoch (Kafka's layout)."""
    key = struct.pack(">hh", 0, CONTROL_COMMIT if commit else CONTROL_ABORT)
    value = struct.pack(">hi", 0, coordinator_epoch)
    return encode_batch(
        [Record(0, timestamp, key, value, ())],
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        is_transactional=True,
        is_control=True,
    )


def marker_is_commit(data: bytes, header: BatchHeader | None = None) -> bool:
    """Whether a control batch is a COMMIT marker (else ABORT)."""
    header = header or read_header(data)
    key = decode_record_tuples(data, header)[0][2]
    return key is not None and len(key) >= 4 and struct.unpack_from(">h", key, 2)[0] == CONTROL_COMMIT
