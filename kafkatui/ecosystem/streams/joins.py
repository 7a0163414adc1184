"""The DSL's joins wired into the topology as Kafka's KStreamImpl, KStreamImplJoin and
KTableImpl wire them, node names and all (drawn from the builder's one counter in
Kafka's order), so describe() prints what Kafka prints:

- KStream–KStream: `KSTREAM-WINDOWED-` per side (each keeps its window store),
  `KSTREAM-JOINTHIS-`/`KSTREAM-OUTERTHIS-` and `KSTREAM-JOINOTHER-`/`KSTREAM-OUTEROTHER-`
  (each reads the other side's store), `KSTREAM-MERGE-`; stores `<join node>-store`,
  and for left/outer joins `KSTREAM-OUTERSHARED-<n>-store`.
- KStream–KTable: `KSTREAM-JOIN-`/`KSTREAM-LEFTJOIN-` with the table's store.
- KTable–KTable: `KTABLE-MERGE-`, `KTABLE-JOINTHIS-`, `KTABLE-JOINOTHER-`.
- KStream–GlobalKTable: `KSTREAM-JOIN-`/`KSTREAM-LEFTJOIN-`, the global store not
  connected (every task reaches it).

A stream whose key was changed is first written through a repartition topic
`<node>-repartition` (KStreamImpl#repartitionForJoin); the sources joined together
form a co-partition group the runtime checks at start."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from kafkatui.ecosystem.streams import operators as ops
from kafkatui.ecosystem.streams.joins_processors import (
    Getter,
    JoinSpec,
    JoinWindow,
    StreamStreamJoin,
    StreamTableJoin,
    TableJoinMerge,
    TableTableJoin,
    TimeTrackers,
    ValueJoiner,
    with_key,
)
from kafkatui.ecosystem.streams.joins_stores import JoinWindowStore, OuterJoinStore
from kafkatui.ecosystem.streams.naming import Builder
from kafkatui.ecosystem.streams.serdes import Serde
from kafkatui.ecosystem.streams.stores import StoreBuilder
from kafkatui.ecosystem.streams.windows import JoinWindows


class KStream(Protocol):
    """What the joins read of a KStream (kstream.py imports this module, not the reverse)."""

    builder: Builder
    node: str
    key_serde: Serde | None
    value_serde: Serde | None
    repartition_required: bool


class KTable(Protocol):
    builder: Builder
    node: str
    key_serde: Serde | None
    getter: Getter | None
    getter_stores: tuple[str, ...]


class GlobalKTable(Protocol):
    store: str


@dataclass(frozen=True)
class StreamJoined:
    """Kafka's StreamJoined: the serdes of a stream–stream join's stores, a base name for
    its processors (`with_name`) and stores (`with_store_name`), logging on or off."""

    key_serde: Serde | None = None
    value_serde: Serde | None = None
    other_value_serde: Serde | None = None
    name: str | None = None
    store_name: str | None = None
    logged: bool = True

    @classmethod
    def with_serdes(
        cls, key_serde: Serde | None, value_serde: Serde | None, other_value_serde: Serde | None
    ) -> StreamJoined:
        return cls(key_serde, value_serde, other_value_serde)

    def with_name(self, name: str) -> StreamJoined:
        return replace(self, name=name)

    def with_store_name(self, store_name: str) -> StreamJoined:
        return replace(self, store_name=store_name)

    def with_logging_disabled(self) -> StreamJoined:
        return replace(self, logged=False)


@dataclass(frozen=True)
class Joined:
    """Kafka's Joined, for a KStream–KTable join: the serdes of the stream's repartition
    topic when its key changed (the table's value serde is the table's), and a name for
    the join node (and the repartition topic, `<name>-repartition`)."""

    key_serde: Serde | None = None
    value_serde: Serde | None = None
    other_value_serde: Serde | None = None
    name: str | None = None

    @classmethod
    def with_serdes(
        cls, key_serde: Serde | None, value_serde: Serde | None, other_value_serde: Serde | None = None
    ) -> Joined:
        return cls(key_serde, value_serde, other_value_serde)

    @classmethod
    def as_(cls, name: str) -> Joined:
        return cls(name=name)

    def with_name(self, name: str) -> Joined:
        return replace(self, name=name)


def repartition_for_join(
    stream: KStream, name: str, key_serde: Serde | None, value_serde: Serde | None
) -> KStream:
    """KStreamImpl#repartitionForJoin: sink → `<name>-repartition` → source, with the
    null-key filter before the sink (names drawn sink, filter, source, as Kafka does;
    with a user's name they are `<topic>-sink`, `-filter`, `-source`)."""
    builder, topology = stream.builder, stream.builder.topology
    key_serde, value_serde = key_serde or stream.key_serde, value_serde or stream.value_serde
    topic = name if name.endswith("-repartition") else f"{name}-repartition"
    sink = builder.new_processor_name("KSTREAM-SINK-")
    filter_ = builder.new_processor_name("KSTREAM-FILTER-")
    source = builder.new_processor_name("KSTREAM-SOURCE-")
    if not re.fullmatch(r"KSTREAM.*-[0-9]{10}", name):  # a user's name names the nodes too
        sink, filter_, source = f"{topic}-sink", f"{topic}-filter", f"{topic}-source"
    topology.add_internal_topic(topic)
    topology.add_processor(filter_, lambda: ops.Filter(lambda k, v: k is not None), stream.node)
    topology.add_sink(sink, topic, filter_, key_serde=key_serde, value_serde=value_serde)
    topology.add_source(source, topic, key_serde=key_serde, value_serde=value_serde)
    return builder.stream_of(source, key_serde, value_serde)


def stream_stream_join(
    this: KStream,
    other: KStream,
    joiner: ValueJoiner,
    windows: JoinWindows,
    joined: StreamJoined | None,
    left_outer: bool,
    right_outer: bool,
) -> KStream:
    joined = joined or StreamJoined()
    if this.repartition_required:
        this = repartition_for_join(this, f"{joined.name}-left" if joined.name else this.node,
                                    joined.key_serde, joined.value_serde)  # fmt: skip
    if other.repartition_required:
        other = repartition_for_join(other, f"{joined.name}-right" if joined.name else other.node,
                                     joined.key_serde, joined.other_value_serde)  # fmt: skip
    builder, topology = this.builder, this.builder.topology
    topology.copartition(topology.source_topics_of(this.node) | topology.source_topics_of(other.node))

    def named(suffix: str, prefix: str) -> str:
        generated = builder.new_processor_name(prefix)  # drawn even when named, as Kafka does
        return f"{joined.name}{suffix}" if joined.name else generated

    this_windowed = named("-this-windowed", "KSTREAM-WINDOWED-")
    other_windowed = named("-other-windowed", "KSTREAM-WINDOWED-")
    this_generated = builder.new_processor_name("KSTREAM-OUTERTHIS-" if right_outer else "KSTREAM-JOINTHIS-")
    other_generated = builder.new_processor_name(
        "KSTREAM-OUTEROTHER-" if left_outer else "KSTREAM-JOINOTHER-"
    )
    this_suffix = "-outer-this-join" if right_outer else "-this-join"
    other_suffix = "-outer-other-join" if left_outer else "-other-join"
    this_name = f"{joined.name}{this_suffix}" if joined.name else this_generated
    other_name = f"{joined.name}{other_suffix}" if joined.name else other_generated
    merge = named("-merge", "KSTREAM-MERGE-")

    base = joined.store_name
    this_store = f"{base}{this_suffix}-store" if base else f"{this_generated}-store"
    other_store = f"{base}{other_suffix}-store" if base else f"{other_generated}-store"
    retention = windows.retention_ms
    key_serde = joined.key_serde or this.key_serde

    def window_store(name: str, value_serde: Serde | None) -> StoreBuilder:
        return StoreBuilder(
            name, key_serde, value_serde, joined.logged, windows.size_ms, retention,
            factory=lambda n, k, v, logged: JoinWindowStore(n, k, v, retention_ms=retention, logged=logged),
            retain_duplicates=True,
        )  # fmt: skip

    this_value, other_value = (
        joined.value_serde or this.value_serde,
        joined.other_value_serde or other.value_serde,
    )
    outer_store = None
    if left_outer and windows.spurious_result_fix:
        suffix = "-outer-shared-join" if right_outer else "-left-shared-join"
        prefix = "KSTREAM-OUTERTHIS-" if right_outer else "KSTREAM-JOINTHIS-"
        shared = f"{base}{suffix}" if base else "KSTREAM-OUTERSHARED-" + this_generated[len(prefix) :]
        outer_store = f"{shared}-store"

    spec = JoinSpec(windows.before_ms, windows.after_ms, windows.grace_ms)
    trackers = TimeTrackers()
    topology.add_processor(this_windowed, lambda: JoinWindow(this_store), this.node)
    topology.add_processor(other_windowed, lambda: JoinWindow(other_store), other.node)
    topology.add_processor(
        this_name,
        lambda: StreamStreamJoin(True, other_store, spec, joiner, left_outer, outer_store, trackers),
        this_windowed,
    )
    topology.add_processor(
        other_name,
        lambda: StreamStreamJoin(False, this_store, spec, joiner, right_outer, outer_store, trackers),
        other_windowed,
    )
    topology.add_processor(merge, ops.PassThrough, this_name, other_name)
    topology.add_state_store(window_store(this_store, this_value), this_windowed, other_name)
    topology.add_state_store(window_store(other_store, other_value), other_windowed, this_name)
    if outer_store is not None:
        # The left/right serdes fall back to the application's defaults at build time.
        topology.add_state_store(
            StoreBuilder(
                outer_store, key_serde, None, joined.logged,
                factory=lambda n, k, v, logged: OuterJoinStore(
                    n, k, this_value or v, other_value or v, logged=logged
                ),
            ),
            this_name, other_name,
        )  # fmt: skip
    # The joined value's serde is unknown; the key's could differ between the sides.
    return builder.stream_of(merge, joined.key_serde, None)


def stream_table_join(
    stream: KStream, table: KTable, joiner: ValueJoiner, left: bool, joined: Joined | None
) -> KStream:
    if table.getter is None:
        raise ValueError(
            f"{table.node} cannot be joined: a windowed or suppressed KTable has no value getter"
        )
    joined = joined or Joined()
    name = joined.name
    if stream.repartition_required:
        stream = repartition_for_join(stream, name or stream.node, joined.key_serde, joined.value_serde)
    builder, topology = stream.builder, stream.builder.topology
    topology.copartition(topology.source_topics_of(stream.node) | topology.source_topics_of(table.node))
    node = name or builder.new_processor_name("KSTREAM-LEFTJOIN-" if left else "KSTREAM-JOIN-")
    getter = table.getter
    topology.add_processor(node, lambda: StreamTableJoin(getter, joiner, left), stream.node)
    topology.connect_processor_and_state_stores(node, stores=list(table.getter_stores))
    return builder.stream_of(node, stream.key_serde, None)


def stream_global_join(
    stream: KStream, table: GlobalKTable, mapper: Callable[[Any, Any], Any], joiner: ValueJoiner, left: bool,
    name: str | None,
) -> KStream:  # fmt: skip
    builder = stream.builder
    node = name or builder.new_processor_name("KSTREAM-LEFTJOIN-" if left else "KSTREAM-JOIN-")
    store = table.store
    getter: Getter = lambda context: context.get_state_store(store).get  # noqa: E731
    builder.topology.add_processor(node, lambda: StreamTableJoin(getter, joiner, left, mapper), stream.node)
    return builder.stream_of(node, stream.key_serde, None)


def table_table_join(
    this: KTable, other: KTable, joiner: ValueJoiner, left_outer: bool, right_outer: bool,
    store: str | None, value_serde: Serde | None, name: str | None,
) -> KTable:  # fmt: skip
    for table in (this, other):
        if table.getter is None:
            raise ValueError(
                f"{table.node} cannot be joined: a windowed or suppressed KTable has no value getter"
            )
    builder, topology = this.builder, this.builder.topology
    merge = f"{name}" if name else builder.new_processor_name("KTABLE-MERGE-")
    topology.copartition(topology.source_topics_of(this.node) | topology.source_topics_of(other.node))
    this_name = f"{name}-join-this" if name else builder.new_processor_name("KTABLE-JOINTHIS-")
    other_name = f"{name}-join-other" if name else builder.new_processor_name("KTABLE-JOINOTHER-")
    this_getter, other_getter = this.getter, other.getter
    assert this_getter is not None and other_getter is not None
    # (keep_mine, keep_theirs) per side: inner, left (right side: KTableKTableRightJoin), outer.
    this_keeps = (left_outer, right_outer)
    other_keeps = (right_outer, left_outer)
    topology.add_processor(
        this_name, lambda: TableTableJoin(other_getter, joiner, True, *this_keeps), this.node
    )
    topology.add_processor(
        other_name, lambda: TableTableJoin(this_getter, joiner, False, *other_keeps), other.node
    )
    topology.add_processor(merge, lambda: TableJoinMerge(store), this_name, other_name)
    topology.connect_processor_and_state_stores(this_name, stores=list(other.getter_stores))
    topology.connect_processor_and_state_stores(other_name, stores=list(this.getter_stores))
    if store is not None:
        topology.add_state_store(StoreBuilder(store, this.key_serde, value_serde), merge)
        return builder.table_of(merge, this.key_serde, value_serde, store)
    joined_with_key = with_key(joiner)

    def getter(context: Any) -> Callable[[Any], Any]:
        mine, theirs = this_getter(context), other_getter(context)

        def get(key: Any) -> Any:
            a, b = mine(key), theirs(key)
            if (a is None and not right_outer) or (b is None and not left_outer) or (a is None and b is None):
                return None
            return joined_with_key(key, a, b)

        return get

    stores = (*this.getter_stores, *other.getter_stores)
    return builder.table_of(merge, this.key_serde, value_serde, None, getter=getter, getter_stores=stores)
