"""Interactive queries (KIP-67): a read-only view of one store over the instance's local
active tasks, as Kafka's `KafkaStreams.store(StoreQueryParameters)` gives. Each task holds
the keys of its own partition, so a view asks every local task's store and the first one
that has the key answers; reads never write, so the changelog is not touched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from kafkatui.ecosystem.streams.stores import KeyValueStore, WindowStore


class InvalidStateStoreException(Exception):
    """Kafka's name: the store is unknown here, or no local task has it (yet)."""


class ReadOnlyKeyValueStore:
    def __init__(self, name: str, stores: Callable[[], list[KeyValueStore]]) -> None:
        self.name, self._stores = name, stores

    def _live(self) -> list[KeyValueStore]:
        found = self._stores()
        if not found:
            raise InvalidStateStoreException(f"store {self.name!r} is not hosted by a local task")
        return found

    def get(self, key: Any) -> Any:
        for store in self._live():
            value = store.get(key)
            if value is not None:
                return value
        return None

    def range(self, start: Any, end: Any) -> Iterator[tuple[Any, Any]]:
        for store in self._live():
            yield from store.range(start, end)

    def all(self) -> Iterator[tuple[Any, Any]]:
        for store in self._live():
            yield from store.all()

    def approximate_num_entries(self) -> int:
        return sum(store.approximate_num_entries() for store in self._live())


class ReadOnlyWindowStore(ReadOnlyKeyValueStore):
    def fetch(self, key: Any, window_start: int) -> Any:
        for store in self._live():
            assert isinstance(store, WindowStore)
            value = store.fetch(key, window_start)
            if value is not None:
                return value
        return None

    def fetch_range(self, key: Any, time_from: int, time_to: int) -> list[tuple[int, Any]]:
        found: list[tuple[int, Any]] = []
        for store in self._live():
            assert isinstance(store, WindowStore)
            found.extend(store.fetch_range(key, time_from, time_to))
        return sorted(found, key=lambda pair: pair[0])
