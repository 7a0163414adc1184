"""ksqlDB's average price per client against the same aggregation written with the
Streams library, one run each, through the same backend (kafkatui's embedded cluster,
one broker), then pull-query latency over HTTP:

    python bench/ksql.py [--records 200000] [--partitions 3] [--pulls 500]

1. streams: `stream(sales).group_by(client_id).aggregate([sum, count])` → to_stream →
   the average, JSON in and out — what a person would write by hand.
2. ksql: `CREATE TABLE avg_price AS SELECT client_id, AVG(price) FROM sales GROUP BY
   client_id`, compiled by kafkatui's ksqlDB to a topology of the same library.
3. pull: `SELECT * FROM avg_price WHERE client_id = '…'` over POST /query-stream.

Prints both rates, the ksql/streams ratio (goal ≥ 0.7) and the pull latency p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ProducerConfig
from kafkatui.ecosystem.ksql.parser import parse
from kafkatui.ecosystem.ksql.service import KsqlService
from kafkatui.ecosystem.streams import Serdes, StreamsBuilder
from kafkatui.ecosystem.streams.runtime import KafkaStreams
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults

SALES = "sales"
CLIENTS = 1000


async def fill(backend: Backend, records: int) -> None:
    producer = backend.producer(ProducerConfig(linger_ms=20, batch_size=262_144))
    rng = random.Random(7)
    for i in range(records):
        value = {"CLIENT_ID": f"c{i % CLIENTS}", "PRICE": round(rng.uniform(1, 100), 2)}
        await producer.send(SALES, json.dumps(value).encode(), key=f"s{i}".encode())
    await producer.flush()
    await producer.close()


async def until_processed(streams: KafkaStreams, count: int) -> None:
    # Both sub-topologies count: the source's and the repartition topic's.
    while streams.metrics()["process-total"] < count:
        if streams.error is not None:
            raise streams.error
        await asyncio.sleep(0.02)


async def by_hand(backend: Backend, records: int, state: Path) -> float:
    builder = StreamsBuilder()
    (
        builder.stream(SALES, key_serde=Serdes.string(), value_serde=Serdes.json())
        .group_by(lambda k, v: v["CLIENT_ID"], key_serde=Serdes.string(), value_serde=Serdes.json())
        .aggregate(lambda: [0.0, 0], lambda k, v, a: [a[0] + v["PRICE"], a[1] + 1], value_serde=Serdes.json())
        .to_stream()
        .map_values(lambda a: {"AVG_PRICE": a[0] / a[1]})
        .to("bench-avg-streams", value_serde=Serdes.json())
    )
    config = {"application.id": "bench-avg", "state.dir": str(state), "commit.interval.ms": 2000}
    streams = KafkaStreams(builder.build(), config, backend)
    started = time.perf_counter()
    await streams.start()
    await until_processed(streams, 2 * records)
    elapsed = time.perf_counter() - started
    await streams.close()
    return records / elapsed


async def main(args: argparse.Namespace) -> None:
    cluster = await Cluster.open(
        None, brokers=1, seed=1, defaults=BrokerDefaults(group_initial_rebalance_delay_ms=0)
    )
    backend = EmbeddedBackend(cluster)
    state = Path(tempfile.mkdtemp(prefix="bench-ksql-"))
    service = KsqlService(backend, state_dir=state / "ksql")
    try:
        await backend.create_topic(SALES, args.partitions, 1)
        await fill(backend, args.records)
        streams_rate = await by_hand(backend, args.records, state)

        url = await service.start(0)
        engine = service.engine
        statements = parse(
            "CREATE STREAM sales (id STRING KEY, client_id STRING, price DOUBLE) "
            "WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON');"
            "CREATE TABLE avg_price AS SELECT client_id, AVG(price) AS avg_price FROM sales "
            "GROUP BY client_id;"
        )
        started = time.perf_counter()
        for statement in statements:
            await engine.execute(statement)
        [running] = engine.running.values()
        await until_processed(running.streams, 2 * args.records)
        ksql_rate = args.records / (time.perf_counter() - started)

        latencies: list[float] = []
        rng = random.Random(3)
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            for _ in range(args.pulls):
                sql = f"SELECT * FROM avg_price WHERE client_id = 'c{rng.randrange(CLIENTS)}';"
                began = time.perf_counter()
                answer = await client.post("/query-stream", json={"sql": sql})
                latencies.append((time.perf_counter() - began) * 1000)
                assert answer.status_code == 200 and len(answer.text.splitlines()) == 2, answer.text
        p50 = statistics.median(latencies)
        p95 = statistics.quantiles(latencies, n=20)[-1]

        where = f"over {args.partitions} partitions, {CLIENTS} clients (embedded, 1 broker)"
        print(f"records: {args.records:,} {where}")
        print(f"streams by hand (group_by + aggregate): {streams_rate:10,.0f} records/s")
        print(f"ksql CREATE TABLE … AVG(price) GROUP BY: {ksql_rate:10,.0f} records/s")
        print(f"ksql/streams ratio: {ksql_rate / streams_rate:.2f} (goal ≥ 0.7)")
        print(f"pull query over HTTP, {args.pulls} keys: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    finally:
        await service.close()
        await cluster.close()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--pulls", type=int, default=500)
    asyncio.run(main(parser.parse_args()))
