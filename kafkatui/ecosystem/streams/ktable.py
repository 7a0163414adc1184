"""KTable (Kafka's `KTable`): a changelog stream's latest value per key, from
`builder.table(topic)` or an aggregation; updates flow on as they happen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafkatui.ecosystem.streams import joins
from kafkatui.ecosystem.streams import operators as ops
from kafkatui.ecosystem.streams.joins_processors import Getter, ValueJoiner
from kafkatui.ecosystem.streams.naming import Builder
from kafkatui.ecosystem.streams.serdes import JsonSerde, Serde
from kafkatui.ecosystem.streams.stores import StoreBuilder
from kafkatui.ecosystem.streams.windowed_keys import WindowKeySerde
from kafkatui.ecosystem.streams.windows import SessionWindows, SlidingWindows, Suppressed, TimeWindows


class KTable:
    def __init__(
        self,
        builder: Builder,
        node: str,
        key_serde: Serde | None,
        value_serde: Serde | None,
        store: str | None = None,
        windows: TimeWindows | SlidingWindows | SessionWindows | None = None,
        *,
        getter: Getter | None = None,
        getter_stores: tuple[str, ...] = (),
    ) -> None:
        self.builder, self.node = builder, node
        self.key_serde, self.value_serde, self.store, self.windows = key_serde, value_serde, store, windows
        # Kafka's KTableValueGetterSupplier: how a join reads this table's current value
        # for a key, and the stores that reading needs connected.
        if getter is None and store is not None and windows is None:
            store_name = store
            getter, getter_stores = (lambda context: context.get_state_store(store_name).get), (store,)
        self.getter, self.getter_stores = getter, getter_stores

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
        return KTable(
            self.builder, name, self.key_serde, self.value_serde, None, self.windows,
            getter=self._derived(lambda k, v: v if v is not None and predicate(k, v) else None),
            getter_stores=self.getter_stores,
        )  # fmt: skip

    def _derived(self, change: Callable[[Any, Any], Any]) -> Getter | None:
        parent = self.getter
        if parent is None:
            return None

        def getter(context: Any) -> Callable[[Any], Any]:
            lookup = parent(context)
            return lambda key: change(key, lookup(key))

        return getter

    def map_values(self, mapper: Callable[[Any], Any], name: str | None = None) -> KTable:
        name = name or self.builder.new_processor_name("KTABLE-MAPVALUES-")
        self.builder.topology.add_processor(
            name, lambda: ops.MapValues(lambda v: None if v is None else mapper(v)), self.node
        )
        return KTable(
            self.builder, name, self.key_serde, None, None, self.windows,
            getter=self._derived(lambda k, v: None if v is None else mapper(v)),
            getter_stores=self.getter_stores,
        )  # fmt: skip

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
        # A session can grow by a gap past its end: it is final a gap + grace after it.
        grace = self.windows.grace_ms + getattr(self.windows, "inactivity_gap_ms", 0)
        topology = self.builder.topology
        topology.add_processor(name, lambda: ops.Suppress(store, grace), self.node)
        inner = self.key_serde.inner if hasattr(self.key_serde, "inner") else None
        topology.add_state_store(StoreBuilder(store, WindowKeySerde(inner), JsonSerde()), name)
        return KTable(self.builder, name, self.key_serde, self.value_serde, None, self.windows)

    # --- joins (KTableImpl#join, leftJoin, outerJoin) ----------------------------------
    def join(self, other: KTable, joiner: ValueJoiner, *, store: str | None = None,
             value_serde: Serde | None = None, name: str | None = None) -> KTable:  # fmt: skip
        """A row per key both tables have; `store` materializes the result."""
        return joins.table_table_join(self, other, joiner, False, False, store, value_serde, name)

    def left_join(self, other: KTable, joiner: ValueJoiner, *, store: str | None = None,
                  value_serde: Serde | None = None, name: str | None = None) -> KTable:  # fmt: skip
        """A row per key of this table, with the other's value or None."""
        return joins.table_table_join(self, other, joiner, True, False, store, value_serde, name)

    def outer_join(self, other: KTable, joiner: ValueJoiner, *, store: str | None = None,
                   value_serde: Serde | None = None, name: str | None = None) -> KTable:  # fmt: skip
        """A row per key either table has, None for the side without one."""
        return joins.table_table_join(self, other, joiner, True, True, store, value_serde, name)


class GlobalKTable:
    """A table kept whole on every instance (Kafka's GlobalKTable): a stream joins it
    through a KeyValueMapper that picks the table key from each record."""

    def __init__(
        self, builder: Builder, store: str, key_serde: Serde | None, value_serde: Serde | None
    ) -> None:
        self.builder, self.store = builder, store
        self.key_serde, self.value_serde = key_serde, value_serde
