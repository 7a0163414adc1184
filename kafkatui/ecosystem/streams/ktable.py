"""KTable (Kafka's `KTable`): a changelog stream's latest value per key, from
`builder.table(topic)` or an aggregation; updates flow on as they happen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafkatui.ecosystem.streams import operators as ops
from kafkatui.ecosystem.streams.naming import Builder
from kafkatui.ecosystem.streams.serdes import JsonSerde, Serde
from kafkatui.ecosystem.streams.stores import StoreBuilder
from kafkatui.ecosystem.streams.windowed_keys import WindowKeySerde
from kafkatui.ecosystem.streams.windows import Suppressed, TimeWindows


class KTable:
    def __init__(
        self,
        builder: Builder,
        node: str,
        key_serde: Serde | None,
        value_serde: Serde | None,
        store: str | None = None,
        windows: TimeWindows | None = None,
    ) -> None:
        self.builder, self.node = builder, node
        self.key_serde, self.value_serde, self.store, self.windows = key_serde, value_serde, store, windows

    def to_stream(self, name: str | None = None) -> Any:
        """The table's updates as a KStream (a null value for a delete)."""
        name = name or self.builder.new_processor_name("KTABLE-TOSTREAM-")
        self.builder.topology.add_processor(name, ops.PassThrough, self.node)
        return self.builder.stream_of(name, self.key_serde, self.value_serde)

    def filter(self, predicate: Callable[[Any, Any], bool], name: str | None = None) -> KTable:
        """Updates whose new value fails the predicate become deletes (KTableFilter)."""
        name = name or self.builder.new_processor_name("KTABLE-FILTER-")
        self.builder.topology.add_processor(
            name,
            lambda: ops.Map(lambda k, v: (k, v if v is not None and predicate(k, v) else None)),
            self.node,
        )
        return KTable(self.builder, name, self.key_serde, self.value_serde, None, self.windows)

    def map_values(self, mapper: Callable[[Any], Any], name: str | None = None) -> KTable:
        name = name or self.builder.new_processor_name("KTABLE-MAPVALUES-")
        self.builder.topology.add_processor(
            name, lambda: ops.MapValues(lambda v: None if v is None else mapper(v)), self.node
        )
        return KTable(self.builder, name, self.key_serde, None, None, self.windows)

    def suppress(self, suppressed: Suppressed) -> KTable:
        """Final results of a windowed table: one update per window once it closes."""
        if self.windows is None:
            raise ValueError(
                "suppress(until_window_closes) needs a windowed KTable (group ... windowed_by ...)"
            )
        name = suppressed.name or self.builder.new_processor_name("KTABLE-SUPPRESS-")
        store = (
            f"{suppressed.name}-store" if suppressed.name else self.builder.new_store_name("KTABLE-SUPPRESS-")
        )
        grace = self.windows.grace_ms
        topology = self.builder.topology
        topology.add_processor(name, lambda: ops.Suppress(store, grace), self.node)
        inner = self.key_serde.inner if hasattr(self.key_serde, "inner") else None
        topology.add_state_store(StoreBuilder(store, WindowKeySerde(inner), JsonSerde()), name)
        return KTable(self.builder, name, self.key_serde, self.value_serde, None, self.windows)
