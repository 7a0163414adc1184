"""Session windows' keys on a sink topic (`WINDOW SESSION (gap)`): the aggregation itself
is the Streams library's SessionWindows (its session store holds each session under its
windowed key; pull queries read it with find_sessions)."""

from __future__ import annotations

import struct
from typing import Any

from kafkatui.ecosystem.streams import TimeWindow, Windowed
from kafkatui.ecosystem.streams.serdes import Serde, SerializationError


class SessionWindowedSerde:
    """Kafka's SessionWindowedSerializer: the key's bytes, then the session's end and
    start as 8 bytes each, big-endian (SessionKeySchema)."""

    def __init__(self, inner: Serde) -> None:
        self.inner = inner

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        return (self.inner.serialize(topic, data.key) or b"") + struct.pack(
            ">qq", data.window.end, data.window.start
        )

    def deserialize(self, topic: str, data: bytes | None) -> Windowed | None:
        if data is None:
            return None
        if len(data) < 16:
            raise SerializationError("a session-windowed key is at least 16 bytes")
        end, start = struct.unpack(">qq", data[-16:])
        return Windowed(self.inner.deserialize(topic, bytes(data[:-16])), TimeWindow(start, end))
