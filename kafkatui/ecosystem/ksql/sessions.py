"""Session windows (`WINDOW SESSION (gap)`), which kafkatui's Streams library has no
operator for yet: Kafka's KStreamSessionWindowAggregate as a processor of this package.
A record at t joins every session of its key that ends within `gap` before t or starts
within `gap` after it; those sessions and the record become one session [first, last
record], its aggregate the merge of theirs. Each merged session is retracted (a null
for its windowed key) before the new one is forwarded. A record for a session that
would end, merged, before stream time minus the grace period is late: dropped and
counted. The store holds, per key, its sessions as [start, end, aggregate]."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from kafkatui.ecosystem.streams import Processor, Record, TimeWindow, Windowed
from kafkatui.ecosystem.streams.serdes import Serde, SerializationError


class SessionAggregate(Processor):
    def __init__(
        self,
        store: str,
        gap_ms: int,
        grace_ms: int,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any], Any],
    ) -> None:
        self.store_name, self.gap_ms, self.grace_ms = store, gap_ms, grace_ms
        self.initializer, self.aggregator, self.merger = initializer, aggregator, merger

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if record.key is None or record.value is None:
            self.context.drop()
            return
        now, close = record.timestamp, self.context.current_stream_time_ms() - self.grace_ms
        sessions: list[list[Any]] = list(self.store.get(record.key) or [])
        merged = [s for s in sessions if s[1] >= now - self.gap_ms and s[0] <= now + self.gap_ms]
        start = min([now, *(s[0] for s in merged)])
        end = max([now, *(s[1] for s in merged)])
        if end < close:  # Kafka checks the merged session: "Skipping record for expired window"
            self.context.drop()
            return
        state = self.initializer()
        for session in merged:
            state = self.merger(state, session[2])
        state = self.aggregator(record.key, record.value, state)
        kept = [s for s in sessions if s not in merged and s[1] >= close]
        self.store.put(record.key, sorted([*kept, [start, end, state]]))
        for old in merged:
            self.context.forward(
                Record(Windowed(record.key, TimeWindow(old[0], old[1])), None, record.timestamp)
            )
        self.context.forward(Record(Windowed(record.key, TimeWindow(start, end)), state, record.timestamp))


def session_entries(key: Any, sessions: list[list[Any]] | None) -> list[tuple[Windowed, Any]]:
    """A store entry as (windowed key, aggregate) per session, for pull queries."""
    return [(Windowed(key, TimeWindow(s[0], s[1])), s[2]) for s in sessions or []]


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
