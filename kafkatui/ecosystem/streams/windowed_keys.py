"""How a suppress buffer keys its windows: the inner key's bytes, then the window's
start and end as 8 bytes each, big-endian (self-describing, unlike Kafka's
TimeWindowedSerializer, which leaves the end to the window size)."""

from __future__ import annotations

import struct
from typing import Any

from kafkatui.ecosystem.streams.records import TimeWindow, Windowed
from kafkatui.ecosystem.streams.serdes import Serde, SerializationError, StringSerde


class WindowKeySerde:
    def __init__(self, inner: Serde | None = None) -> None:
        self.inner = inner or StringSerde()

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        key = self.inner.serialize(topic, data.key) or b""
        return key + struct.pack(">qq", data.window.start, data.window.end)

    def deserialize(self, topic: str, data: bytes | None) -> Windowed | None:
        if data is None:
            return None
        if len(data) < 16:
            raise SerializationError("a window key is at least 16 bytes")
        start, end = struct.unpack(">qq", data[-16:])
        return Windowed(self.inner.deserialize(topic, bytes(data[:-16])), TimeWindow(start, end))
