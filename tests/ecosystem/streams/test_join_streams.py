"""KStream–KStream joins on the test driver's manual clock, as Kafka's
KStreamKStreamJoinTest / LeftJoinTest / OuterJoinTest check them: records join when
their timestamps are within the JoinWindows (the result stamped with the later one);
a left/outer record with no partner is held in the shared outer-join store and emitted
with None only once stream time passes its window and grace (Kafka 3.x), or at once
when it arrives after that; node and store names and describe() as Kafka prints them."""

from __future__ import annotations

import pytest

from kafkatui.ecosystem.streams import StreamsBuilder, TopologyTestDriver
from kafkatui.ecosystem.streams.joins import StreamJoined
from kafkatui.ecosystem.streams.windows import JoinWindows


def joiner(left: str | None, right: str | None) -> str:
    return f"{left}+{right}"


def _driver(kind: str, windows: JoinWindows, joined: StreamJoined | None = None) -> TopologyTestDriver:
    builder = StreamsBuilder()
    left, right = builder.stream("left"), builder.stream("right")
    getattr(left, kind)(right, joiner, windows, joined).to("out")
    return TopologyTestDriver(builder.build())


def _out(driver: TopologyTestDriver) -> list[tuple[str, str, int]]:
    found = []
    while (record := driver.read_output("out")) is not None:
        found.append((record.key, record.value, record.timestamp))
    return found


def test_inner_join_pairs_records_within_the_time_difference_stamped_with_the_later() -> None:
    driver = _driver("join", JoinWindows.of_time_difference_with_no_grace(100))
    driver.pipe_input("left", "k", "A", 0)
    driver.pipe_input("right", "k", "a", 50)
    driver.pipe_input("right", "k", "b", 100)
    driver.pipe_input("right", "k", "c", 101)  # 101 ms after A: outside the window
    driver.pipe_input("right", "other", "x", 60)
    driver.pipe_input("left", "k", "B", 150)  # a, b and c are all within 100 ms of it
    assert _out(driver) == [
        ("k", "A+a", 50),
        ("k", "A+b", 100),
        ("k", "B+a", 150),
        ("k", "B+b", 150),
        ("k", "B+c", 150),
    ]


def test_before_and_after_bound_each_direction() -> None:
    # right records may be up to 10 ms before a left one and up to 0 ms after it
    driver = _driver("join", JoinWindows.of_time_difference_with_no_grace(10).after(0))
    driver.pipe_input("right", "k", "early", 95)
    driver.pipe_input("left", "k", "L", 100)
    driver.pipe_input("right", "k", "late", 105)  # 5 ms after L: outside `after`
    driver.pipe_input("right", "k", "same", 100)
    assert _out(driver) == [("k", "L+early", 100), ("k", "L+same", 100)]


def test_a_null_key_or_value_is_skipped_and_counted_as_dropped() -> None:
    driver = _driver("join", JoinWindows.of_time_difference_with_no_grace(10))
    driver.pipe_input("left", None, "A", 0)
    driver.pipe_input("left", "k", None, 0)
    driver.pipe_input("right", "k", "a", 1)
    assert _out(driver) == []
    assert driver.metrics()["dropped-records-total"] == 2


def test_left_join_waits_for_the_window_and_grace_to_close_before_emitting_none() -> None:
    driver = _driver("left_join", JoinWindows.of_time_difference_and_grace(10, 5))
    driver.pipe_input("left", "k1", "A", 0)
    driver.pipe_input("left", "k2", "B", 3)
    driver.pipe_input("right", "zz", "x", 15)  # 0 + 10 + 5 >= 15: A's window is still open
    assert _out(driver) == []
    driver.pipe_input("right", "k2", "b", 12)  # out of order, within B's window: joins
    assert _out(driver) == [("k2", "B+b", 12)]
    driver.pipe_input("right", "zz", "y", 16)  # A's window and grace have passed
    assert _out(driver) == [("k1", "A+None", 0)]
    driver.pipe_input("right", "zz", "z", 40)
    assert _out(driver) == []  # B had a partner: no B+None, ever


def test_left_join_emits_a_record_at_once_when_its_window_closed_before_it_came() -> None:
    driver = _driver("left_join", JoinWindows.of_time_difference_with_no_grace(10))
    driver.pipe_input("right", "zz", "x", 100)
    driver.pipe_input("left", "k", "old", 50)  # 50 + 10 < stream time 100
    assert _out(driver) == [("k", "old+None", 50)]


def test_left_join_never_emits_a_right_record_alone() -> None:
    driver = _driver("left_join", JoinWindows.of_time_difference_with_no_grace(10))
    driver.pipe_input("right", "k", "a", 0)
    driver.pipe_input("right", "zz", "x", 100)
    driver.pipe_input("left", "zz", "X", 200)
    assert ("k", "None+a", 0) not in _out(driver)


def test_outer_join_emits_both_sides_unmatched_in_time_order() -> None:
    driver = _driver("outer_join", JoinWindows.of_time_difference_with_no_grace(10))
    driver.pipe_input("right", "r", "a", 1)
    driver.pipe_input("left", "l", "A", 2)
    driver.pipe_input("left", "m", "M", 5)
    driver.pipe_input("right", "m", "m", 7)
    assert _out(driver) == [("m", "M+m", 7)]
    driver.pipe_input("left", "x", "X", 30)  # closes 1, 2, 5, 7; X itself waits
    assert _out(driver) == [("r", "None+a", 1), ("l", "A+None", 2)]
    assert driver.get_state_store("KSTREAM-OUTERSHARED-0000000004-store").approximate_num_entries() == 1


def test_the_join_stores_write_changelogs_and_the_outer_store_forgets_emitted_records() -> None:
    driver = _driver("left_join", JoinWindows.of_time_difference_with_no_grace(10))
    driver.pipe_input("left", "k", "A", 0)
    this = "test-driver-KSTREAM-JOINTHIS-0000000004-store-changelog"
    shared = "test-driver-KSTREAM-OUTERSHARED-0000000004-store-changelog"
    assert len(driver.produced(this)) == 1
    assert len(driver.produced(shared)) == 1
    driver.pipe_input("left", "k2", "B", 20)
    assert _out(driver) == [("k", "A+None", 0)]
    assert driver.produced(shared)[-2].value is None  # A's entry deleted once emitted


def test_left_join_names_as_kafka_names_them() -> None:
    # Kafka's StreamsBuilderTest#shouldUseGeneratedStoreNamesForLeftJoinOperationBetweenKStreamAndKStream
    builder = StreamsBuilder()
    left, right = builder.stream("one"), builder.stream("two")
    left.left_join(right, joiner, JoinWindows.of_time_difference_with_no_grace(3_600_000),
                   StreamJoined().with_name("my-join"))  # fmt: skip
    topology = builder.build()
    assert set(topology.stores) == {
        "KSTREAM-JOINTHIS-0000000004-store",
        "KSTREAM-OUTEROTHER-0000000005-store",
        "KSTREAM-OUTERSHARED-0000000004-store",
    }
    assert list(topology.nodes) == [
        "KSTREAM-SOURCE-0000000000", "KSTREAM-SOURCE-0000000001", "my-join-this-windowed",
        "my-join-other-windowed", "my-join-this-join", "my-join-outer-other-join", "my-join-merge",
    ]  # fmt: skip


def test_named_stores_follow_the_store_name() -> None:
    builder = StreamsBuilder()
    left, right = builder.stream("one"), builder.stream("two")
    left.outer_join(right, joiner, JoinWindows.of_time_difference_with_no_grace(5),
                    StreamJoined().with_store_name("pairs"))  # fmt: skip
    assert set(builder.build().stores) == {
        "pairs-outer-this-join-store",
        "pairs-outer-other-join-store",
        "pairs-outer-shared-join-store",
    }


# Kafka's StreamsGraphTest.expectedFullTopology
JOIN_FILTER_MAP = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])
      --> KSTREAM-WINDOWED-0000000002
    Source: KSTREAM-SOURCE-0000000001 (topics: [other-topic])
      --> KSTREAM-WINDOWED-0000000003
    Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])
      --> KSTREAM-JOINTHIS-0000000004
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-JOINOTHER-0000000005-store])
      --> KSTREAM-JOINOTHER-0000000005
      <-- KSTREAM-SOURCE-0000000001
    Processor: KSTREAM-JOINOTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store])
      --> KSTREAM-MERGE-0000000006
      <-- KSTREAM-WINDOWED-0000000003
    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-JOINOTHER-0000000005-store])
      --> KSTREAM-MERGE-0000000006
      <-- KSTREAM-WINDOWED-0000000002
    Processor: KSTREAM-MERGE-0000000006 (stores: [])
      --> KSTREAM-FILTER-0000000007
      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005
    Processor: KSTREAM-FILTER-0000000007 (stores: [])
      --> KSTREAM-MAPVALUES-0000000008
      <-- KSTREAM-MERGE-0000000006
    Processor: KSTREAM-MAPVALUES-0000000008 (stores: [])
      --> KSTREAM-SINK-0000000009
      <-- KSTREAM-FILTER-0000000007
    Sink: KSTREAM-SINK-0000000009 (topic: output-topic)
      <-- KSTREAM-MAPVALUES-0000000008

"""


def test_describe_prints_kafkas_text_for_a_join() -> None:
    builder = StreamsBuilder()
    stream, other = builder.stream("topic"), builder.stream("other-topic")
    joined = stream.join(other, lambda v, v2: v + v2, JoinWindows.of_time_difference_with_no_grace(5000))
    joined.filter(lambda k, v: v == "foo").map_values(lambda v: v + "some value").to("output-topic")
    assert str(builder.build().describe()) == JOIN_FILTER_MAP


def test_a_rekeyed_stream_is_repartitioned_before_the_join() -> None:
    builder = StreamsBuilder()
    orders = builder.stream("orders").select_key(lambda k, v: v.split(":")[0])
    payments = builder.stream("payments")
    orders.join(payments, joiner, JoinWindows.of_time_difference_with_no_grace(10)).to("out")
    topology = builder.build()
    assert topology.internal_topics == {"KSTREAM-KEY-SELECT-0000000001-repartition"}
    assert [s.source_topics for s in topology.subtopologies()] == [
        ["orders"],
        ["payments", "KSTREAM-KEY-SELECT-0000000001-repartition"],
    ]
    assert {"payments", "KSTREAM-KEY-SELECT-0000000001-repartition"} in topology.copartition_groups
    driver = TopologyTestDriver(topology)
    driver.pipe_input("payments", "ana", "paid", 5)
    driver.pipe_input("orders", "order-1", "ana:book", 6)
    assert _out(driver) == [("ana", "ana:book+paid", 6)]


def test_join_windows_are_checked() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        JoinWindows.of_time_difference_and_grace(10, -1)
    with pytest.raises(ValueError, match=r"beforeMs\+afterMs"):
        JoinWindows.of_time_difference_with_no_grace(10).before(-11)
    with pytest.raises(TypeError, match="JoinWindows"):
        builder = StreamsBuilder()
        builder.stream("a").join(builder.stream("b"), joiner)


def test_kafkas_left_join_with_zero_after_case() -> None:
    # Kafka's KStreamKStreamLeftJoinTest#testLeftJoinedRecordsWithZeroAfterAreEmitted
    # (its emit interval set to 0, which is how the join emits here).
    driver = _driver("left_join", JoinWindows.of_time_difference_with_no_grace(100).after(0))
    keys = ["0", "1", "2", "3"]
    for i, key in enumerate(keys):
        driver.pipe_input("left", key, f"A{key}", 1000 + i)
    assert _out(driver) == [("0", "A0+None", 1000), ("1", "A1+None", 1001), ("2", "A2+None", 1002)]
    for letter, time, joined in (("a", 999, "0123"), ("b", 1000, "0123"), ("c", 1001, "123"),
                                 ("d", 1002, "23"), ("e", 1003, "3"), ("f", 1100, "")):  # fmt: skip
        for key in keys:
            driver.pipe_input("right", key, f"{letter}{key}", time)
        assert _out(driver) == [(k, f"A{k}+{letter}{k}", 1000 + int(k)) for k in joined]


def test_kafkas_outer_join_windowing_case() -> None:
    # Kafka's KStreamKStreamOuterJoinTest#testWindowing (upper window bound, then the
    # first steps of the lower bound), its emit interval set to 0.
    driver = _driver("outer_join", JoinWindows.of_time_difference_with_no_grace(100))
    keys = ["0", "1", "2", "3"]

    def pipe(topic: str, letter: str, time: int, keys: list[str] = keys, step: int = 0) -> None:
        for i, key in enumerate(keys):
            driver.pipe_input(topic, key, f"{letter}{key}", time + i * step)

    pipe("left", "A", 0, keys[:2])
    assert _out(driver) == []
    pipe("right", "a", 0)
    assert _out(driver) == [("0", "A0+a0", 0), ("1", "A1+a1", 0)]
    pipe("right", "b", 1000, step=1)
    assert _out(driver) == [("2", "None+a2", 0), ("3", "None+a3", 0)]
    pipe("left", "B", 1100)
    assert _out(driver) == [(k, f"B{k}+b{k}", 1100) for k in keys]
    for letter, time, joined in (("C", 1101, "123"), ("D", 1102, "23"), ("E", 1103, "3"), ("F", 1104, "")):
        pipe("left", letter, time)
        assert _out(driver) == [(k, f"{letter}{k}+b{k}", time) for k in joined]
    driver.pipe_input("left", "0", "dummy", 1405)
    assert _out(driver) == [
        ("0", "C0+None", 1101), ("0", "D0+None", 1102), ("1", "D1+None", 1102),
        ("0", "E0+None", 1103), ("1", "E1+None", 1103), ("2", "E2+None", 1103),
        ("0", "F0+None", 1104), ("1", "F1+None", 1104), ("2", "F2+None", 1104), ("3", "F3+None", 1104),
    ]  # fmt: skip
    pipe("left", "G", 899)  # before the window of every b: emitted at once
    assert _out(driver) == [(k, f"G{k}+None", 899) for k in keys]
    pipe("left", "H", 900)
    assert _out(driver) == [
        ("0", "H0+b0", 1000),
        ("1", "H1+None", 900),
        ("2", "H2+None", 900),
        ("3", "H3+None", 900),
    ]
