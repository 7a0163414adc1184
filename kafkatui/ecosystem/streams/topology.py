"""A topology: named source, processor and sink nodes, and the stores they use (Kafka's
`Topology`, which the DSL builds and the Processor API adds to by hand). Nodes that reach
each other through parents or a shared store form a sub-topology; a repartition topic
(written by a sink, read by a source) separates two of them. `describe()` prints Kafka
Streams' own text (InternalTopologyBuilder's TopologyDescription, node order and all),
so it pastes into the existing topology visualisers.

Internal topics (repartition topics, and each logged store's changelog) are named
without the application id here, as Kafka's describe() shows them; the runtime prefixes
`<application.id>-`."""

from __future__ import annotations

from dataclasses import dataclass, field

from kafkatui.common.utils import java_string_hash
from kafkatui.ecosystem.streams.processor import ProcessorSupplier
from kafkatui.ecosystem.streams.serdes import Serde
from kafkatui.ecosystem.streams.stores import StoreBuilder


class TopologyError(Exception):
    """Kafka's TopologyException: a topology that cannot be built as asked."""


@dataclass
class SourceNode:
    name: str
    topics: list[str]
    key_serde: Serde | None = None
    value_serde: Serde | None = None
    parents: list[str] = field(default_factory=list)


@dataclass
class ProcessorNode:
    name: str
    supplier: ProcessorSupplier
    parents: list[str]
    stores: list[str] = field(default_factory=list)


@dataclass
class SinkNode:
    name: str
    topic: str
    parents: list[str]
    key_serde: Serde | None = None
    value_serde: Serde | None = None


Node = SourceNode | ProcessorNode | SinkNode


@dataclass
class Subtopology:
    id: int
    nodes: list[str]
    source_topics: list[str]
    sink_topics: list[str]
    stores: list[str]
    is_global: bool = False


class Topology:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.stores: dict[str, StoreBuilder] = {}
        self.internal_topics: set[str] = set()  # repartition topics, without the application id
        # Source topics a join reads together: each group needs one partition count
        # (Kafka's copartitionSources, checked by the assignor's CopartitionedTopicsEnforcer).
        self.copartition_groups: list[set[str]] = []
        self.global_stores: set[str] = set()  # stores a global thread keeps whole on every instance
        self._global_nodes: set[str] = set()

    # --- building (Kafka's Topology#addSource, addProcessor, addSink, addStateStore) ---
    def _new(self, node: Node) -> None:
        if node.name in self.nodes:
            raise TopologyError(f"Invalid topology: Processor {node.name} is already added.")
        for parent in node.parents:
            if parent not in self.nodes:
                raise TopologyError(
                    f"Invalid topology: Parent processor {parent} is not added yet for {node.name}."
                )
            if isinstance(self.nodes[parent], SinkNode):
                raise TopologyError(f"Invalid topology: Sink {parent} cannot be used a parent.")
        self.nodes[node.name] = node

    def add_source(
        self, name: str, *topics: str, key_serde: Serde | None = None, value_serde: Serde | None = None
    ) -> Topology:
        if not topics:
            raise TopologyError("Invalid topology: a source needs at least one topic")
        for other in self.nodes.values():
            if isinstance(other, SourceNode) and set(other.topics) & set(topics):
                taken = sorted(set(other.topics) & set(topics))[0]
                raise TopologyError(
                    f"Invalid topology: Topic {taken} has already been registered by another source."
                )
        self._new(SourceNode(name, list(topics), key_serde, value_serde))
        return self

    def add_processor(self, name: str, supplier: ProcessorSupplier, *parents: str) -> Topology:
        if not parents:
            raise TopologyError(f"Invalid topology: processor {name} must have at least one parent")
        self._new(ProcessorNode(name, supplier, list(parents)))
        return self

    def add_sink(
        self,
        name: str,
        topic: str,
        *parents: str,
        key_serde: Serde | None = None,
        value_serde: Serde | None = None,
    ) -> Topology:
        self._new(SinkNode(name, topic, list(parents), key_serde, value_serde))
        return self

    def add_state_store(self, builder: StoreBuilder, *processor_names: str) -> Topology:
        if builder.name in self.stores:
            raise TopologyError(
                "Invalid topology: A different StateStore has already been added with the name "
                f"{builder.name}"
            )
        self.stores[builder.name] = builder
        self.connect_processor_and_state_stores(*processor_names, stores=[builder.name])
        return self

    def connect_processor_and_state_stores(self, *processor_names: str, stores: list[str]) -> Topology:
        for name in processor_names:
            node = self.nodes.get(name)
            if not isinstance(node, ProcessorNode):
                raise TopologyError(f"Invalid topology: Processor {name} is not added yet.")
            for store in stores:
                if store not in self.stores:
                    raise TopologyError(f"Invalid topology: StateStore {store} is not added yet.")
                if store not in node.stores:
                    node.stores.append(store)
        return self

    def add_internal_topic(self, topic: str) -> None:
        self.internal_topics.add(topic)

    def add_global_store(
        self, builder: StoreBuilder, source: str, topic: str, processor: str, supplier: ProcessorSupplier,
        *, key_serde: Serde | None = None, value_serde: Serde | None = None,
    ) -> Topology:  # fmt: skip
        """Topology#addGlobalStore: a source over the whole topic and a processor that
        keeps the store, on every instance, with no changelog (the topic is its log)."""
        if builder.logged:
            raise TopologyError(
                "Invalid topology: a global store must not have a changelog (logging disabled)"
            )
        self.add_source(source, topic, key_serde=key_serde, value_serde=value_serde)
        self.add_processor(processor, supplier, source)
        self.add_state_store(builder, processor)
        self.global_stores.add(builder.name)
        self._global_nodes |= {source, processor}
        return self

    def copartition(self, topics: set[str]) -> None:
        """Topics whose partitions a join reads together (merged with any group they share)."""
        merged = set(topics)
        for group in [g for g in self.copartition_groups if g & merged]:
            merged |= group
            self.copartition_groups.remove(group)
        self.copartition_groups.append(merged)

    def source_topics_of(self, name: str) -> set[str]:
        """The topics whose records reach node `name` (through its parents)."""
        node = self.nodes[name]
        if isinstance(node, SourceNode):
            return set(node.topics)
        return {t for parent in node.parents for t in self.source_topics_of(parent)}

    # --- reading ----------------------------------------------------------------------
    def children(self, name: str) -> list[str]:
        return [n.name for n in self.nodes.values() if name in n.parents]

    def subtopologies(self) -> list[Subtopology]:
        """The sub-topologies that run as tasks (global stores' do not)."""
        return [s for s in self.node_groups() if not s.is_global]

    def global_subtopologies(self) -> list[Subtopology]:
        return [s for s in self.node_groups() if s.is_global]

    def node_groups(self) -> list[Subtopology]:
        """Kafka's makeNodeGroups: connected components over parents and shared stores,
        numbered by walking the source nodes in name order, then the rest (a global
        store's group takes a number too, so task ids can skip one)."""
        root: dict[str, str] = {name: name for name in self.nodes}

        def find(name: str) -> str:
            while root[name] != name:
                root[name] = root[root[name]]
                name = root[name]
            return name

        def union(a: str, b: str) -> None:
            root[find(a)] = find(b)

        by_store: dict[str, str] = {}
        for node in self.nodes.values():
            for parent in node.parents:
                union(node.name, parent)
            for store in getattr(node, "stores", []):
                if store in by_store:
                    union(node.name, by_store[store])
                by_store.setdefault(store, node.name)
        order = sorted(n for n, node in self.nodes.items() if isinstance(node, SourceNode))
        order += sorted(n for n in self.nodes if n not in order)
        groups: dict[str, list[str]] = {}
        for name in order:
            groups.setdefault(find(name), []).append(name)
        result = []
        for index, members in enumerate(groups.values()):
            nodes = [self.nodes[m] for m in members]
            result.append(
                Subtopology(
                    index,
                    members,
                    [t for n in nodes if isinstance(n, SourceNode) for t in n.topics],
                    [n.topic for n in nodes if isinstance(n, SinkNode)],
                    sorted({s for n in nodes if isinstance(n, ProcessorNode) for s in n.stores}),
                    bool(set(members) & self._global_nodes),
                )
            )
        return result

    def changelog_stores(self) -> list[str]:
        return [name for name, builder in self.stores.items() if builder.logged]

    def describe(self) -> TopologyDescription:
        return TopologyDescription(self)


class TopologyDescription:
    """Kafka's TopologyDescription; `str()` is its toString, byte for byte."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.subtopologies = topology.node_groups()

    def _connect(
        self, members: list[str]
    ) -> tuple[dict[str, int], dict[str, list[str]], dict[str, list[str]]]:
        """InternalTopologyBuilder#describeSubtopology, step by step: each node (in Java's
        HashMap order) is connected to its predecessors; every connection adds the node's
        size to the predecessor and the predecessors known so far (updateSize), and the
        predecessor and successor sets are TreeSets ordered by size, then name, *as the
        sizes are when a node is inserted*; hence `<-- KSTREAM-JOINTHIS-…, KSTREAM-JOINOTHER-…`."""
        sizes = dict.fromkeys(members, 1)
        preds: dict[str, list[str]] = {m: [] for m in members}
        succs: dict[str, list[str]] = {m: [] for m in members}

        def insert(into: list[str], name: str) -> None:
            key = (-sizes[name], name)
            at = next((i for i, other in enumerate(into) if key < (-sizes[other], other)), len(into))
            into.insert(at, name)

        def update(name: str, delta: int) -> None:
            sizes[name] += delta
            for p in preds[name]:
                update(p, delta)

        for name in hash_set_order(members):
            for parent in self.topology.nodes[name].parents:
                if parent not in sizes:
                    continue
                insert(preds[name], parent)
                insert(succs[parent], name)
                update(parent, sizes[name])
        return sizes, preds, succs

    def __str__(self) -> str:
        text = "Topologies:\n "
        for sub in self.subtopologies:
            text += "  " + (self._global(sub) if sub.is_global else self._subtopology(sub))
        return text

    def _global(self, sub: Subtopology) -> str:
        # InternalTopologyBuilder.GlobalStore#toString
        source, processor = (self.topology.nodes[n] for n in sub.nodes)
        assert isinstance(source, SourceNode) and isinstance(processor, ProcessorNode)
        return (
            f"Sub-topology: {sub.id} for global store (will not generate tasks)\n"
            f"    Source: {source.name} (topics: [{', '.join(source.topics)}])\n      --> {processor.name}\n"
            f"    Processor: {processor.name} (stores: [{', '.join(processor.stores)}])\n"
            f"      --> none\n      <-- {source.name}\n"
        )

    def _subtopology(self, sub: Subtopology) -> str:
        sizes, preds, succs = self._connect(sub.nodes)

        def names(nodes: list[str]) -> str:
            return ", ".join(nodes) if nodes else "none"

        lines = [f"Sub-topology: {sub.id}\n"]
        for name in sorted(sub.nodes, key=lambda n: (-sizes[n], n)):  # SubtopologyDescription's TreeSet
            node = self.topology.nodes[name]
            children = succs[name]
            if isinstance(node, SourceNode):
                body = f"Source: {name} (topics: [{', '.join(node.topics)}])\n      --> {names(children)}"
            elif isinstance(node, ProcessorNode):
                body = (
                    f"Processor: {name} (stores: [{', '.join(hash_set_order(node.stores))}])\n"
                    f"      --> {names(children)}"
                    f"\n      <-- {names(preds[name])}"
                )
            else:
                body = f"Sink: {name} (topic: {node.topic})\n      <-- {names(preds[name])}"
            lines.append("    " + body + "\n")
        return "".join(lines) + "\n"


def hash_set_order(names: list[str]) -> list[str]:
    """The order Java's HashSet<String> iterates `names` in (Kafka keeps a processor's
    stores in one): by bucket of the spread hash, then by insertion within a bucket."""
    capacity = 16
    while len(names) > capacity * 0.75:
        capacity *= 2

    def bucket(name: str) -> int:
        h = java_string_hash(name) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(names, key=bucket)  # sorted() is stable: insertion order within a bucket
