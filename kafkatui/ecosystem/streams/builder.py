"""The DSL's entry point (Kafka's `StreamsBuilder`): `stream(topic)` and `table(topic)`
make the first nodes; every operator adds its nodes to one `Topology` at once, named as
Kafka names them (`KSTREAM-FILTER-0000000001`: a prefix and one counter shared by
processors and stores, in the order Kafka's builder draws from it)."""

from __future__ import annotations

from typing import Any

from kafkatui.ecosystem.streams.kstream import KStream
from kafkatui.ecosystem.streams.ktable import GlobalKTable, KTable
from kafkatui.ecosystem.streams.operators import TableSource
from kafkatui.ecosystem.streams.serdes import Serde
from kafkatui.ecosystem.streams.stores import StoreBuilder
from kafkatui.ecosystem.streams.topology import Topology


class StreamsBuilder:
    def __init__(self) -> None:
        self.topology = Topology()
        self._index = 0

    def new_processor_name(self, prefix: str) -> str:
        name = f"{prefix}{self._index:010d}"
        self._index += 1
        return name

    def new_store_name(self, prefix: str) -> str:
        name = f"{prefix}STATE-STORE-{self._index:010d}"
        self._index += 1
        return name

    def stream(
        self, *topics: str, key_serde: Serde | None = None, value_serde: Serde | None = None
    ) -> KStream:
        name = self.new_processor_name("KSTREAM-SOURCE-")
        self.topology.add_source(name, *topics, key_serde=key_serde, value_serde=value_serde)
        return KStream(self, name, key_serde, value_serde)

    def table(
        self,
        topic: str,
        *,
        key_serde: Serde | None = None,
        value_serde: Serde | None = None,
        store: str | None = None,
    ) -> KTable:
        """A KTable over a (compacted) topic: the latest value per key, in a store
        (`<topic>-STATE-STORE-…` unless named) with its own changelog."""
        store_name = store or self.new_store_name(f"{topic}-")
        source = self.new_processor_name("KSTREAM-SOURCE-")
        table = self.new_processor_name("KTABLE-SOURCE-")
        self.topology.add_source(source, topic, key_serde=key_serde, value_serde=value_serde)
        self.topology.add_processor(table, lambda: TableSource(store_name), source)
        self.topology.add_state_store(StoreBuilder(store_name, key_serde, value_serde), table)
        return KTable(self, table, key_serde, value_serde, store_name)

    def global_table(
        self,
        topic: str,
        *,
        key_serde: Serde | None = None,
        value_serde: Serde | None = None,
        store: str | None = None,
    ) -> GlobalKTable:
        """A GlobalKTable over `topic`: every instance keeps all of it in a global store
        (`<topic>-STATE-STORE-…` unless named), restored from the topic itself and kept
        up to date by a global thread (no changelog: the topic is one)."""
        store_name = store or self.new_store_name(f"{topic}-")
        source = self.new_processor_name("KSTREAM-SOURCE-")
        table = self.new_processor_name("KTABLE-SOURCE-")
        self.topology.add_global_store(
            StoreBuilder(store_name, key_serde, value_serde, logged=False), source, topic, table,
            lambda: TableSource(store_name), key_serde=key_serde, value_serde=value_serde,
        )  # fmt: skip
        return GlobalKTable(self, store_name, key_serde, value_serde)

    def stream_of(self, node: str, key_serde: Serde | None, value_serde: Serde | None) -> KStream:
        return KStream(self, node, key_serde, value_serde)

    def table_of(
        self, node: str, key_serde: Serde | None, value_serde: Serde | None, store: str | None, **getter: Any
    ) -> KTable:
        return KTable(self, node, key_serde, value_serde, store, **getter)

    def build(self) -> Topology:
        return self.topology
