"""The stores of a KStream–KStream join (Kafka's KStreamImplJoin): one window store per
side, `KSTREAM-JOINTHIS-…-store` and `KSTREAM-JOINOTHER-…-store`, holding every record
of the last `before + after + grace` ms by timestamp (duplicates kept: a sequence
number in the key, as Kafka's `retainDuplicates=true`), and for left and outer joins
the shared store `KSTREAM-OUTERSHARED-…-store` of records still waiting for a partner
(Kafka 3.x's spurious-result fix, KAFKA-10847), keyed by Kafka's
TimestampedKeyAndJoinSide bytes `<timestamp><left?><key>` so that iterating it runs in
time order."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kafkatui.ecosystem.streams.records import TimeWindow, Windowed
from kafkatui.ecosystem.streams.serdes import Serde, SerializationError
from kafkatui.ecosystem.streams.stores import KeyValueStore, window_store_key


class JoinWindowStore(KeyValueStore):
    """Records by (key, timestamp, sequence number); a record older than stream time
    minus the retention is dropped at once (Kafka: "Skipping record for expired
    segment"), and so are stored ones as stream time passes them."""

    windowed = True

    def __init__(
        self, name: str, key_serde: Serde, value_serde: Serde, *, retention_ms: int, logged: bool = True
    ) -> None:
        super().__init__(name, key_serde, value_serde, logged=logged)
        self.retention_ms = retention_ms
        self.observed = -1
        self.expired = 0  # Kafka's expired-window-record-drop
        self._seqnum = 0
        # Expired records are hidden from fetch at once and removed in batches, each time
        # the horizon has moved on by half the retention (as Kafka drops whole segments).
        self._next_expiry = -1
        self._by_key: dict[bytes, set[bytes]] = {}  # key bytes -> its entries' store keys

    def put(self, key: Any, value: Any, timestamp: int = 0) -> None:  # type: ignore[override]
        self.observed = max(self.observed, timestamp)
        horizon = self.observed - self.retention_ms
        if timestamp <= horizon:
            self.expired += 1
            return
        self._seqnum = (self._seqnum + 1) & 0x7FFFFFFF
        prefix = self._raw(key)
        raw = window_store_key(prefix, timestamp, self._seqnum)
        self._entries[raw] = (Windowed(key, TimeWindow(timestamp, timestamp)), value)
        self._by_key.setdefault(prefix, set()).add(raw)
        self._changed(raw, self.value_serde.serialize(self.topic, value))
        if horizon >= self._next_expiry:
            self._expire(horizon)

    def _expire(self, horizon: int) -> None:
        for raw in [r for r, (w, _) in self._entries.items() if w.window.start <= horizon]:
            del self._entries[raw]  # the changelog drops it by its own retention.ms
            self._unindex(raw)
        self._next_expiry = horizon + max(self.retention_ms // 2, 1)

    def fetch(self, key: Any, time_from: int, time_to: int) -> list[tuple[int, Any]]:
        """(timestamp, value) of `key`'s records in [time_from, time_to], oldest first."""
        horizon = self.observed - self.retention_ms
        found = []
        for raw in self._by_key.get(self._raw(key), ()):
            windowed, value = self._entries[raw]
            if time_from <= windowed.window.start <= time_to and windowed.window.start > horizon:
                found.append((raw, windowed.window.start, value))
        return [(ts, value) for _, ts, value in sorted(found, key=lambda e: e[0])]

    def _unindex(self, raw: bytes) -> None:
        keys = self._by_key.get(raw[:-12])
        if keys is not None:
            keys.discard(raw)
            if not keys:
                del self._by_key[raw[:-12]]

    def restore(self, raw_key: bytes, raw_value: bytes | None) -> None:
        if raw_value is None:
            self._entries.pop(raw_key, None)
            self._unindex(raw_key)
            return
        timestamp, seqnum = struct.unpack(">qi", raw_key[-12:])
        key = self.key_serde.deserialize(self.topic, raw_key[:-12])
        value = self.value_serde.deserialize(self.topic, raw_value)
        self._entries[raw_key] = (Windowed(key, TimeWindow(timestamp, timestamp)), value)
        self._by_key.setdefault(raw_key[:-12], set()).add(raw_key)
        self.observed = max(self.observed, timestamp)
        self._seqnum = max(self._seqnum, seqnum)


@dataclass(frozen=True)
class TimestampedKeyAndJoinSide:
    timestamp: int
    left: bool
    key: Any


@dataclass(frozen=True)
class LeftOrRightValue:
    left: bool
    value: Any


class TimestampedKeyAndJoinSideSerde:
    """Kafka's TimestampedKeyAndJoinSideSerializer: timestamp (8 bytes), 1 for the left
    side or 0 for the right, the key's bytes."""

    def __init__(self, key_serde: Serde) -> None:
        self.key_serde = key_serde

    def serialize(self, topic: str, data: TimestampedKeyAndJoinSide | None) -> bytes | None:
        if data is None:
            return None
        raw = self.key_serde.serialize(topic, data.key) or b""
        return struct.pack(">q?", data.timestamp, data.left) + raw

    def deserialize(self, topic: str, data: bytes | None) -> TimestampedKeyAndJoinSide | None:
        if data is None:
            return None
        if len(data) < 9:
            raise SerializationError("a TimestampedKeyAndJoinSide is at least 9 bytes")
        timestamp, left = struct.unpack(">q?", data[:9])
        return TimestampedKeyAndJoinSide(timestamp, left, self.key_serde.deserialize(topic, bytes(data[9:])))


class LeftOrRightValuesSerde:
    """A list of Kafka's LeftOrRightValue (1 byte: left or right, then the value's
    bytes), each length-prefixed as Kafka's ListValueStore keeps duplicates of a key."""

    def __init__(self, left_serde: Serde, right_serde: Serde) -> None:
        self.left_serde, self.right_serde = left_serde, right_serde

    def serialize(self, topic: str, data: list[LeftOrRightValue] | None) -> bytes | None:
        if data is None:
            return None
        out = bytearray()
        for item in data:
            serde = self.left_serde if item.left else self.right_serde
            raw = bytes([1 if item.left else 0]) + (serde.serialize(topic, item.value) or b"")
            out += struct.pack(">i", len(raw)) + raw
        return bytes(out)

    def deserialize(self, topic: str, data: bytes | None) -> list[LeftOrRightValue] | None:
        if data is None:
            return None
        items, at = [], 0
        while at < len(data):
            (size,) = struct.unpack(">i", data[at : at + 4])
            raw = data[at + 4 : at + 4 + size]
            left = raw[0] == 1
            serde = self.left_serde if left else self.right_serde
            items.append(LeftOrRightValue(left, serde.deserialize(topic, bytes(raw[1:]))))
            at += 4 + size
        return items


class OuterJoinStore(KeyValueStore):
    """The shared store of a left or outer stream–stream join: records without a
    partner yet, by TimestampedKeyAndJoinSide, each key a list (ListValueStore)."""

    def __init__(self, name: str, key_serde: Serde, left: Serde, right: Serde, *, logged: bool) -> None:
        super().__init__(name, TimestampedKeyAndJoinSideSerde(key_serde), LeftOrRightValuesSerde(left, right),
                         logged=logged)  # fmt: skip

    def append(self, key: TimestampedKeyAndJoinSide, value: LeftOrRightValue) -> None:
        self.put(key, [*(self.get(key) or []), value])

    def in_time_order(self) -> Iterator[tuple[TimestampedKeyAndJoinSide, list[LeftOrRightValue]]]:
        return iter(list(self.all()))
