"""Kafka's primitive types for its classic (non-flexible) binary schemas: big-endian
int16-length strings (-1 for null) and int32-length bytes. The `__consumer_offsets`
records and the consumer protocol's subscriptions and assignments are built from them."""

from __future__ import annotations

import struct

from kafkatui.common.errors import ErrorCode, KafkaError


def write_string(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">h", len(data)) + data


def read_string(data: bytes, pos: int) -> tuple[str, int]:
    """A non-nullable string at `pos`, and the position after it."""
    (length,) = struct.unpack_from(">h", data, pos)
    pos += 2
    if length < 0:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "a non-nullable string is null")
    return data[pos : pos + length].decode(), pos + length


def write_nullable_string(value: str | None) -> bytes:
    return struct.pack(">h", -1) if value is None else write_string(value)


def read_nullable_string(data: bytes, pos: int) -> tuple[str | None, int]:
    (length,) = struct.unpack_from(">h", data, pos)
    if length < 0:
        return None, pos + 2
    return read_string(data, pos)


def write_bytes(value: bytes) -> bytes:
    return struct.pack(">i", len(value)) + value


def read_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    """Bytes at `pos` (null reads as empty), and the position after them."""
    (length,) = struct.unpack_from(">i", data, pos)
    pos += 4
    return data[pos : pos + max(length, 0)], pos + max(length, 0)
