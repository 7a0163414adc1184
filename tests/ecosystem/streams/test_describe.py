"""describe() prints Kafka Streams' own TopologyDescription text, byte for byte: the
expected texts are Kafka's documented examples (the Streams developer guide's "Naming
operators" page, the WordCount tutorial, the Processor API guide), whose node names
come from Kafka's one counter shared by processors and stores."""

from __future__ import annotations

from kafkatui.ecosystem.streams import Processor, Record, Serdes, Stores, StreamsBuilder, Topology

FILTER_MAP = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [input])
      --> KSTREAM-FILTER-0000000001
    Processor: KSTREAM-FILTER-0000000001 (stores: [])
      --> KSTREAM-MAPVALUES-0000000002
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])
      --> KSTREAM-SINK-0000000003
      <-- KSTREAM-FILTER-0000000001
    Sink: KSTREAM-SINK-0000000003 (topic: output)
      <-- KSTREAM-MAPVALUES-0000000002

"""

SELECT_KEY_COUNT = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [input])
      --> KSTREAM-KEY-SELECT-0000000001
    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])
      --> KSTREAM-FILTER-0000000005
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-FILTER-0000000005 (stores: [])
      --> KSTREAM-SINK-0000000004
      <-- KSTREAM-KEY-SELECT-0000000001
    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition)
      <-- KSTREAM-FILTER-0000000005

  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition])
      --> KSTREAM-AGGREGATE-0000000003
    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])
      --> KTABLE-TOSTREAM-0000000007
      <-- KSTREAM-SOURCE-0000000006
    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])
      --> KSTREAM-SINK-0000000008
      <-- KSTREAM-AGGREGATE-0000000003
    Sink: KSTREAM-SINK-0000000008 (topic: output)
      <-- KTABLE-TOSTREAM-0000000007

"""

WORD_COUNT = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])
      --> KSTREAM-FLATMAPVALUES-0000000001
    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])
      --> KSTREAM-KEY-SELECT-0000000002
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])
      --> KSTREAM-FILTER-0000000005
      <-- KSTREAM-FLATMAPVALUES-0000000001
    Processor: KSTREAM-FILTER-0000000005 (stores: [])
      --> KSTREAM-SINK-0000000004
      <-- KSTREAM-KEY-SELECT-0000000002
    Sink: KSTREAM-SINK-0000000004 (topic: counts-store-repartition)
      <-- KSTREAM-FILTER-0000000005

  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000006 (topics: [counts-store-repartition])
      --> KSTREAM-AGGREGATE-0000000003
    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts-store])
      --> KTABLE-TOSTREAM-0000000007
      <-- KSTREAM-SOURCE-0000000006
    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])
      --> KSTREAM-SINK-0000000008
      <-- KSTREAM-AGGREGATE-0000000003
    Sink: KSTREAM-SINK-0000000008 (topic: streams-wordcount-output)
      <-- KTABLE-TOSTREAM-0000000007

"""

PROCESSOR_API = """\
Topologies:
   Sub-topology: 0
    Source: Source (topics: [source-topic])
      --> Process
    Processor: Process (stores: [Counts])
      --> Sink
      <-- Source
    Sink: Sink (topic: sink-topic)
      <-- Process

"""


def test_stateless_chain_as_kafka_names_it() -> None:
    builder = StreamsBuilder()
    builder.stream("input").filter(lambda k, v: v != "invalid_txn").map_values(lambda v: v[:5]).to("output")
    assert str(builder.build().describe()) == FILTER_MAP


def test_a_key_change_before_a_count_inserts_a_repartition_sub_topology() -> None:
    builder = StreamsBuilder()
    builder.stream("input").select_key(lambda k, v: v).group_by_key().count().to_stream().to("output")
    topology = builder.build()
    assert str(topology.describe()) == SELECT_KEY_COUNT
    assert topology.internal_topics == {"KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition"}


def test_word_count_with_a_named_store() -> None:
    from kafkatui.ecosystem.streams.examples import word_count

    builder = StreamsBuilder()
    word_count.topology(builder)
    assert str(builder.build().describe()) == WORD_COUNT


def test_group_by_key_without_a_key_change_stays_in_one_sub_topology() -> None:
    builder = StreamsBuilder()
    builder.stream("input").map_values(str.upper).group_by_key().count("c").to_stream().to("out")
    (sub,) = builder.build().subtopologies()
    assert "c-repartition" not in builder.build().internal_topics
    assert sub.stores == ["c"]


class _Count(Processor):
    def process(self, record: Record) -> None:
        self.context.forward(record)


def test_processor_api_topology() -> None:
    topology = Topology()
    topology.add_source("Source", "source-topic")
    topology.add_processor("Process", _Count, "Source")
    topology.add_state_store(Stores.key_value_store("Counts", Serdes.string(), Serdes.long()), "Process")
    topology.add_sink("Sink", "sink-topic", "Process")
    assert str(topology.describe()) == PROCESSOR_API


def test_branches_are_ordered_by_sub_tree_size_then_name() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("in")
        .split(name="Branch-")
        .branch(lambda k, v: v.startswith("a"), name="A")
        .default_branch()
    )
    assert sorted(branches) == ["Branch-0", "Branch-A"]
    branches["Branch-A"].map_values(str.upper).to("a")
    branches["Branch-0"].to("rest")
    text = str(builder.build().describe())
    # Branch-A has the bigger sub-tree (a map then a sink), so it is listed first.
    splitter = "    Processor: Branch- (stores: [])\n      --> Branch-A, Branch-0\n"
    assert splitter + "      <-- KSTREAM-SOURCE-0000000000\n" in text
    assert text.index("Processor: Branch-A") < text.index("Processor: Branch-0")
