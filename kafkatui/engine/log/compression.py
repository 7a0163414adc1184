"""The codecs of a RecordBatch's records (attributes bits 0-2): Kafka's `CompressionType`.

Only the records after the 61-byte batch header are compressed. The bytes are what
Kafka's own codecs write, so batches compressed here are readable by every client:

- gzip: a gzip stream (Java's GZIPOutputStream); more than one member is accepted.
- snappy: Kafka's Java client and broker write the xerial (snappy-java) block stream,
  librdkafka writes raw snappy; both are read, as snappy-java's SnappyInputStream
  falls back to raw snappy when the xerial header is absent. Written as xerial, 32 KiB
  blocks, like the broker's SnappyOutputStream.
- lz4: the LZ4 frame format with independent blocks (KIP-57; Kafka's
  KafkaLZ4BlockOutputStream does not read linked blocks).
- zstd: a zstd frame (KIP-110).

Decompression is bounded: the records of one batch may not decompress to more than
`limit` bytes (the broker passes `decompressed_limit(max.message.bytes)`: 32 times it, at
most 1 GiB), so a small batch that inflates to gigabytes ("a decompression bomb") is
refused with MESSAGE_TOO_LARGE after at most `limit` bytes of work and memory. Output
goes into an anonymous mmap, so the bound costs no more memory than the records take.
"""

from __future__ import annotations

import mmap
import struct

import cramjam

from kafkatui.common.clients import Compression, compression_from_name
from kafkatui.common.errors import ErrorCode, KafkaError

# The broker refuses a batch whose records decompress to more than this many times the
# topic's max.message.bytes (32 MiB at Kafka's default of 1 MiB). Kafka bounds only the
# compressed size; honest producers stay far below this (librdkafka caps a batch's
# uncompressed size at batch.size, 1 MB; Java's batch.size is 16 KiB compressed).
DECOMPRESSED_LIMIT_FACTOR = 32
# ...and never more than this, whatever max.message.bytes says (its maximum is 2 GiB - 1:
# 32 times that would be a 64 GiB map, which the kernel may refuse outright).
DECOMPRESSED_LIMIT_MAX = 1 << 30


def decompressed_limit(max_message_bytes: int) -> int:
    """The most a producer batch's records may decompress to, for a topic's max.message.bytes."""
    return min(DECOMPRESSED_LIMIT_FACTOR * max_message_bytes, DECOMPRESSED_LIMIT_MAX)


_XERIAL_HEADER = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
_XERIAL_BLOCK = 32 * 1024

# Kafka's default levels (KIP-390: compression.gzip.level etc., -1 = the codec's own).
DEFAULT_LEVELS = {Compression.GZIP: 6, Compression.LZ4: 9, Compression.ZSTD: 3}


def target_compression(topic_compression_type: str, source: Compression) -> Compression:
    """The codec a topic stores a producer's batch in (Kafka's
    `BrokerCompressionType.targetCompression`): `producer` keeps the producer's."""
    if topic_compression_type == "producer":
        return source
    if topic_compression_type == "uncompressed":
        return Compression.NONE
    return compression_from_name(topic_compression_type)


def compress(codec: Compression, data: bytes, level: int | None = None) -> bytes:
    """Compress a batch's records with `codec` (level None or -1: Kafka's default)."""
    if level is None or level == -1:
        level = DEFAULT_LEVELS.get(codec)
    if codec is Compression.NONE:
        return data
    if codec is Compression.GZIP:
        return bytes(cramjam.gzip.compress(data, level=level))
    if codec is Compression.SNAPPY:
        out = bytearray(_XERIAL_HEADER)
        view = memoryview(data)
        for start in range(0, len(data), _XERIAL_BLOCK):
            block = cramjam.snappy.compress_raw(view[start : start + _XERIAL_BLOCK])
            out += struct.pack(">i", len(block))
            out += block
        return bytes(out)
    if codec is Compression.LZ4:
        compressor = cramjam.lz4.Compressor(level=level, content_checksum=False, block_linked=False)
        compressor.compress(data)
        return bytes(compressor.finish())
    if codec is Compression.ZSTD:
        return bytes(cramjam.zstd.compress(data, level=level))
    raise KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, f"unknown compression codec {int(codec)}")


def decompress(codec: Compression, data: bytes | memoryview, limit: int | None) -> bytes:
    """The records of a compressed batch; CORRUPT_MESSAGE if they cannot be decompressed,
    MESSAGE_TOO_LARGE if they would exceed `limit` bytes. `limit=None` is for batches
    already in a log, which passed the bound when they were appended: no bound, and none
    of its cost (a fresh map per batch doubles the time of a small one)."""
    name = codec.name.lower()
    try:
        if codec is Compression.SNAPPY:
            return _snappy_decompress(data, limit)
        if codec in (Compression.GZIP, Compression.LZ4, Compression.ZSTD):
            module = getattr(cramjam, name)
            if limit is None:
                return bytes(module.decompress(data))
            return _bounded(module.decompress_into, data, limit, name)
    except cramjam.DecompressionError as exc:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"{name} records cannot be decompressed: {exc}") from None
    raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"record batch names an unknown codec {int(codec)}")


def _too_large(name: str, limit: int) -> KafkaError:
    return KafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        f"{name} records decompress to more than {limit} bytes "
        f"({DECOMPRESSED_LIMIT_FACTOR} x max.message.bytes, at most {DECOMPRESSED_LIMIT_MAX})",
    )


def _bounded(decompress_into: object, data: bytes | memoryview, limit: int, name: str) -> bytes:
    # One byte more than allowed tells "too large" from "exactly the limit"; pages of the
    # anonymous map that decompression never reaches are never allocated.
    with mmap.mmap(-1, limit + 1) as out:
        try:
            n = decompress_into(data, out)  # type: ignore[operator]
        except cramjam.DecompressionError as exc:
            if "failed to write whole buffer" in str(exc):
                raise _too_large(name, limit) from None
            raise
        if n > limit:
            raise _too_large(name, limit)
        return out[:n]


def _snappy_decompress(data: bytes | memoryview, limit: int | None) -> bytes:
    view = memoryview(data)
    if limit is None:
        limit = len(view) * 64  # snappy cannot expand more than about 21 times
    if view[: len(_XERIAL_HEADER)] != _XERIAL_HEADER:
        # Raw snappy (librdkafka): the uncompressed length leads the stream.
        if cramjam.snappy.decompress_raw_len(view) > limit:
            raise _too_large("snappy", limit)
        return bytes(cramjam.snappy.decompress_raw(view))
    blocks = []
    total = 0
    pos = len(_XERIAL_HEADER)
    while pos < len(view):
        if pos + 4 > len(view):
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "xerial snappy stream ends inside a block length")
        (size,) = struct.unpack_from(">i", view, pos)
        pos += 4
        if size < 0 or pos + size > len(view):
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"xerial snappy block of {size} bytes overruns")
        block = view[pos : pos + size]
        pos += size
        total += cramjam.snappy.decompress_raw_len(block)
        if total > limit:
            raise _too_large("snappy", limit)
        blocks.append(block)
    return b"".join(bytes(cramjam.snappy.decompress_raw(b)) for b in blocks)
