"""KStream–KTable, KTable–KTable and KStream–GlobalKTable joins on the test driver, as
Kafka's KStreamKTableJoinTest, KTableKTable{Inner,Left,Outer}JoinTest and
KStreamGlobalKTableJoinTest check them: a stream record looks the table up when it
arrives and table updates emit nothing; a table–table join emits on updates of either
side and turns a delete into a delete of the result (or the result without that side);
a global table is read through a KeyValueMapper and is a global store in describe()."""

from __future__ import annotations

from kafkatui.ecosystem.streams import Joined, Serdes, StreamsBuilder, TopologyTestDriver


def joiner(left: str | None, right: str | None) -> str:
    return f"{left}+{right}"


def _out(driver: TopologyTestDriver, topic: str = "out") -> list[tuple[str, str | None]]:
    return driver.read_all(topic)


def _stream_table(left: bool) -> TopologyTestDriver:
    builder = StreamsBuilder()
    stream, table = builder.stream("clicks"), builder.table("users")
    (stream.left_join(table, joiner) if left else stream.join(table, joiner)).to("out")
    return TopologyTestDriver(builder.build())


def test_stream_table_join_looks_the_table_up_and_table_updates_emit_nothing() -> None:
    driver = _stream_table(left=False)
    driver.pipe_input("users", "ana", "Lisbon", 0)
    driver.pipe_input("users", "bob", "Porto", 0)
    assert _out(driver) == []
    driver.pipe_input("clicks", "ana", "c1", 1)
    driver.pipe_input("clicks", "eve", "c2", 2)  # no such user: an inner join emits nothing
    driver.pipe_input("users", "ana", "Madrid", 3)
    driver.pipe_input("clicks", "ana", "c3", 4)
    driver.pipe_input("users", "ana", None, 5)  # deleted
    driver.pipe_input("clicks", "ana", "c4", 6)
    assert _out(driver) == [("ana", "c1+Lisbon"), ("ana", "c3+Madrid")]


def test_stream_table_left_join_joins_none_when_the_table_has_no_row() -> None:
    driver = _stream_table(left=True)
    driver.pipe_input("users", "ana", "Lisbon", 0)
    driver.pipe_input("clicks", "ana", "c1", 1)
    driver.pipe_input("clicks", "eve", "c2", 2)
    driver.pipe_input("clicks", None, "c3", 3)  # KIP-962: a left join keeps a null-key record
    driver.pipe_input("clicks", "ana", None, 4)  # a null value is skipped
    assert _out(driver) == [("ana", "c1+Lisbon"), ("eve", "c2+None"), (None, "c3+None")]
    assert driver.metrics()["dropped-records-total"] == 1


def test_stream_table_join_names_and_stores_as_kafka() -> None:
    builder = StreamsBuilder()
    stream, table = builder.stream("clicks"), builder.table("users")
    stream.join(table, joiner).to("out")
    topology = builder.build()
    assert list(topology.nodes) == [
        "KSTREAM-SOURCE-0000000000", "KSTREAM-SOURCE-0000000002", "KTABLE-SOURCE-0000000003",
        "KSTREAM-JOIN-0000000004", "KSTREAM-SINK-0000000005",
    ]  # fmt: skip
    assert topology.nodes["KSTREAM-JOIN-0000000004"].stores == ["users-STATE-STORE-0000000001"]
    assert [sorted(s.source_topics) for s in topology.subtopologies()] == [["clicks", "users"]]
    assert topology.copartition_groups == [{"clicks", "users"}]


def test_stream_joins_a_derived_table_through_its_value_getter() -> None:
    builder = StreamsBuilder()
    users = builder.table("users").filter(lambda k, v: v != "banned").map_values(str.upper)
    builder.stream("clicks").join(users, joiner).to("out")
    driver = TopologyTestDriver(builder.build())
    driver.pipe_input("users", "ana", "lisbon", 0)
    driver.pipe_input("users", "bob", "banned", 0)
    driver.pipe_input("clicks", "ana", "c1", 1)
    driver.pipe_input("clicks", "bob", "c2", 2)
    assert _out(driver) == [("ana", "c1+LISBON")]


def _table_table(kind: str, store: str | None = None) -> TopologyTestDriver:
    builder = StreamsBuilder()
    left, right = builder.table("left"), builder.table("right")
    getattr(left, kind)(right, joiner, store=store).to_stream().to("out")
    return TopologyTestDriver(builder.build())


def _updates(driver: TopologyTestDriver) -> None:
    driver.pipe_input("left", "a", "A", 0)  # inner: nothing yet
    driver.pipe_input("right", "a", "x", 1)
    driver.pipe_input("right", "b", "y", 2)
    driver.pipe_input("left", "a", "A2", 3)
    driver.pipe_input("right", "a", None, 4)
    driver.pipe_input("left", "a", None, 5)


def test_table_table_inner_join_emits_on_both_sides_and_propagates_deletes() -> None:
    driver = _table_table("join")
    _updates(driver)
    assert _out(driver) == [("a", "A+x"), ("a", "A2+x"), ("a", None)]


def test_table_table_left_join_keeps_the_left_row_without_a_right_one() -> None:
    driver = _table_table("left_join")
    _updates(driver)
    assert _out(driver) == [("a", "A+None"), ("a", "A+x"), ("a", "A2+x"), ("a", "A2+None"), ("a", None)]


def test_table_table_outer_join_keeps_a_row_while_either_side_has_one() -> None:
    driver = _table_table("outer_join")
    _updates(driver)
    assert _out(driver) == [
        ("a", "A+None"), ("a", "A+x"), ("b", "None+y"), ("a", "A2+x"), ("a", "A2+None"), ("a", None),
    ]  # fmt: skip


def test_a_materialized_table_join_keeps_the_result_in_its_store() -> None:
    driver = _table_table("left_join", store="joined")
    driver.pipe_input("left", "a", "A", 0)
    driver.pipe_input("right", "a", "x", 1)
    driver.pipe_input("left", "b", "B", 2)
    assert dict(driver.get_key_value_store("joined").all()) == {"a": "A+x", "b": "B+None"}
    driver.pipe_input("left", "b", None, 3)
    assert dict(driver.get_key_value_store("joined").all()) == {"a": "A+x"}


TABLE_TABLE = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000001 (topics: [left])
      --> KTABLE-SOURCE-0000000002
    Source: KSTREAM-SOURCE-0000000004 (topics: [right])
      --> KTABLE-SOURCE-0000000005
    Processor: KTABLE-SOURCE-0000000002 (stores: [left-STATE-STORE-0000000000])
      --> KTABLE-JOINTHIS-0000000007
      <-- KSTREAM-SOURCE-0000000001
    Processor: KTABLE-SOURCE-0000000005 (stores: [right-STATE-STORE-0000000003])
      --> KTABLE-JOINOTHER-0000000008
      <-- KSTREAM-SOURCE-0000000004
    Processor: KTABLE-JOINOTHER-0000000008 (stores: [left-STATE-STORE-0000000000])
      --> KTABLE-MERGE-0000000006
      <-- KTABLE-SOURCE-0000000005
    Processor: KTABLE-JOINTHIS-0000000007 (stores: [right-STATE-STORE-0000000003])
      --> KTABLE-MERGE-0000000006
      <-- KTABLE-SOURCE-0000000002
    Processor: KTABLE-MERGE-0000000006 (stores: [])
      --> KTABLE-TOSTREAM-0000000009
      <-- KTABLE-JOINTHIS-0000000007, KTABLE-JOINOTHER-0000000008
    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])
      --> KSTREAM-SINK-0000000010
      <-- KTABLE-MERGE-0000000006
    Sink: KSTREAM-SINK-0000000010 (topic: out)
      <-- KTABLE-TOSTREAM-0000000009

"""


def test_table_table_join_describe_names_the_merge_first() -> None:
    builder = StreamsBuilder()
    builder.table("left").join(builder.table("right"), joiner).to_stream().to("out")
    assert str(builder.build().describe()) == TABLE_TABLE


def _enrichment() -> TopologyTestDriver:
    builder = StreamsBuilder()
    clients = builder.global_table("clients")
    sales = builder.stream("sales")
    sales.left_join(clients, lambda key, sale: sale.split(",")[0], joiner).to("out")
    return TopologyTestDriver(builder.build())


def test_global_table_join_picks_the_table_key_with_a_key_value_mapper() -> None:
    driver = _enrichment()
    driver.pipe_input("clients", "ana", "Ana Lima", 0)
    driver.pipe_input("sales", "s1", "ana,book", 1)
    driver.pipe_input("sales", "s2", "zoe,pen", 2)
    driver.pipe_input("clients", "zoe", "Zoe Reis", 3)
    driver.pipe_input("sales", "s3", "zoe,ink", 4)
    assert _out(driver) == [("s1", "ana,book+Ana Lima"), ("s2", "zoe,pen+None"), ("s3", "zoe,ink+Zoe Reis")]
    assert driver.get_key_value_store("clients-STATE-STORE-0000000000").get("zoe") == "Zoe Reis"
    assert not [t for t in driver._produced if t.endswith("-changelog")]  # the topic is the store's log


GLOBAL = """\
Topologies:
   Sub-topology: 0 for global store (will not generate tasks)
    Source: KSTREAM-SOURCE-0000000001 (topics: [clients])
      --> KTABLE-SOURCE-0000000002
    Processor: KTABLE-SOURCE-0000000002 (stores: [clients-STATE-STORE-0000000000])
      --> none
      <-- KSTREAM-SOURCE-0000000001
  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000003 (topics: [sales])
      --> KSTREAM-LEFTJOIN-0000000004
    Processor: KSTREAM-LEFTJOIN-0000000004 (stores: [])
      --> KSTREAM-SINK-0000000005
      <-- KSTREAM-SOURCE-0000000003
    Sink: KSTREAM-SINK-0000000005 (topic: out)
      <-- KSTREAM-LEFTJOIN-0000000004

"""


def test_a_global_table_is_a_global_store_in_describe_and_makes_no_task() -> None:
    driver = _enrichment()
    assert str(driver.topology.describe()) == GLOBAL
    assert [s.id for s in driver.topology.subtopologies()] == [1]
    assert driver.topology.global_stores == {"clients-STATE-STORE-0000000000"}


# A stream-table join's describe() as a Kafka Streams tutorial prints it (the table's
# nodes come after the join's: ordered by sub-tree size, then name).
STREAM_TABLE = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [test-kstream-input-topic])
      --> KSTREAM-JOIN-0000000004
    Processor: KSTREAM-JOIN-0000000004 (stores: [test-kstream-compacted-topic-STATE-STORE-0000000001])
      --> KSTREAM-SINK-0000000005
      <-- KSTREAM-SOURCE-0000000000
    Source: KSTREAM-SOURCE-0000000002 (topics: [test-kstream-compacted-topic])
      --> KTABLE-SOURCE-0000000003
    Sink: KSTREAM-SINK-0000000005 (topic: test-kstream-output-topic)
      <-- KSTREAM-JOIN-0000000004
    Processor: KTABLE-SOURCE-0000000003 (stores: [test-kstream-compacted-topic-STATE-STORE-0000000001])
      --> none
      <-- KSTREAM-SOURCE-0000000002

"""


def test_stream_table_join_describe_is_kafkas_text() -> None:
    builder = StreamsBuilder()
    stream = builder.stream("test-kstream-input-topic")
    table = builder.table("test-kstream-compacted-topic")
    stream.join(table, lambda s, t: f"{s}:{t}").to("test-kstream-output-topic")
    assert str(builder.build().describe()) == STREAM_TABLE


def test_a_rekeyed_stream_table_join_repartitions_with_joined_serdes_and_name() -> None:
    builder = StreamsBuilder()
    sales = builder.stream("sales", value_serde=Serdes.json()).select_key(lambda k, sale: sale["client"])
    clients = builder.table("clients")
    joined = Joined.with_serdes(None, Serdes.json()).with_name("enrich")
    enriched = sales.left_join(clients, lambda sale, name: {**sale, "name": name}, joined)
    enriched.to("out", value_serde=Serdes.json())
    topology = builder.build()
    assert topology.internal_topics == {"enrich-repartition"}
    assert {
        "enrich",
        "enrich-repartition-sink",
        "enrich-repartition-filter",
        "enrich-repartition-source",
    } <= set(topology.nodes)
    assert {"clients", "enrich-repartition"} in topology.copartition_groups
    driver = TopologyTestDriver(topology)
    driver.pipe_input("clients", "ana", "Ana Lima", 0)
    driver.pipe_input("sales", "1", {"client": "ana", "price": 3}, 1, value_serde=Serdes.json())
    assert driver.read_all("out", value_serde=Serdes.json()) == [
        ("ana", {"client": "ana", "price": 3, "name": "Ana Lima"})
    ]
    (repartitioned,) = driver.produced("test-driver-enrich-repartition")
    assert Serdes.json().deserialize("t", repartitioned.value) == {"client": "ana", "price": 3}
