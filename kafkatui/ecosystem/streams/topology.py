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


class Topology:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.stores: dict[str, StoreBuilder] = {}
        self.internal_topics: set[str] = set()  # repartition topics, without the application id

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

    # --- reading ----------------------------------------------------------------------
    def children(self, name: str) -> list[str]:
        return [n.name for n in self.nodes.values() if name in n.parents]

    def subtopologies(self) -> list[Subtopology]:
        """Kafka's makeNodeGroups: connected components over parents and shared stores,
        numbered by walking the source nodes in name order, then the rest."""
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
        self.subtopologies = topology.subtopologies()

    def _sizes(self, members: list[str]) -> dict[str, int]:
        # AbstractNode.size: the node plus its successors' sizes (updateSize adds a
        # successor's size to every ancestor, so a node reached two ways counts twice).
        topology, sizes = self.topology, {}

        def size(name: str) -> int:
            if name not in sizes:
                sizes[name] = 1 + sum(size(child) for child in topology.children(name))
            return sizes[name]

        for name in members:
            size(name)
        return sizes

    def __str__(self) -> str:
        text = "Topologies:\n "
        for sub in self.subtopologies:
            text += "  " + self._subtopology(sub)
        return text

    def _subtopology(self, sub: Subtopology) -> str:
        sizes = self._sizes(sub.nodes)

        def ordered(names: list[str]) -> list[str]:
            return sorted(names, key=lambda n: (-sizes[n], n))

        def names(nodes: list[str]) -> str:
            return ", ".join(ordered(nodes)) if nodes else "none"

        lines = [f"Sub-topology: {sub.id}\n"]
        for name in ordered(sub.nodes):
            node = self.topology.nodes[name]
            children = self.topology.children(name)
            if isinstance(node, SourceNode):
                body = f"Source: {name} (topics: [{', '.join(node.topics)}])\n      --> {names(children)}"
            elif isinstance(node, ProcessorNode):
                body = (
                    f"Processor: {name} (stores: [{', '.join(node.stores)}])\n      --> {names(children)}"
                    f"\n      <-- {names(node.parents)}"
                )
            else:
                body = f"Sink: {name} (topic: {node.topic})\n      <-- {names(node.parents)}"
            lines.append("    " + body + "\n")
        return "".join(lines) + "\n"
