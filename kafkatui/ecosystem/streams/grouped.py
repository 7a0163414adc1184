"""Grouped streams and their aggregations (Kafka's `KGroupedStream`,
`TimeWindowedKStream`): `count`, `reduce`, `aggregate` into a store per task. When the
grouping changed the key, the records first go through a repartition topic
`<store or grouping name>-repartition` (a sink, a null-key filter before it, a source
after it: a new sub-topology), so every record of a key reaches the same task."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafkatui.ecosystem.streams import operators as ops
from kafkatui.ecosystem.streams.ktable import KTable
from kafkatui.ecosystem.streams.naming import Builder
from kafkatui.ecosystem.streams.serdes import LongSerde, Serde, WindowedTextSerde
from kafkatui.ecosystem.streams.stores import StoreBuilder
from kafkatui.ecosystem.streams.windows import SessionWindows, SlidingWindows, TimeWindows
from kafkatui.ecosystem.streams.windows_session import SessionWindowAggregate, session_store
from kafkatui.ecosystem.streams.windows_sliding import SlidingWindowAggregate, sliding_store


class KGroupedStream:
    def __init__(
        self,
        builder: Builder,
        node: str,
        key_serde: Serde | None,
        value_serde: Serde | None,
        repartition_required: bool,
        name: str | None = None,
    ) -> None:
        self.builder, self.node = builder, node
        self.key_serde, self.value_serde = key_serde, value_serde
        self.repartition_required, self.name = repartition_required, name

    def _parent(self, store: str) -> str:
        """The node the aggregation reads: this one, or a repartition topic's source
        (Kafka draws the sink's, the filter's and the source's names in that order)."""
        if not self.repartition_required:
            return self.node
        topology = self.builder.topology
        topic = f"{self.name or store}-repartition"
        sink = self.builder.new_processor_name("KSTREAM-SINK-")
        filter_ = self.builder.new_processor_name("KSTREAM-FILTER-")
        source = self.builder.new_processor_name("KSTREAM-SOURCE-")
        topology.add_internal_topic(topic)
        topology.add_processor(filter_, lambda: ops.Filter(lambda k, v: k is not None), self.node)
        topology.add_sink(sink, topic, filter_, key_serde=self.key_serde, value_serde=self.value_serde)
        topology.add_source(source, topic, key_serde=self.key_serde, value_serde=self.value_serde)
        return source

    def _aggregate(
        self,
        prefix: str,
        store: str | None,
        value_serde: Serde | None,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
    ) -> KTable:
        store_name = store or self.builder.new_store_name(prefix)
        name = self.builder.new_processor_name(prefix)
        parent = self._parent(store_name)
        topology = self.builder.topology
        topology.add_processor(name, lambda: ops.Aggregate(store_name, initializer, aggregator), parent)
        topology.add_state_store(StoreBuilder(store_name, self.key_serde, value_serde), name)
        return KTable(self.builder, name, self.key_serde, value_serde, store_name)

    def count(self, store: str | None = None) -> KTable:
        """Records per key, as a KTable of longs (stored with LongSerde)."""
        return self._aggregate("KSTREAM-AGGREGATE-", store, LongSerde(), lambda: 0, lambda k, v, n: n + 1)

    def reduce(self, reducer: Callable[[Any, Any], Any], store: str | None = None) -> KTable:
        """The first value of a key as is, then reducer(aggregate, value)."""
        return self._aggregate(
            "KSTREAM-REDUCE-", store, self.value_serde, None, lambda k, v, agg: reducer(agg, v)
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        *,
        value_serde: Serde | None = None,
        store: str | None = None,
    ) -> KTable:
        """aggregator(key, value, aggregate) from initializer() per key; `value_serde` is
        how the store and its changelog write the aggregate (default: the application's)."""
        return self._aggregate("KSTREAM-AGGREGATE-", store, value_serde, initializer, aggregator)

    def windowed_by(self, windows: TimeWindows | SlidingWindows | SessionWindows) -> Any:
        if isinstance(windows, SlidingWindows):
            return SlidingWindowedKStream(self, windows)
        if isinstance(windows, SessionWindows):
            return SessionWindowedKStream(self, windows)
        return TimeWindowedKStream(self, windows)


class TimeWindowedKStream:
    def __init__(self, grouped: KGroupedStream, windows: TimeWindows) -> None:
        self.grouped, self.windows = grouped, windows

    def _aggregate(
        self,
        prefix: str,
        store: str | None,
        value_serde: Serde | None,
        initializer: Callable[[], Any] | None,
        aggregator: Callable[[Any, Any, Any], Any],
    ) -> KTable:
        grouped, builder, windows = self.grouped, self.grouped.builder, self.windows
        store_name = store or builder.new_store_name(prefix)
        name = builder.new_processor_name(prefix)
        parent = grouped._parent(store_name)
        topology = builder.topology
        topology.add_processor(
            name, lambda: ops.WindowAggregate(store_name, windows, initializer, aggregator), parent
        )
        topology.add_state_store(
            StoreBuilder(
                store_name, grouped.key_serde, value_serde, True, windows.size_ms, windows.retention_ms
            ),
            name,
        )
        return KTable(builder, name, WindowedTextSerde(grouped.key_serde), value_serde, store_name, windows)

    def count(self, store: str | None = None) -> KTable:
        return self._aggregate("KSTREAM-AGGREGATE-", store, LongSerde(), lambda: 0, lambda k, v, n: n + 1)

    def reduce(self, reducer: Callable[[Any, Any], Any], store: str | None = None) -> KTable:
        return self._aggregate(
            "KSTREAM-REDUCE-", store, self.grouped.value_serde, None, lambda k, v, agg: reducer(agg, v)
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        *,
        value_serde: Serde | None = None,
        store: str | None = None,
    ) -> KTable:
        return self._aggregate("KSTREAM-AGGREGATE-", store, value_serde, initializer, aggregator)


def _reducing(reducer: Callable[[Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    return lambda k, v, agg: v if agg is None else reducer(agg, v)


class SlidingWindowedKStream:
    """Kafka's SlidingWindowedKStream (KIP-450): count, reduce, aggregate per window of
    `time_difference` around each record (windows_sliding.py)."""

    def __init__(self, grouped: KGroupedStream, windows: SlidingWindows) -> None:
        self.grouped, self.windows = grouped, windows

    def _aggregate(self, prefix: str, store: str | None, value_serde: Serde | None,
                   initializer: Callable[[], Any] | None,
                   aggregator: Callable[[Any, Any, Any], Any]) -> KTable:  # fmt: skip
        grouped, builder, windows = self.grouped, self.grouped.builder, self.windows
        store_name = store or builder.new_store_name(prefix)
        name = builder.new_processor_name(prefix)
        parent = grouped._parent(store_name)
        topology = builder.topology
        topology.add_processor(
            name, lambda: SlidingWindowAggregate(store_name, windows, initializer, aggregator), parent
        )
        topology.add_state_store(sliding_store(store_name, grouped.key_serde, value_serde, windows), name)
        return KTable(builder, name, WindowedTextSerde(grouped.key_serde), value_serde, store_name, windows)

    def count(self, store: str | None = None) -> KTable:
        return self._aggregate("KSTREAM-AGGREGATE-", store, LongSerde(), lambda: 0, lambda k, v, n: n + 1)

    def reduce(self, reducer: Callable[[Any, Any], Any], store: str | None = None) -> KTable:
        return self._aggregate("KSTREAM-REDUCE-", store, self.grouped.value_serde, None, _reducing(reducer))

    def aggregate(self, initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any], *,
                  value_serde: Serde | None = None, store: str | None = None) -> KTable:  # fmt: skip
        return self._aggregate("KSTREAM-AGGREGATE-", store, value_serde, initializer, aggregator)


class SessionWindowedKStream:
    """Kafka's SessionWindowedKStream: count, reduce, aggregate(initializer, aggregator,
    merger) per session (windows_session.py); merged-away sessions become tombstones."""

    def __init__(self, grouped: KGroupedStream, windows: SessionWindows) -> None:
        self.grouped, self.windows = grouped, windows

    def _aggregate(self, prefix: str, store: str | None, value_serde: Serde | None,
                   initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any],
                   merger: Callable[[Any, Any, Any], Any]) -> KTable:  # fmt: skip
        grouped, builder, windows = self.grouped, self.grouped.builder, self.windows
        store_name = store or builder.new_store_name(prefix)
        name = builder.new_processor_name(prefix)
        parent = grouped._parent(store_name)
        topology = builder.topology
        topology.add_processor(
            name, lambda: SessionWindowAggregate(store_name, windows, initializer, aggregator, merger), parent
        )
        topology.add_state_store(session_store(store_name, grouped.key_serde, value_serde, windows), name)
        return KTable(builder, name, WindowedTextSerde(grouped.key_serde), value_serde, store_name, windows)

    def count(self, store: str | None = None) -> KTable:
        return self._aggregate("KSTREAM-AGGREGATE-", store, LongSerde(), lambda: 0, lambda k, v, n: n + 1,
                               lambda k, a, b: a + b)  # fmt: skip

    def reduce(self, reducer: Callable[[Any, Any], Any], store: str | None = None) -> KTable:
        aggregator = _reducing(reducer)
        return self._aggregate("KSTREAM-REDUCE-", store, self.grouped.value_serde, lambda: None, aggregator,
                               lambda k, a, b: aggregator(k, b, a))  # fmt: skip

    def aggregate(self, initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any],
                  merger: Callable[[Any, Any, Any], Any], *, value_serde: Serde | None = None,
                  store: str | None = None) -> KTable:  # fmt: skip
        """merger(key, aggregate one, aggregate two): two sessions' aggregates as one."""
        return self._aggregate("KSTREAM-AGGREGATE-", store, value_serde, initializer, aggregator, merger)
