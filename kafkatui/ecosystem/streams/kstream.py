"""KStream (Kafka's `KStream`): each operator adds its processor
node to the builder's topology and hands back the stream or table it makes. Serdes
follow the data: an operator that keeps the key keeps its serde; one that makes a new
key or value leaves it to the application's defaults (or what a later call names)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kafkatui.ecosystem.streams import joins
from kafkatui.ecosystem.streams import operators as ops
from kafkatui.ecosystem.streams.grouped import KGroupedStream
from kafkatui.ecosystem.streams.joins import Joined, StreamJoined
from kafkatui.ecosystem.streams.joins_processors import ValueJoiner
from kafkatui.ecosystem.streams.ktable import GlobalKTable, KTable
from kafkatui.ecosystem.streams.naming import Builder
from kafkatui.ecosystem.streams.processor import ProcessorSupplier
from kafkatui.ecosystem.streams.serdes import Serde
from kafkatui.ecosystem.streams.windows import JoinWindows

KeyValueMapper = Callable[[Any, Any], Any]


class KStream:
    def __init__(
        self,
        builder: Builder,
        node: str,
        key_serde: Serde | None = None,
        value_serde: Serde | None = None,
        repartition_required: bool = False,
    ) -> None:
        self.builder, self.node = builder, node
        self.key_serde, self.value_serde = key_serde, value_serde
        self.repartition_required = repartition_required

    def _add(self, prefix: str, supplier: ProcessorSupplier, name: str | None = None) -> str:
        name = name or self.builder.new_processor_name(prefix)
        self.builder.topology.add_processor(name, supplier, self.node)
        return name

    def _then(self, node: str, *, key: bool = True, value: bool = True, rekeyed: bool = False) -> KStream:
        return KStream(
            self.builder,
            node,
            self.key_serde if key else None,
            self.value_serde if value else None,
            self.repartition_required or rekeyed,
        )

    # --- stateless ------------------------------------------------------------------
    def filter(self, predicate: Callable[[Any, Any], bool], name: str | None = None) -> KStream:
        return self._then(self._add("KSTREAM-FILTER-", lambda: ops.Filter(predicate), name))

    def filter_not(self, predicate: Callable[[Any, Any], bool], name: str | None = None) -> KStream:
        return self._then(self._add("KSTREAM-FILTER-", lambda: ops.Filter(predicate, negate=True), name))

    def map(self, mapper: Callable[[Any, Any], tuple[Any, Any]], name: str | None = None) -> KStream:
        """A new key and value per record; the key changed, so a later grouping repartitions."""
        node = self._add("KSTREAM-MAP-", lambda: ops.Map(mapper), name)
        return self._then(node, key=False, value=False, rekeyed=True)

    def map_values(self, mapper: Callable[[Any], Any], name: str | None = None) -> KStream:
        return self._then(self._add("KSTREAM-MAPVALUES-", lambda: ops.MapValues(mapper), name), value=False)

    def flat_map(
        self, mapper: Callable[[Any, Any], Iterable[tuple[Any, Any]]], name: str | None = None
    ) -> KStream:
        node = self._add("KSTREAM-FLATMAP-", lambda: ops.FlatMap(mapper), name)
        return self._then(node, key=False, value=False, rekeyed=True)

    def flat_map_values(self, mapper: Callable[[Any], Iterable[Any]], name: str | None = None) -> KStream:
        node = self._add("KSTREAM-FLATMAPVALUES-", lambda: ops.FlatMapValues(mapper), name)
        return self._then(node, value=False)

    def peek(self, action: Callable[[Any, Any], None], name: str | None = None) -> KStream:
        return self._then(self._add("KSTREAM-PEEK-", lambda: ops.Peek(action), name))

    def select_key(self, selector: KeyValueMapper, name: str | None = None) -> KStream:
        node = self._add("KSTREAM-KEY-SELECT-", lambda: ops.SelectKey(selector), name)
        return self._then(node, key=False, rekeyed=True)

    def merge(self, other: KStream, name: str | None = None) -> KStream:
        name = name or self.builder.new_processor_name("KSTREAM-MERGE-")
        self.builder.topology.add_processor(name, ops.PassThrough, self.node, other.node)
        merged = KStream(
            self.builder, name, None, None, self.repartition_required or other.repartition_required
        )
        if self.key_serde is other.key_serde:
            merged.key_serde = self.key_serde
        if self.value_serde is other.value_serde:
            merged.value_serde = self.value_serde
        return merged

    def process(self, supplier: ProcessorSupplier, *stores: str, name: str | None = None) -> KStream:
        """A Processor API node inside the DSL (KStream#process), with the named stores
        (added with `builder.topology.add_state_store` first)."""
        node = self._add("KSTREAM-PROCESSOR-", supplier, name)
        if stores:
            self.builder.topology.connect_processor_and_state_stores(node, stores=list(stores))
        return self._then(node, key=False, value=False, rekeyed=True)

    def to(self, topic: str, *, key_serde: Serde | None = None, value_serde: Serde | None = None,
           name: str | None = None) -> None:  # fmt: skip
        name = name or self.builder.new_processor_name("KSTREAM-SINK-")
        self.builder.topology.add_sink(
            name,
            topic,
            self.node,
            key_serde=key_serde or self.key_serde,
            value_serde=value_serde or self.value_serde,
        )

    # --- joins (KStreamImpl#join, leftJoin, outerJoin) ---------------------------------
    def join(self, other: KStream | KTable | GlobalKTable, joiner: Any, windows: Any = None,
             stream_joined: StreamJoined | None = None, *, name: str | None = None) -> KStream:  # fmt: skip
        """Inner join. With a KStream: `join(other, joiner, JoinWindows, StreamJoined)`;
        with a KTable: `join(table, joiner, Joined)` (the table's value when the record
        arrives);
        with a GlobalKTable: `join(global_table, key_mapper, joiner)`. `joiner` is
        (value, other) or (key, value, other)."""
        return self._join(other, joiner, windows, stream_joined, name, False, False)

    def left_join(self, other: KStream | KTable | GlobalKTable, joiner: Any, windows: Any = None,
                  stream_joined: StreamJoined | None = None, *,
                  name: str | None = None) -> KStream:  # fmt: skip
        """As `join`, and a record with no partner is joined with None (for two streams:
        once its window and grace have passed)."""
        return self._join(other, joiner, windows, stream_joined, name, True, False)

    def outer_join(self, other: KStream, joiner: ValueJoiner, windows: JoinWindows,
                   stream_joined: StreamJoined | None = None) -> KStream:  # fmt: skip
        """Two streams; a record of either side with no partner is joined with None."""
        if not isinstance(other, KStream):
            raise TypeError("outer_join joins two KStreams (a KTable: table.outer_join)")
        return joins.stream_stream_join(self, other, joiner, windows, stream_joined, True, True)

    def _join(self, other: Any, joiner: Any, third: Any, joined: StreamJoined | None, name: str | None,
              left: bool, right: bool) -> KStream:  # fmt: skip
        if isinstance(other, KStream):
            if not isinstance(third, JoinWindows):
                raise TypeError("a KStream-KStream join needs JoinWindows (JoinWindows.of_time_difference_…)")
            if name is not None:
                joined = (joined or StreamJoined()).with_name(name)
            return joins.stream_stream_join(self, other, joiner, third, joined, left, right)
        if isinstance(other, KTable):
            if third is not None and not isinstance(third, Joined):
                raise TypeError("a KStream-KTable join takes Joined (or nothing) after the joiner")
            table_joined = third or Joined()
            if name is not None:
                table_joined = table_joined.with_name(name)
            return joins.stream_table_join(self, other, joiner, left, table_joined)
        if isinstance(other, GlobalKTable):
            if not callable(third):
                raise TypeError("a GlobalKTable join is join(global_table, key_mapper, joiner)")
            return joins.stream_global_join(self, other, joiner, third, left, name)
        raise TypeError(f"cannot join a KStream with {type(other).__name__}")

    # --- branching ------------------------------------------------------------------
    def split(self, name: str | None = None) -> BranchedKStream:
        return BranchedKStream(self, name or self.builder.new_processor_name("KSTREAM-BRANCH-"))

    def branch(self, *predicates: Callable[[Any, Any], bool]) -> list[KStream]:
        """The older KStream#branch: one stream per predicate, a record in the first
        that matches."""
        branch = self.builder.new_processor_name("KSTREAM-BRANCH-")
        children = [self.builder.new_processor_name("KSTREAM-BRANCHCHILD-") for _ in predicates]
        self.builder.topology.add_processor(branch, lambda: ops.Branch(list(predicates), children), self.node)
        for child in children:
            self.builder.topology.add_processor(child, ops.PassThrough, branch)
        return [
            KStream(self.builder, c, self.key_serde, self.value_serde, self.repartition_required)
            for c in children
        ]

    # --- grouping -------------------------------------------------------------------
    def group_by_key(self, *, key_serde: Serde | None = None, value_serde: Serde | None = None,
                     name: str | None = None) -> KGroupedStream:  # fmt: skip
        return KGroupedStream(
            self.builder, self.node, key_serde or self.key_serde, value_serde or self.value_serde,
            self.repartition_required, name,
        )  # fmt: skip

    def group_by(self, selector: KeyValueMapper, *, key_serde: Serde | None = None,
                 value_serde: Serde | None = None, name: str | None = None) -> KGroupedStream:  # fmt: skip
        """Group by a new key: a `KSTREAM-KEY-SELECT` node, then the aggregation writes
        through a repartition topic so each key's records meet in one task."""
        node = self._add("KSTREAM-KEY-SELECT-", lambda: ops.SelectKey(selector))
        return KGroupedStream(self.builder, node, key_serde, value_serde or self.value_serde, True, name)


class BranchedKStream:
    """KStream#split(): `branch(predicate, name)` … then `default_branch()` or
    `no_default_branch()`, which answer the branches by name (the split's name and the
    branch's own name or number, from 1; the default branch is 0)."""

    def __init__(self, source: KStream, name: str) -> None:
        self.source, self.name = source, name
        self.predicates: list[Callable[[Any, Any], bool]] = []
        self.children: list[str] = []

    def branch(self, predicate: Callable[[Any, Any], bool], name: str | None = None) -> BranchedKStream:
        self.predicates.append(predicate)
        self.children.append(self.name + (name if name is not None else str(len(self.predicates))))
        return self

    def default_branch(self, name: str | None = None) -> dict[str, KStream]:
        self.predicates.append(lambda k, v: True)
        self.children.append(self.name + (name if name is not None else "0"))
        return self.no_default_branch()

    def no_default_branch(self) -> dict[str, KStream]:
        topology, source = self.source.builder.topology, self.source
        predicates, children = list(self.predicates), list(self.children)
        topology.add_processor(self.name, lambda: ops.Branch(predicates, children), source.node)
        for child in children:
            topology.add_processor(child, ops.PassThrough, self.name)
        return {
            c: KStream(source.builder, c, source.key_serde, source.value_serde, source.repartition_required)
            for c in children
        }
