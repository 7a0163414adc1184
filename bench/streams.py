"""Kafka Streams in Python against a plain consume→produce loop, one run each, through
the same backend (kafkatui's embedded cluster, one broker):

    python bench/streams.py [--records 200000] [--partitions 3]

1. plain: a consumer in a group reads the input, filters and maps each record, sends it
   on with one producer, and commits at the end — the floor any stream library pays.
2. stateless: the same filter + map as a topology (`stream().filter().map_values().to()`).
3. stateful: count by key (`group_by_key().count()`), a SQLite-backed store per task
   and every update to the changelog and the output topic.
4. restore: the stateful app's state dir deleted, a new instance restores its stores
   from the changelog.

Prints records/s for each and the ratios to the plain loop (goals: stateless ≥ 0.7,
stateful ≥ 0.3), and the restore speed in changelog records/s.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from kafkatui.backends.base import LATEST_TIMESTAMP, Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.ecosystem.streams import Serdes, StreamsBuilder
from kafkatui.ecosystem.streams.runtime import RUNNING, KafkaStreams
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults

INPUT = "bench-streams-in"
KEYS = 1000


async def fill(backend: Backend, records: int) -> None:
    producer = backend.producer(ProducerConfig(linger_ms=20, batch_size=262_144))
    for i in range(records):
        await producer.send(INPUT, f"value-{i}".encode(), key=f"k{i % KEYS}".encode())
    await producer.flush()
    await producer.close()


def keep(key: str, value: str) -> bool:
    return not value.endswith("7")


def shout(value: str) -> str:
    return value.upper()


async def total(backend: Backend, topic: str) -> int:
    partitions = range(len(backend.describe_topic(topic).partitions))
    return sum((await backend.list_offsets(topic, partitions, LATEST_TIMESTAMP)).values())


async def plain(backend: Backend, records: int) -> float:
    await backend.create_topic("bench-plain-out", 3, 1)
    consumer = backend.consumer(
        ConsumerConfig(group_id="bench-plain", auto_offset_reset="earliest", enable_auto_commit=False,
                       max_poll_records=1000, fetch_max_wait_ms=100)
    )  # fmt: skip
    producer = backend.producer(ProducerConfig(linger_ms=100, batch_size=65_536))
    consumer.subscribe([INPUT])
    started, seen = time.perf_counter(), 0
    while seen < records:
        for r in await consumer.poll(100):
            seen += 1
            value = bytes(r.value).decode()
            if keep(bytes(r.key).decode(), value):
                # keyed, the default partitioner picks the partition, as a streams sink does
                await producer.send(
                    "bench-plain-out", shout(value).encode(), key=r.key, timestamp=r.timestamp
                )
    await producer.flush()
    await consumer.commit()
    elapsed = time.perf_counter() - started
    await consumer.close()
    await producer.close()
    return records / elapsed


async def streamed(
    backend: Backend, records: int, builder: StreamsBuilder, app: str, state: Path, done: str
) -> float:
    streams = KafkaStreams(
        builder.build(), {"application.id": app, "state.dir": str(state), "commit.interval.ms": 1000}, backend
    )
    started = time.perf_counter()
    await streams.start()
    while streams.metrics()["process-total"] < records:
        await asyncio.sleep(0.02)
    await streams.close()
    return records / (time.perf_counter() - started)


async def main(args: argparse.Namespace) -> None:
    cluster = await Cluster.open(
        None, brokers=1, seed=1, defaults=BrokerDefaults(group_initial_rebalance_delay_ms=0)
    )
    backend = EmbeddedBackend(cluster)
    state = Path(tempfile.mkdtemp(prefix="bench-streams-"))
    try:
        await backend.create_topic(INPUT, args.partitions, 1)
        await fill(backend, args.records)
        n = args.records
        plain_rate = await plain(backend, n)

        stateless = StreamsBuilder()
        stateless.stream(INPUT).filter(keep).map_values(shout).to("bench-stateless-out")
        stateless_rate = await streamed(
            backend, n, stateless, "bench-stateless", state, "bench-stateless-out"
        )

        stateful = StreamsBuilder()
        stateful.stream(INPUT).group_by_key().count("counts").to_stream().to(
            "bench-count-out", value_serde=Serdes.long()
        )
        stateful_rate = await streamed(backend, n, stateful, "bench-count", state, "bench-count-out")

        shutil.rmtree(state / "bench-count")
        changelog = await total(backend, "bench-count-counts-changelog")
        again = KafkaStreams(
            stateful.build(), {"application.id": "bench-count", "state.dir": str(state)}, backend
        )
        started = time.perf_counter()
        await again.start()
        while again.state != RUNNING or len(again.tasks) < args.partitions:
            await asyncio.sleep(0.01)
        restore_s = time.perf_counter() - started
        restored = sum(again.restored.values())
        await again.close()

        print(f"records: {n:,} over {args.partitions} partitions, {KEYS} keys (embedded cluster, 1 broker)")
        print(f"plain consume→produce loop: {plain_rate:10,.0f} records/s")
        for label, rate, goal in (
            ("stateless filter+map", stateless_rate, 0.7),
            ("stateful count by key", stateful_rate, 0.3),
        ):
            print(f"{label + ':':28}{rate:10,.0f} records/s  ratio {rate / plain_rate:.2f} (goal ≥ {goal})")
        speed = restored / restore_s
        print(f"restore: {restored:,} of {changelog:,} changelog records in {restore_s:.2f} s")
        print(f"restore speed: {speed:,.0f} records/s")
    finally:
        await cluster.close()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
