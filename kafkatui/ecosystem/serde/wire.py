"""Confluent's wire format: a record's bytes are magic byte 0, the schema's global id
as 4 bytes big-endian, then the payload; for Protobuf the payload starts with the
message indexes (which message of the .proto: a zigzag-varint count, then each index
as a zigzag varint; `[0]`, the first message, is the single byte 0)."""

from __future__ import annotations

from dataclasses import dataclass

MAGIC = 0
HEADER_SIZE = 5
MAX_ID = 2**31 - 1


class FramingError(ValueError):
    """Bytes that are not in Confluent's wire format."""


@dataclass(frozen=True)
class Framed:
    schema_id: int
    payload: bytes
    message_indexes: tuple[int, ...] = ()


def frame(schema_id: int, payload: bytes) -> bytes:
    if not 0 <= schema_id <= MAX_ID:
        raise FramingError(f"schema id {schema_id} does not fit in 4 bytes")
    return bytes((MAGIC,)) + schema_id.to_bytes(4, "big") + payload


def unframe(data: bytes) -> Framed:
    if len(data) < HEADER_SIZE:
        raise FramingError(
            f"{len(data)} bytes is too short for Confluent's framing (magic byte and 4-byte id)"
        )
    if data[0] != MAGIC:
        raise FramingError(f"unknown magic byte {data[0]} (Confluent's framing starts with 0)")
    return Framed(int.from_bytes(data[1:5], "big"), bytes(data[5:]))


def zigzag_varint(value: int) -> bytes:
    n = (value << 1) ^ (value >> 63)
    n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_zigzag_varint(data: bytes, position: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if position >= len(data) or shift > 63:
            raise FramingError("truncated or overlong varint in the message indexes")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    return (result >> 1) ^ -(result & 1), position


def frame_protobuf(schema_id: int, message_indexes: list[int] | tuple[int, ...], payload: bytes) -> bytes:
    if list(message_indexes) in ([], [0]):
        indexes = b"\x00"
    else:
        indexes = zigzag_varint(len(message_indexes)) + b"".join(zigzag_varint(i) for i in message_indexes)
    return frame(schema_id, indexes + payload)


def unframe_protobuf(data: bytes) -> Framed:
    framed = unframe(data)
    count, position = read_zigzag_varint(framed.payload, 0)
    if count < 0 or count > len(framed.payload):
        raise FramingError(f"{count} message indexes cannot be right")
    indexes = []
    for _ in range(count):
        index, position = read_zigzag_varint(framed.payload, position)
        indexes.append(index)
    return Framed(framed.schema_id, framed.payload[position:], tuple(indexes) if count else (0,))
