"""Session windows: the session store and the aggregation (Kafka's SessionStore and
KStreamSessionWindowAggregate). A record finds the key's sessions ending no earlier
than `t - gap` and starting no later than `t + gap`, merges them (their aggregates
through the merger) into one session [min start, max end] with itself, and writes it;
each session merged away is removed and forwarded as a tombstone (a null value for its
old window), so a table downstream drops it. A record whose merged session ends
before stream time minus grace minus the gap is late: dropped and counted in
dropped-records.

The store's changelog key is Kafka's SessionKeySchema: key bytes, end, start (8 bytes
each, big-endian)."""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import Any

from kafkatui.ecosystem.streams.processor import Processor
from kafkatui.ecosystem.streams.records import Record, TimeWindow, Windowed
from kafkatui.ecosystem.streams.serdes import Serde
from kafkatui.ecosystem.streams.stores import KeyValueStore, StoreBuilder
from kafkatui.ecosystem.streams.windows import SessionWindows

log = logging.getLogger(__name__)


class SessionStore(KeyValueStore):
    windowed = True

    def __init__(self, name: str, key_serde: Serde, value_serde: Serde, *, retention_ms: int,
                 logged: bool = True) -> None:  # fmt: skip
        super().__init__(name, key_serde, value_serde, logged=logged)
        self.retention_ms = retention_ms

    def _session_key(self, windowed: Windowed) -> bytes:
        return self._raw(windowed.key) + struct.pack(">qq", windowed.window.end, windowed.window.start)

    def put(self, key: Windowed, value: Any) -> None:  # type: ignore[override]
        raw = self._session_key(key)
        if value is None:
            self._entries.pop(raw, None)
            self._changed(raw, None)
            return
        self._entries[raw] = (key, value)
        self._changed(raw, self.value_serde.serialize(self.topic, value))

    def remove(self, key: Windowed) -> None:
        self.put(key, None)

    def get(self, key: Any) -> Any:
        if not isinstance(key, Windowed):
            raise TypeError("a session store is read with fetch_session(key, start, end) or find_sessions")
        found = self._entries.get(self._session_key(key))
        return None if found is None else found[1]

    def fetch_session(self, key: Any, start: int, end: int) -> Any:
        return self.get(Windowed(key, TimeWindow(start, end)))

    def find_sessions(self, key: Any, earliest_end: int, latest_start: int) -> list[tuple[Windowed, Any]]:
        """The key's sessions with end >= earliest_end and start <= latest_start, by end
        then start (the store's key order)."""
        prefix = self._raw(key)
        found = [
            (raw, windowed, value)
            for raw, (windowed, value) in self._entries.items()
            if raw[:-16] == prefix
            and windowed.window.end >= earliest_end
            and windowed.window.start <= latest_start
        ]
        return [(w, v) for _, w, v in sorted(found, key=lambda e: e[0])]

    def expire(self, stream_time: int) -> None:
        # Kafka's segmented store drops whole segments of max(retention / 2, 60 s) by
        # session end once they are older than stream time - retention, so a closed
        # session stays queryable a while; the same horizon here.
        interval = max(self.retention_ms // 2, 60_000)
        live = (stream_time - self.retention_ms) // interval
        for raw in [r for r, (w, _) in self._entries.items() if w.window.end // interval < live]:
            del self._entries[raw]  # the changelog drops it by its own retention.ms

    def restore(self, raw_key: bytes, raw_value: bytes | None) -> None:
        if raw_value is None:
            self._entries.pop(raw_key, None)
            return
        end, start = struct.unpack(">qq", raw_key[-16:])
        windowed = Windowed(self.key_serde.deserialize(self.topic, raw_key[:-16]), TimeWindow(start, end))
        self._entries[raw_key] = (windowed, self.value_serde.deserialize(self.topic, raw_value))


def session_store(
    name: str, key_serde: Serde | None, value_serde: Serde | None, windows: SessionWindows
) -> StoreBuilder:
    retention = windows.retention_ms

    def make(n: str, k: Serde, v: Serde, logged: bool) -> SessionStore:
        return SessionStore(n, k, v, retention_ms=retention, logged=logged)

    # window_size_ms only marks the changelog as a windowed one (compact,delete).
    return StoreBuilder(name, key_serde, value_serde, True, 0, retention, factory=make)


class SessionWindowAggregate(Processor):
    def __init__(
        self,
        store: str,
        windows: SessionWindows,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any, Any], Any],
    ) -> None:
        self.store_name, self.windows = store, windows
        self.initializer, self.aggregator, self.merger = initializer, aggregator, merger
        self.observed = -1

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if record.key is None:
            log.warning("Skipping record due to null key. %s", self.context.record_metadata())
            self.context.drop()
            return
        ts, gap = record.timestamp, self.windows.inactivity_gap_ms
        self.observed = max(self.observed, ts)
        # Kafka 3.x: a session can still grow by a gap past its end, so it closes then.
        close = self.observed - self.windows.grace_ms - gap
        start, end = ts, ts
        agg = self.initializer()
        merged = self.store.find_sessions(record.key, ts - gap, ts + gap)
        for windowed, value in merged:
            agg = self.merger(record.key, agg, value)
            start, end = min(start, windowed.window.start), max(end, windowed.window.end)
        if end < close:
            log.warning("Skipping record for expired window. %s timestamp=[%d] window=[%d,%d] "
                        "expiration=[%d]", self.context.record_metadata(), ts, start, end, close)  # fmt: skip
            self.context.drop()
            return
        session = Windowed(record.key, TimeWindow(start, end))
        if (start, end) != (ts, ts):
            for windowed, _ in merged:
                self.store.remove(windowed)
                self.context.forward(Record(windowed, None, windowed.window.end, record.headers))
        agg = self.aggregator(record.key, record.value, agg)
        self.store.put(session, agg)
        self.context.forward(Record(session, agg, end, record.headers))
        self.store.expire(self.observed)
