"""Sliding-window aggregation (Kafka's KStreamSlidingWindowAggregate, KIP-450): for a
time difference d, each record has a left window [t - d, t] and, when a later record
falls within d of it, a right window [t + 1, t + 1 + d]; a new record updates every
existing window it falls in, and creates its own left window (seeded with the
aggregate of the window just before it) and the right windows that now hold records.
The store keeps each window's aggregate with the largest record timestamp in it
(Kafka's ValueAndTimestamp), which decides what a new window starts from.

A record whose windows have all closed (t + 1 + d <= stream time - grace) is dropped
and counted in dropped-records; a window that has closed (end < stream time - grace) is
never updated, and each one a record misses counts too (Kafka 3.x)."""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafkatui.ecosystem.streams.processor import Processor
from kafkatui.ecosystem.streams.records import Record, TimeWindow, Windowed
from kafkatui.ecosystem.streams.serdes import Serde, SerializationError
from kafkatui.ecosystem.streams.stores import StoreBuilder, WindowStore
from kafkatui.ecosystem.streams.windows import SlidingWindows

log = logging.getLogger(__name__)

Aggregator = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class ValueAndTimestamp:
    value: Any
    timestamp: int


class ValueAndTimestampSerde:
    """Kafka's ValueAndTimestampSerializer: the timestamp (8 bytes), then the value."""

    def __init__(self, inner: Serde) -> None:
        self.inner = inner

    def serialize(self, topic: str, data: ValueAndTimestamp | None) -> bytes | None:
        if data is None:
            return None
        return struct.pack(">q", data.timestamp) + (self.inner.serialize(topic, data.value) or b"")

    def deserialize(self, topic: str, data: bytes | None) -> ValueAndTimestamp | None:
        if data is None:
            return None
        if len(data) < 8:
            raise SerializationError("a ValueAndTimestamp is at least 8 bytes")
        return ValueAndTimestamp(
            self.inner.deserialize(topic, bytes(data[8:])), struct.unpack(">q", data[:8])[0]
        )


def sliding_store(
    name: str, key_serde: Serde | None, value_serde: Serde | None, windows: SlidingWindows
) -> StoreBuilder:
    size, retention = windows.size_ms, windows.retention_ms

    def make(n: str, k: Serde, v: Serde, logged: bool) -> WindowStore:
        return WindowStore(
            n, k, ValueAndTimestampSerde(v), size_ms=size, retention_ms=retention, logged=logged
        )

    return StoreBuilder(name, key_serde, value_serde, True, size, retention, factory=make)


class SlidingWindowAggregate(Processor):
    def __init__(
        self,
        store: str,
        windows: SlidingWindows,
        initializer: Callable[[], Any] | None,
        aggregator: Aggregator,
    ) -> None:
        self.store_name, self.windows = store, windows
        self.initializer = initializer or (lambda: None)
        self.aggregator = aggregator
        self.observed = -1

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if record.key is None or record.value is None:
            self.context.drop()
            return
        ts, d = record.timestamp, self.windows.time_difference_ms
        self.observed = max(self.observed, ts)
        close = self.observed - self.windows.grace_ms
        if ts + 1 + d <= close:
            log.warning("Skipping record for expired window. %s timestamp=[%d] windowCloseTime=[%d]",
                        self.context.record_metadata(), ts, close)  # fmt: skip
            self.context.drop()
            return
        if ts < d:
            self._early(record, close)
        else:
            self._in_order(record, close)
        self.store.expire(self.observed)

    def _in_order(self, record: Record, close: int) -> None:
        ts, d, key = record.timestamp, self.windows.time_difference_ms, record.key
        starts: set[int] = set()
        left_agg = right_agg = None
        left_created = right_created = False
        previous: int | None = None
        for start, found in self.store.fetch_range(key, max(0, ts - 2 * d), ts + 1):
            starts.add(start)
            end = start + d
            if end < ts:
                left_agg, previous = found, found.timestamp
            elif end == ts:
                left_created = True
                if found.timestamp < ts:
                    previous = found.timestamp
                self._update(TimeWindow(start, end), found, record, close)
            elif start <= ts:
                right_agg = found
                self._update(TimeWindow(start, end), found, record, close)
            elif start == ts + 1:
                right_created = True
            else:
                raise AssertionError(
                    f"Unexpected window [{start},{end}] found when processing sliding windows"
                )
        if previous is not None:  # the previous record's right window, now holding this record
            right_start = previous + 1
            if right_start not in starts and right_start + d >= ts:
                self._update(TimeWindow(right_start, right_start + d),
                             ValueAndTimestamp(self.initializer(), ts), record, close)  # fmt: skip
        if not left_created:
            seed = (
                left_agg.value
                if previous is not None and ts - d <= previous and left_agg
                else self.initializer()
            )
            self._update(TimeWindow(ts - d, ts), ValueAndTimestamp(seed, ts), record, close)
        if not right_created and right_agg is not None and right_agg.timestamp > ts:
            self._right_window(record, right_agg)

    def _early(self, record: Record, close: int) -> None:
        """A record before d: every earlier window is cut at 0, one combined [0, d]."""
        ts, d, key = record.timestamp, self.windows.time_difference_ms, record.key
        combined: tuple[int, ValueAndTimestamp] | None = None
        right_agg = None
        right_created = False
        starts: set[int] = set()
        previous: int | None = None
        for start, found in self.store.fetch_range(key, 0, ts + 1):
            starts.add(start)
            if start == 0:
                combined = (start, found)
                if found.timestamp < ts:
                    previous = found.timestamp
            elif start <= ts:
                right_agg = found
                self._update(TimeWindow(start, start + d), found, record, close)
            elif start == ts + 1:
                right_created = True
            else:
                raise AssertionError(f"Unexpected window starting {start} when processing sliding windows")
        if right_agg is None and combined is not None and combined[1].timestamp > ts:
            right_agg = combined[1]
        if not right_created and right_agg is not None and right_agg.timestamp > ts:
            self._right_window(record, right_agg)
        if previous is not None and previous + 1 not in starts:
            self._update(TimeWindow(previous + 1, previous + 1 + d),
                         ValueAndTimestamp(self.initializer(), ts), record, close)  # fmt: skip
        if combined is None:
            self._update(TimeWindow(0, d), ValueAndTimestamp(self.initializer(), ts), record, close)
        else:
            self._update(TimeWindow(0, d), combined[1], record, close)

    def _right_window(self, record: Record, agg: ValueAndTimestamp) -> None:
        # The records after this one, without it: the aggregate of the window it falls in.
        ts, d = record.timestamp, self.windows.time_difference_ms
        window = TimeWindow(ts + 1, ts + 1 + d)
        self.store.put(record.key, agg, window.start)
        self.context.forward(Record(Windowed(record.key, window), agg.value, agg.timestamp, record.headers))

    def _update(self, window: TimeWindow, found: ValueAndTimestamp, record: Record, close: int) -> None:
        if window.end < close:
            log.warning("Skipping record for expired window. %s window=[%d,%d] expiration=[%d]",
                        self.context.record_metadata(), window.start, window.end, close)  # fmt: skip
            self.context.drop()  # Kafka counts each closed window the record would have updated
            return
        new = self.aggregator(record.key, record.value, found.value)
        timestamp = max(record.timestamp, found.timestamp)
        self.store.put(record.key, ValueAndTimestamp(new, timestamp), window.start)
        self.context.forward(Record(Windowed(record.key, window), new, timestamp, record.headers))
