"""State stores: a key-value store and a window store, as Kafka's `KeyValueStore` and
`WindowStore` look to a processor. Each keeps its entries in memory, keyed by the
serialized key (so ranges run in Kafka's byte order), and reports every change to its
task: to the changelog topic `<application.id>-<store>-changelog` (Kafka's
ChangeLoggingKeyValueBytesStore) and to the task's SQLite file at the next commit.
A window store's changelog key is Kafka's WindowKeySchema: key bytes, window start
(8 bytes), sequence number (4 bytes)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kafkatui.ecosystem.streams.records import TimeWindow, Windowed
from kafkatui.ecosystem.streams.serdes import Serde

# (key bytes, value bytes or None for a delete): where a change goes besides memory.
ChangeSink = Callable[[bytes, "bytes | None"], None]


class KeyValueStore:
    windowed = False

    def __init__(self, name: str, key_serde: Serde, value_serde: Serde, *, logged: bool = True) -> None:
        self.name, self.key_serde, self.value_serde, self.logged = name, key_serde, value_serde, logged
        self._entries: dict[bytes, tuple[Any, Any]] = {}
        self.dirty: dict[bytes, bytes | None] = {}  # what SQLite has not seen yet
        self._changelog: ChangeSink | None = None
        # The topic its serdes are called with: Kafka's StateSerdes use the changelog
        # topic's name (the source topic's for a global store), so a registry serde's
        # subject is `<application.id>-<store>-changelog-value`. Set by the task.
        self.topic = name

    def attach(self, changelog: ChangeSink | None) -> None:
        self._changelog = changelog if self.logged else None

    def _changed(self, raw_key: bytes, raw_value: bytes | None) -> None:
        self.dirty[raw_key] = raw_value
        if self._changelog is not None:
            self._changelog(raw_key, raw_value)

    def _raw(self, key: Any) -> bytes:
        raw = self.key_serde.serialize(self.topic, key)
        if raw is None:
            raise ValueError(f"store {self.name} cannot hold a null key")
        return raw

    # --- what a processor calls ---------------------------------------------------
    def get(self, key: Any) -> Any:
        found = self._entries.get(self._raw(key))
        return None if found is None else found[1]

    def put(self, key: Any, value: Any) -> None:
        raw = self._raw(key)
        if value is None:
            self._entries.pop(raw, None)
            self._changed(raw, None)
            return
        self._entries[raw] = (key, value)
        self._changed(raw, self.value_serde.serialize(self.topic, value))

    def put_if_absent(self, key: Any, value: Any) -> Any:
        current = self.get(key)
        if current is None:
            self.put(key, value)
        return current

    def delete(self, key: Any) -> Any:
        current = self.get(key)
        self.put(key, None)
        return current

    def all(self) -> Iterator[tuple[Any, Any]]:
        for raw in sorted(self._entries):
            yield self._entries[raw]

    def range(self, start: Any, end: Any) -> Iterator[tuple[Any, Any]]:
        """Keys from `start` to `end`, both included, in byte order (Kafka's range)."""
        low, high = self._raw(start), self._raw(end)
        for raw in sorted(self._entries):
            if low <= raw <= high:
                yield self._entries[raw]

    def approximate_num_entries(self) -> int:
        return len(self._entries)

    # --- restore (changelog or SQLite): bytes in, no change reported -----------------
    def restore(self, raw_key: bytes, raw_value: bytes | None) -> None:
        if raw_value is None:
            self._entries.pop(raw_key, None)
        else:
            key = self.key_serde.deserialize(self.topic, raw_key)
            self._entries[raw_key] = (key, self.value_serde.deserialize(self.topic, raw_value))


def window_store_key(raw_key: bytes, start: int, seqnum: int = 0) -> bytes:
    return raw_key + struct.pack(">qi", start, seqnum)


class WindowStore(KeyValueStore):
    """Windows of a fixed size per key; windows that end before stream time minus the
    retention are dropped (Kafka drops whole segments; here each window)."""

    windowed = True

    def __init__(
        self,
        name: str,
        key_serde: Serde,
        value_serde: Serde,
        *,
        size_ms: int,
        retention_ms: int,
        logged: bool = True,
    ) -> None:
        super().__init__(name, key_serde, value_serde, logged=logged)
        self.size_ms, self.retention_ms = size_ms, retention_ms

    def put(self, key: Any, value: Any, window_start: int = 0) -> None:  # type: ignore[override]
        raw = window_store_key(self._raw(key), window_start)
        if value is None:
            self._entries.pop(raw, None)
            self._changed(raw, None)
            return
        self._entries[raw] = (Windowed(key, TimeWindow(window_start, window_start + self.size_ms)), value)
        self._changed(raw, self.value_serde.serialize(self.topic, value))

    def fetch(self, key: Any, window_start: int) -> Any:
        found = self._entries.get(window_store_key(self._raw(key), window_start))
        return None if found is None else found[1]

    def fetch_range(self, key: Any, time_from: int, time_to: int) -> list[tuple[int, Any]]:
        """(window start, value) of `key`'s windows starting in [time_from, time_to]."""
        prefix = self._raw(key)
        found = []
        for raw, (windowed, value) in self._entries.items():
            if raw[:-12] == prefix and time_from <= windowed.window.start <= time_to:
                found.append((windowed.window.start, value))
        return sorted(found)

    def get(self, key: Any) -> Any:
        if isinstance(key, Windowed):
            return self.fetch(key.key, key.window.start)
        raise TypeError("a window store is read with fetch(key, start) or get(Windowed)")

    def expire(self, stream_time: int) -> None:
        horizon = stream_time - self.retention_ms
        for raw in [r for r, (w, _) in self._entries.items() if w.window.end <= horizon]:
            del self._entries[raw]  # the changelog keeps it until its own retention.ms

    def restore(self, raw_key: bytes, raw_value: bytes | None) -> None:
        if raw_value is None:
            self._entries.pop(raw_key, None)
            return
        start = struct.unpack(">q", raw_key[-12:-4])[0]
        key = self.key_serde.deserialize(self.topic, raw_key[:-12])
        windowed = Windowed(key, TimeWindow(start, start + self.size_ms))
        self._entries[raw_key] = (windowed, self.value_serde.deserialize(self.topic, raw_value))


@dataclass
class StoreBuilder:
    """How a topology makes a store for each task (Kafka's `StoreBuilder`); serdes left
    None take the application's defaults."""

    name: str
    key_serde: Serde | None = None
    value_serde: Serde | None = None
    logged: bool = True
    window_size_ms: int | None = None
    retention_ms: int | None = None
    # A store of another kind (a join's window store, its outer-join store): made from
    # the serdes the builder settles on.
    factory: Callable[[str, Serde, Serde, bool], KeyValueStore] | None = None
    # A window store that keeps every record (a join's): its changelog is only deleted
    # by time, never compacted (each record's key is unique anyway).
    retain_duplicates: bool = False

    def build(self, default_key: Serde, default_value: Serde) -> KeyValueStore:
        key, value = self.key_serde or default_key, self.value_serde or default_value
        if self.factory is not None:
            return self.factory(self.name, key, value, self.logged)
        if self.window_size_ms is not None:
            retention = self.retention_ms if self.retention_ms is not None else 86_400_000
            return WindowStore(
                self.name, key, value, size_ms=self.window_size_ms, retention_ms=retention, logged=self.logged
            )
        return KeyValueStore(self.name, key, value, logged=self.logged)


class Stores:
    """Kafka's `Stores` factory, for the Processor API."""

    @staticmethod
    def key_value_store(
        name: str, key_serde: Serde | None = None, value_serde: Serde | None = None, *, logged: bool = True
    ) -> StoreBuilder:
        return StoreBuilder(name, key_serde, value_serde, logged)

    @staticmethod
    def window_store(
        name: str,
        size_ms: int,
        retention_ms: int,
        key_serde: Serde | None = None,
        value_serde: Serde | None = None,
    ) -> StoreBuilder:
        return StoreBuilder(name, key_serde, value_serde, True, size_ms, retention_ms)
