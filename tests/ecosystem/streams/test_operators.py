"""Each DSL operator and the Processor API on the TopologyTestDriver (a manual clock, no
cluster): what reaches the output topic, what the stores hold, what a changelog gets."""

from __future__ import annotations

from typing import Any

import pytest

from kafkatui.ecosystem.streams import (
    STREAM_TIME,
    WALL_CLOCK_TIME,
    Processor,
    Record,
    Serdes,
    Stores,
    StreamsBuilder,
    StreamsError,
    Topology,
    TopologyTestDriver,
)


def run(build: Any, inputs: list[tuple[Any, Any]], out: str = "out", **read: Any) -> list[tuple[Any, Any]]:
    builder = StreamsBuilder()
    build(builder.stream("in"))
    driver = TopologyTestDriver(builder.build())
    for i, (key, value) in enumerate(inputs):
        driver.pipe_input("in", key, value, timestamp=i)
    return driver.read_all(out, **read)


def test_filter_and_filter_not() -> None:
    data = [("a", "1"), ("b", "22"), ("c", "3")]
    assert run(lambda s: s.filter(lambda k, v: len(v) == 1).to("out"), data) == [("a", "1"), ("c", "3")]
    assert run(lambda s: s.filter_not(lambda k, v: len(v) == 1).to("out"), data) == [("b", "22")]


def test_map_map_values_flat_map_select_key() -> None:
    assert run(lambda s: s.map(lambda k, v: (v, k)).to("out"), [("a", "x")]) == [("x", "a")]
    assert run(lambda s: s.map_values(str.upper).to("out"), [("a", "x")]) == [("a", "X")]
    assert run(lambda s: s.flat_map(lambda k, v: [(c, k) for c in v]).to("out"), [("k", "ab")]) == [
        ("a", "k"),
        ("b", "k"),
    ]
    assert run(lambda s: s.flat_map_values(str.split).to("out"), [("k", "x y")]) == [("k", "x"), ("k", "y")]
    assert run(lambda s: s.select_key(lambda k, v: v[0]).to("out"), [(None, "hello")]) == [("h", "hello")]


def test_peek_sees_every_record_and_passes_it_on() -> None:
    seen: list[tuple[Any, Any]] = []
    assert run(lambda s: s.peek(lambda k, v: seen.append((k, v))).to("out"), [("a", "1"), ("b", "2")]) == [
        ("a", "1"),
        ("b", "2"),
    ]
    assert seen == [("a", "1"), ("b", "2")]


def test_split_sends_each_record_to_the_first_matching_branch() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("in")
        .split()
        .branch(lambda k, v: int(v) < 10)
        .branch(lambda k, v: int(v) < 100)
        .default_branch()
    )
    names = sorted(branches)
    assert names == ["KSTREAM-BRANCH-00000000010", "KSTREAM-BRANCH-00000000011", "KSTREAM-BRANCH-00000000012"]
    for name, stream in branches.items():
        stream.to(f"out-{name[-1]}")
    driver = TopologyTestDriver(builder.build())
    for value in ("5", "50", "500", "7"):
        driver.pipe_input("in", "k", value, 0)
    assert [v for _, v in driver.read_all("out-1")] == ["5", "7"]
    assert [v for _, v in driver.read_all("out-2")] == ["50"]
    assert [v for _, v in driver.read_all("out-0")] == ["500"]


def test_older_branch_gives_a_list() -> None:
    builder = StreamsBuilder()
    small, other = builder.stream("in").branch(lambda k, v: len(v) < 3, lambda k, v: True)
    small.to("small")
    other.to("other")
    driver = TopologyTestDriver(builder.build())
    driver.pipe_input("in", "k", "ab", 0)
    driver.pipe_input("in", "k", "abcd", 0)
    assert driver.read_all("small") == [("k", "ab")]
    assert driver.read_all("other") == [("k", "abcd")]


def test_group_by_repartitions_then_counts_per_new_key() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by(lambda k, v: v).count("counts").to_stream().to(
        "out", value_serde=Serdes.long()
    )
    driver = TopologyTestDriver(builder.build(), {"application.id": "app"})
    for i, word in enumerate(["a", "b", "a", "a"]):
        driver.pipe_input("in", str(i), word, i)
    assert driver.read_all("out", value_serde=Serdes.long()) == [("a", 1), ("b", 1), ("a", 2), ("a", 3)]
    assert driver.get_key_value_store("counts").get("a") == 3
    # The records really went through the repartition topic, keyed by the new key.
    through = driver.produced("app-counts-repartition")
    assert [r.key for r in through] == [b"a", b"b", b"a", b"a"]
    # And every update reached the changelog, as LongSerde's 8 bytes.
    changelog = driver.produced("app-counts-changelog")
    assert [(r.key, Serdes.long().deserialize("", r.value)) for r in changelog][-1] == (b"a", 3)


def test_null_keys_are_dropped_before_the_repartition_topic_and_counted() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by(lambda k, v: None if v == "skip" else v).count("c")
    driver = TopologyTestDriver(builder.build())
    for value in ("x", "skip", "x"):
        driver.pipe_input("in", "k", value, 0)
    assert driver.get_key_value_store("c").get("x") == 2
    assert len(driver.produced("test-driver-c-repartition")) == 2


def test_group_by_key_count_null_value_is_dropped_and_counted() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().count("c")
    driver = TopologyTestDriver(builder.build())
    driver.pipe_input("in", "k", "v", 0)
    driver.pipe_input("in", "k", None, 1)
    assert driver.get_key_value_store("c").get("k") == 1
    assert driver.metrics()["dropped-records-total"] == 1


def test_reduce_and_aggregate() -> None:
    builder = StreamsBuilder()
    grouped = builder.stream("in", value_serde=Serdes.json()).group_by_key()
    grouped.reduce(lambda agg, v: agg + v, store="sum").to_stream().to("sums", value_serde=Serdes.json())
    grouped.aggregate(lambda: [], lambda k, v, agg: [*agg, v], value_serde=Serdes.json(), store="all")
    driver = TopologyTestDriver(builder.build())
    for value in (1, 2, 3):
        driver.pipe_input("in", "k", value, 0, value_serde=Serdes.json())
    assert driver.read_all("sums", value_serde=Serdes.json()) == [("k", 1), ("k", 3), ("k", 6)]
    assert driver.get_key_value_store("all").get("k") == [1, 2, 3]


def test_table_keeps_the_latest_value_and_a_tombstone_deletes() -> None:
    builder = StreamsBuilder()
    table = builder.table("clients", value_serde=Serdes.json(), store="clients-store")
    table.to_stream().to("changes", value_serde=Serdes.json())
    driver = TopologyTestDriver(builder.build())
    driver.pipe_input("clients", "ana", {"city": "Recife"}, 0, value_serde=Serdes.json())
    driver.pipe_input("clients", "ana", {"city": "Natal"}, 1, value_serde=Serdes.json())
    driver.pipe_input("clients", "bob", {"city": "Belém"}, 2, value_serde=Serdes.json())
    store = driver.get_key_value_store("clients-store")
    assert store.get("ana") == {"city": "Natal"}
    driver.pipe_raw("clients", b"bob", None, 3)
    assert store.get("bob") is None
    assert [k for k, _ in store.all()] == ["ana"]
    assert driver.read_all("changes", value_serde=Serdes.json())[-1] == ("bob", None)


def test_sales_example_average_price_per_client() -> None:
    from kafkatui.ecosystem.streams.examples import sales

    builder = StreamsBuilder()
    sales.topology(builder)
    driver = TopologyTestDriver(builder.build(), sales.CONFIG)
    for client, price in (("ana", 10), ("bob", 4), ("ana", 20)):
        driver.pipe_input("sales", None, {"client": client, "price": price}, 0, value_serde=Serdes.json())
    driver.pipe_input("sales", None, {"product": "no client"}, 0, value_serde=Serdes.json())
    out = dict(driver.read_all(sales.OUTPUT, value_serde=Serdes.json()))
    assert out["ana"]["average"] == 15.0 and out["ana"]["count"] == 2
    assert out["bob"]["average"] == 4.0


class _Dedupe(Processor):
    """Forwards a key's first value only; every 10 ms of stream time it forwards how many
    it suppressed; every second of wall clock it forwards a heartbeat."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.seen = context.get_state_store("seen")
        self.suppressed = 0
        context.schedule(10, STREAM_TIME, self.report)
        context.schedule(1000, WALL_CLOCK_TIME, lambda now: context.forward(Record("tick", str(now), now)))

    def process(self, record: Record) -> None:
        if self.seen.get(record.key) is None:
            self.seen.put(record.key, record.value)
            self.context.forward(record)
        else:
            self.suppressed += 1

    def report(self, timestamp: int) -> None:
        self.context.forward(Record("suppressed", str(self.suppressed), timestamp))


def _dedupe_topology() -> Topology:
    topology = Topology()
    topology.add_source("in", "in")
    topology.add_processor("dedupe", _Dedupe, "in")
    topology.add_state_store(Stores.key_value_store("seen"), "dedupe")
    topology.add_sink("out", "out", "dedupe")
    return topology


def test_processor_api_with_store_and_stream_time_punctuation() -> None:
    driver = TopologyTestDriver(_dedupe_topology())
    driver.pipe_input("in", "a", "1", 1)
    driver.pipe_input("in", "a", "2", 5)
    assert driver.read_all("out") == [("a", "1")]
    driver.pipe_input("in", "b", "3", 12)  # stream time passes 10: the punctuator runs once
    assert driver.read_all("out") == [("b", "3"), ("suppressed", "1")]
    driver.pipe_input("in", "a", "4", 9)  # out of order: stream time stays 12
    assert driver.read_all("out") == []
    driver.pipe_input("in", "c", "5", 35)  # from 12 to 35: due at 20 and 30, runs once
    assert driver.read_all("out") == [("c", "5"), ("suppressed", "2")]
    assert driver.get_key_value_store("seen").get("a") == "1"


def test_wall_clock_punctuation_follows_the_drivers_clock() -> None:
    driver = TopologyTestDriver(_dedupe_topology(), wall_clock_ms=0)
    driver.advance_wall_clock_time(999)
    assert driver.read_all("out") == []
    driver.advance_wall_clock_time(1)
    assert driver.read_all("out") == [("tick", "1000")]


def test_unreadable_record_log_and_continue_counts_it() -> None:
    builder = StreamsBuilder()
    builder.stream("in", value_serde=Serdes.json()).to("out", value_serde=Serdes.json())
    config = {"default.deserialization.exception.handler": "logAndContinue"}
    driver = TopologyTestDriver(builder.build(), config)
    driver.pipe_raw("in", None, b'{"ok": 1}', 0)
    driver.pipe_raw("in", None, b"{not json", 0)
    driver.pipe_raw("in", None, b'{"ok": 2}', 0)
    assert [v for _, v in driver.read_all("out", value_serde=Serdes.json())] == [{"ok": 1}, {"ok": 2}]
    assert driver.metrics()["dropped-records-total"] == 1
    (skipped,) = driver.tasks[0].skipped
    assert (skipped.topic, skipped.partition, skipped.offset) == ("in", 0, 1)


def test_unreadable_record_log_and_fail_names_the_offset() -> None:
    builder = StreamsBuilder()
    builder.stream("in", value_serde=Serdes.long()).to("out")
    driver = TopologyTestDriver(builder.build())
    with pytest.raises(StreamsError, match=r"topic: in, partition: 0, offset: 0"):
        driver.pipe_raw("in", None, b"abc", 0)
