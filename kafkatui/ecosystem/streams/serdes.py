"""Serdes: how a stream's keys and values become a record's bytes and back (Kafka's
`org.apache.kafka.common.serialization.Serde`, `Serdes`). A `Serde` is a protocol, so a
Schema Registry serde (Avro, JSON Schema, Protobuf) plugs in by having the two methods.

Config names (`default.key.serde`, `default.value.serde`) take a serde or one of the
short names in `SERDES` ("string", "json", "bytes", "long", "double")."""

from __future__ import annotations

import json
import struct
from typing import Any, Protocol

from kafkatui.ecosystem.streams.records import TimeWindow, Windowed


class SerializationError(Exception):
    """Kafka's SerializationException: bytes a serde cannot read, or a value it cannot write."""


class Serde(Protocol):
    def serialize(self, topic: str, data: Any) -> bytes | None: ...
    def deserialize(self, topic: str, data: bytes | None) -> Any: ...


class StringSerde:
    """UTF-8 (Kafka's StringSerializer with its default `serializer.encoding`)."""

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, str):
            raise SerializationError(
                f"StringSerde cannot write a {type(data).__name__} ({data!r}) to {topic}"
            )
        return data.encode()

    def deserialize(self, topic: str, data: bytes | None) -> str | None:
        if data is None:
            return None
        try:
            return bytes(data).decode()
        except UnicodeDecodeError as error:
            raise SerializationError(f"not UTF-8: {error}") from None


class BytesSerde:
    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        if isinstance(data, str):
            return data.encode()
        return bytes(data)

    def deserialize(self, topic: str, data: bytes | None) -> bytes | None:
        return None if data is None else bytes(data)


class JsonSerde:
    """Compact JSON in UTF-8 (what Kafka Connect's JsonConverter with schemas off and
    most JSON serdes write)."""

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        try:
            return json.dumps(data, separators=(",", ":")).encode()
        except (TypeError, ValueError) as error:
            raise SerializationError(f"JsonSerde cannot write {data!r}: {error}") from None

    def deserialize(self, topic: str, data: bytes | None) -> Any:
        if data is None:
            return None
        try:
            return json.loads(bytes(data))
        except (ValueError, UnicodeDecodeError) as error:
            raise SerializationError(f"not JSON: {error}") from None


class LongSerde:
    """An 8-byte big-endian signed integer (Kafka's LongSerializer: what `count()` stores)."""

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, int):
            raise SerializationError(f"LongSerde cannot write a {type(data).__name__} ({data!r})")
        return struct.pack(">q", data)

    def deserialize(self, topic: str, data: bytes | None) -> int | None:
        if data is None:
            return None
        if len(data) != 8:
            raise SerializationError(
                f"Size of data received by LongDeserializer is not 8 ({len(data)} bytes)"
            )
        return struct.unpack(">q", data)[0]


class DoubleSerde:
    """An 8-byte IEEE 754 double, big-endian (Kafka's DoubleSerializer)."""

    def serialize(self, topic: str, data: Any) -> bytes | None:
        return None if data is None else struct.pack(">d", float(data))

    def deserialize(self, topic: str, data: bytes | None) -> float | None:
        if data is None:
            return None
        if len(data) != 8:
            raise SerializationError(
                f"Size of data received by DoubleDeserializer is not 8 ({len(data)} bytes)"
            )
        return struct.unpack(">d", data)[0]


class WindowedTextSerde:
    """A windowed key as its text, `[key@start/end]` (Kafka's `Windowed.toString()`, what
    the console consumer prints with a windowed deserializer): readable in any consumer.
    Reading parses it back; the inner key is read with `inner` from its UTF-8 text."""

    def __init__(self, inner: Serde | None = None) -> None:
        self.inner = inner or StringSerde()

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, Windowed):
            raise SerializationError(f"a windowed serde needs a Windowed key, got {data!r}")
        key = self.inner.serialize(topic, data.key)
        inner = "" if key is None else key.decode(errors="replace")
        return f"[{inner}@{data.window.start}/{data.window.end}]".encode()

    def deserialize(self, topic: str, data: bytes | None) -> Windowed | None:
        if data is None:
            return None
        text = bytes(data).decode(errors="replace")
        at, slash = text.rfind("@"), text.rfind("/")
        if not (text.startswith("[") and text.endswith("]") and 0 < at < slash):
            raise SerializationError(f"not a windowed key [key@start/end]: {text!r}")
        try:
            window = TimeWindow(int(text[at + 1 : slash]), int(text[slash + 1 : -1]))
        except ValueError:
            raise SerializationError(f"not a windowed key [key@start/end]: {text!r}") from None
        return Windowed(self.inner.deserialize(topic, text[1:at].encode()), window)


class TimeWindowedSerde:
    """Kafka's binary TimeWindowedSerializer: the inner key's bytes then the window start
    as 8 bytes big-endian; the end is start + `window_size_ms` (KIP-659's
    `window.size.ms`), which the bytes do not carry."""

    def __init__(self, inner: Serde, window_size_ms: int) -> None:
        self.inner, self.size = inner, window_size_ms

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        key = self.inner.serialize(topic, data.key) or b""
        return key + struct.pack(">q", data.window.start)

    def deserialize(self, topic: str, data: bytes | None) -> Windowed | None:
        if data is None:
            return None
        if len(data) < 8:
            raise SerializationError("a time-windowed key is at least 8 bytes")
        start = struct.unpack(">q", data[-8:])[0]
        return Windowed(self.inner.deserialize(topic, bytes(data[:-8])), TimeWindow(start, start + self.size))


SERDES: dict[str, type] = {
    "string": StringSerde,
    "json": JsonSerde,
    "bytes": BytesSerde,
    "long": LongSerde,
    "double": DoubleSerde,
}


class Serdes:
    """Factories in the shape of Kafka's `Serdes.String()` …"""

    string = StringSerde
    json = JsonSerde
    bytes = BytesSerde
    long = LongSerde
    double = DoubleSerde
    windowed_text = WindowedTextSerde
    time_windowed = TimeWindowedSerde


def serde_of(value: Serde | str | None, default: Serde) -> Serde:
    """A serde given by object or short name; `default` when None."""
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return SERDES[value]()
        except KeyError:
            raise ValueError(
                f"unknown serde {value!r}: one of {', '.join(SERDES)} or a Serde object"
            ) from None
    return value
