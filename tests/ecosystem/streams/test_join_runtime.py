"""Joins run on kafkatui's cluster: a join across topics with different partition
counts refuses to start with Kafka's TopologyException text and an explanation (at
start, in the driver, and as the CLI's one line); the shipped enrichment example
re-keys `sales` through a repartition topic sized like `clients` and enriches every
sale; a GlobalKTable is complete before the first task runs and follows its topic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kafkatui.common.clients import ProducerConfig
from kafkatui.ecosystem.streams import JoinWindows, Serdes, StreamsBuilder, TopologyTestDriver
from kafkatui.ecosystem.streams.examples import enrichment
from kafkatui.ecosystem.streams.joins_copartition import CopartitionError
from kafkatui.ecosystem.streams.runtime import ERROR, KafkaStreams
from kafkatui.ecosystem.streams.task import StreamsError
from tests.cli.conftest import CliFn
from tests.ecosystem.streams.conftest import Served, until

NOT_COPARTITIONED = "Invalid topology: Following topics do not have the same number of partitions: "


def _unkeyed_join() -> StreamsBuilder:
    builder = StreamsBuilder()
    builder.stream("sales").join(builder.table("clients"), lambda sale, client: f"{sale}@{client}").to("out")
    return builder


async def _records(served: Served, topic: str) -> list[tuple[int, Any, Any]]:
    found = []
    for partition in range(len(served.backend.describe_topic(topic).partitions)):
        offset = 0
        while batch := await served.backend.read_log(topic, partition, offset, 1000):
            found += [(partition, r.key and bytes(r.key).decode(), r.value and json.loads(bytes(r.value)))
                      for r in batch]  # fmt: skip
            offset = batch[-1].offset + 1
    return found


async def test_a_join_of_topics_with_different_partition_counts_refuses_to_start(
    served: Served, tmp_path: Path
) -> None:
    await served.backend.create_topic("sales", 2, 1)
    await served.backend.create_topic("clients", 3, 1, {"cleanup.policy": "compact"})
    streams = KafkaStreams(
        _unkeyed_join().build(), {"application.id": "joiner", "state.dir": str(tmp_path)}, served.backend
    )
    with pytest.raises(CopartitionError) as refused:
        await streams.start()
    message = str(refused.value)
    assert message.startswith(NOT_COPARTITIONED + "[{clients=3, sales=2}]")
    assert "sales has 2 partitions where clients has 3" in message
    assert "topic with 3 partitions" in message
    assert not [t for t in served.backend.topic_names() if t.startswith("joiner-")]  # nothing created


def test_the_driver_runs_the_same_check_when_given_partition_counts() -> None:
    topology = _unkeyed_join().build()
    with pytest.raises(CopartitionError, match=r"\[\{clients=4, sales=1\}\]"):
        TopologyTestDriver(topology, partitions={"sales": 1, "clients": 4})
    TopologyTestDriver(topology, partitions={"sales": 4, "clients": 4})


def test_the_cli_prints_the_refusal_as_one_line(cli: CliFn, tmp_path: Path) -> None:
    cli("topic", "create", "sales", "--partitions", "2").ok()
    cli("topic", "create", "clients", "--partitions", "3").ok()
    app = tmp_path / "app.py"
    app.write_text(
        "def topology(builder):\n"
        "    builder.stream('sales').join(builder.table('clients'), lambda s, c: s).to('out')\n"
    )
    run = cli("streams", "run", str(app), "--application-id", "joiner", "--state-dir", str(tmp_path / "s"))
    run.assert_error("STREAMS_EXCEPTION", NOT_COPARTITIONED + "[{clients=3, sales=2}]")


async def test_the_enrichment_example_repartitions_sales_like_clients_and_enriches_each_sale(
    served: Served, tmp_path: Path
) -> None:
    await served.backend.create_topic(enrichment.SALES, 2, 1)
    await served.backend.create_topic(enrichment.CLIENTS, 3, 1, {"cleanup.policy": "compact"})
    clients = {f"c{i:04d}": {"client_id": f"c{i:04d}", "name": f"Client {i}", "city": f"City {i % 4}"}
               for i in range(1, 21)}  # fmt: skip
    await served.produce(
        enrichment.CLIENTS, [(k.encode(), json.dumps(v).encode()) for k, v in clients.items()]
    )
    builder = StreamsBuilder()
    enrichment.topology(builder)
    settings = {**enrichment.CONFIG, "state.dir": str(tmp_path), "commit.interval.ms": 100}
    streams = KafkaStreams(builder.build(), settings, served.backend)
    await streams.start()

    def table_rows() -> int:
        tables = [t.stores["clients-by-id"] for t in streams.tasks.values() if "clients-by-id" in t.stores]
        return sum(table.approximate_num_entries() for table in tables)

    await until(lambda: table_rows() == len(clients), "the clients table loaded")
    repartition = "sales-enrichment-KSTREAM-KEY-SELECT-0000000004-repartition"
    assert len(served.backend.describe_topic(repartition).partitions) == 3  # the other side's count
    sales = [{"order_id": n, "client_id": f"c{n % 25 + 1:04d}", "product": "book", "price": 10.0 + n}
             for n in range(200)]  # fmt: skip
    await served.produce(
        enrichment.SALES, [(str(s["order_id"]).encode(), json.dumps(s).encode()) for s in sales]
    )
    await until(lambda: served.caught_up(streams, enrichment.SALES, repartition), "every sale processed")
    await streams.close()
    out = await _records(served, enrichment.OUTPUT)
    assert sorted(v["order_id"] for _, _, v in out) == list(range(200))
    for _, key, value in out:
        client = clients.get(value["client_id"])
        assert key == value["client_id"]
        assert value["client_name"] == (client and client["name"])  # c0021…c0025: not in the table
        assert value["client_city"] == (client and client["city"])
    assert sum(1 for _, _, v in out if v["client_name"] is None) == sum(
        1 for s in sales if s["client_id"] not in clients
    )


async def test_a_global_table_is_complete_before_the_first_task_and_follows_its_topic(
    served: Served, tmp_path: Path
) -> None:
    await served.backend.create_topic("sales", 2, 1)
    await served.backend.create_topic("clients", 3, 1, {"cleanup.policy": "compact"})  # no co-partitioning
    await served.produce("clients", [(f"c{i}".encode(), f"name {i}".encode()) for i in range(50)])
    await served.produce("sales", [(f"s{i}".encode(), f"c{i % 60}".encode()) for i in range(100)])
    builder = StreamsBuilder()
    clients = builder.global_table("clients")
    builder.stream("sales").left_join(
        clients, lambda key, client: client, lambda sale, name: f"{sale}={name}"
    ).to("out")
    settings = {"application.id": "global-join", "state.dir": str(tmp_path), "commit.interval.ms": 100}
    streams = KafkaStreams(builder.build(), settings, served.backend)
    await streams.start()
    assert streams.global_thread.restored == 50  # read before any task existed
    await until(lambda: served.caught_up(streams, "sales"), "the sales processed")
    await served.produce("clients", [(b"c55", b"late client")])
    await until(
        lambda: streams.global_thread.stores["clients-STATE-STORE-0000000000"].get("c55"), "the update"
    )
    await served.produce("sales", [(b"s100", b"c55")])
    await until(lambda: served.caught_up(streams, "sales"), "the last sale processed")
    await streams.close()
    values = []
    for partition in range(len(served.backend.describe_topic("out").partitions)):
        values += [bytes(r.value).decode() for r in await served.backend.read_log("out", partition, 0, 1000)]
    assert sorted(values) == sorted(
        [f"c{i % 60}=" + (f"name {i % 60}" if i % 60 < 50 else "None") for i in range(100)]
        + ["c55=late client"]
    )
    assert not [t for t in served.backend.topic_names() if t.endswith("-changelog")]


async def _produce_at(served: Served, topic: str, records: list[tuple[str, str, int]]) -> None:
    producer = served.backend.producer(ProducerConfig(linger_ms=5))
    for key, value, timestamp in records:
        await producer.send(topic, value.encode(), key=key.encode(), timestamp=timestamp)
    await producer.flush()
    await producer.close()


def _left_join_app(served: Served, state_dir: Path) -> KafkaStreams:
    builder = StreamsBuilder()
    builder.stream("left").left_join(
        builder.stream("right"), lambda a, b: f"{a}+{b}", JoinWindows.of_time_difference_with_no_grace(60_000)
    ).to("out")
    settings = {"application.id": "pairs", "state.dir": str(state_dir), "commit.interval.ms": 100}
    return KafkaStreams(builder.build(), settings, served.backend)


async def test_a_stream_stream_left_join_restores_both_window_stores_and_the_outer_store_after_a_kill(
    served: Served, tmp_path: Path
) -> None:
    await served.backend.create_topic("left", 2, 1)
    await served.backend.create_topic("right", 2, 1)
    await _produce_at(served, "left", [(f"k{i}", f"L{i}", 1_000) for i in range(10)])
    first = _left_join_app(served, tmp_path / "one")
    await first.start()
    await until(lambda: served.caught_up(first, "left", "right"), "the left records processed")
    first.kill()  # nothing emitted yet: every left record waits for a partner or its window's end
    await first.wait()
    this = served.backend.describe_topic("pairs-KSTREAM-JOINTHIS-0000000004-store-changelog")
    shared = served.backend.describe_topic("pairs-KSTREAM-OUTERSHARED-0000000004-store-changelog")
    assert this.configs.get("cleanup.policy") == "delete"  # one record per key and sequence number
    assert this.configs.get("retention.ms") == str(120_000 + 86_400_000)
    assert shared.configs.get("cleanup.policy") == "compact"

    second = _left_join_app(served, tmp_path / "two")  # empty state dir: all from the changelogs
    await second.start()
    await _produce_at(served, "right", [(f"k{i}", f"R{i}", 2_000) for i in range(5)])
    await until(lambda: served.caught_up(second, "left", "right"), "the right records processed")
    # Past every window: a left record per partition lets each task emit what never met a partner.
    ticks = [(f"t{i}", "tick", 200_000) for i in range(20)]
    await _produce_at(served, "left", ticks)
    await until(lambda: served.caught_up(second, "left", "right"), "the ticks processed")
    await second.close()
    assert sum(second.restored.values()) > 0
    values = []
    for partition in range(len(served.backend.describe_topic("out").partitions)):
        values += [bytes(r.value).decode() for r in await served.backend.read_log("out", partition, 0, 1000)]
    assert sorted(values) == sorted([f"L{i}+R{i}" for i in range(5)] + [f"L{i}+None" for i in range(5, 10)])


def test_the_enrichment_example_runs_with_the_cli(cli: CliFn, tmp_path: Path) -> None:
    cli("topic", "create", "clients", "--partitions", "3", "-c", "cleanup.policy=compact").ok()
    cli("topic", "create", "sales", "--partitions", "2").ok()
    cli("produce", "clients", "--key", "c0001", "--value", '{"name": "Ana Lima", "city": "Lisbon"}').ok()
    for n in range(3):
        sale = json.dumps({"order_id": n, "client_id": "c0001", "product": "book", "price": 10 + n})
        cli("produce", "sales", "--key", str(n), "--value", sale).ok()
    module = "kafkatui.ecosystem.streams.examples.enrichment"
    run = cli("streams", "run", module, "--state-dir", str(tmp_path / "state"), "--duration", "6").ok()
    assert "streams sales-enrichment: NOT_RUNNING" in run.stdout
    assert "processed 7 records" in run.stdout  # 1 client, 3 sales, 3 sales again from the repartition topic
    out = cli("consume", enrichment.OUTPUT, "--from-beginning", "--timeout", "1", "--json").ok()
    records = [(r["key"], json.loads(r["value"])) for r in out.json_lines()]
    assert sorted(v["order_id"] for _, v in records) == [0, 1, 2]
    assert {k for k, _ in records} == {"c0001"}
    assert all(v["client_name"] in ("Ana Lima", None) for _, v in records)


async def test_an_unreadable_global_record_stops_the_instance_in_error(
    served: Served, tmp_path: Path
) -> None:
    await served.backend.create_topic("sales", 1, 1)
    await served.backend.create_topic("clients", 1, 1, {"cleanup.policy": "compact"})
    await served.produce("clients", [(b"c1", b'{"name": "Ana"}')])
    builder = StreamsBuilder()
    clients = builder.global_table("clients", value_serde=Serdes.json())
    builder.stream("sales").join(clients, lambda key, client: client, lambda sale, c: c["name"]).to("out")
    settings = {"application.id": "strict-global", "state.dir": str(tmp_path)}
    streams = KafkaStreams(builder.build(), settings, served.backend)
    await streams.start()
    await served.produce("clients", [(b"c2", b"not json")])
    with pytest.raises(StreamsError, match="topic: clients, partition: 0, offset: 1"):
        await streams.wait()
    assert streams.state == ERROR
