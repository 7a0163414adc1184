"""Real Kafka clients producing to `kafkatui serve`, against the engine's own producer.

    python bench/wire.py [--records 200000] [--size 100]

The baseline: the engine's Producer in-process (acks=1, linger.ms=5, batch.size=128 KiB)
into a one-broker cluster on disk, one partition. The wire paths: `kafkatui serve
--brokers 1` in its own process on a fresh data dir, and confluent-kafka (linger.ms=5,
batch.num.messages=10000) or kafka-python (a quarter of the records: it is much slower
itself) producing with acks=1 to one partition, then confluent-kafka consuming it all.
Ratios above 1 mean the wire path is faster than the in-process engine producer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaProducer

from kafkatui.engine.cluster import Cluster
from kafkatui.engine.producer import Producer as EngineProducer
from kafkatui.engine.producer import ProducerConfig


async def engine_produce(data_dir: Path, values: list[bytes]) -> float:
    async with await Cluster.open(data_dir, brokers=1, seed=1) as cluster:
        await cluster.create_topic("bench", 1, 1)
        config = ProducerConfig(acks="1", linger_ms=5, batch_size=128 * 1024)
        started = time.perf_counter()
        async with EngineProducer(cluster, config) as producer:
            for i, value in enumerate(values):
                await producer.send("bench", value, partition=0)
                if i % 5000 == 4999:
                    await asyncio.sleep(0)
        return time.perf_counter() - started


def serve(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from kafkatui.cli.main import run; run()",
            "--data-dir",
            str(data_dir),
            "serve",
            "--brokers",
            "1",
            "--port-base",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("bootstrap servers: "):
            return proc, line.split(": ", 1)[1].strip()
    raise SystemExit("kafkatui serve did not start")


def confluent_produce(bootstrap: str, topic: str, values: list[bytes]) -> float:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 5, "batch.num.messages": 10_000}
    )
    started = time.perf_counter()
    for value in values:
        while True:
            try:
                producer.produce(topic, value, partition=0)
                break
            except BufferError:
                producer.poll(0.005)
    assert producer.flush(120) == 0
    return time.perf_counter() - started


def kafka_python_produce(bootstrap: str, topic: str, values: list[bytes]) -> float:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5, enable_idempotence=False)
    started = time.perf_counter()
    for value in values:
        producer.send(topic, value, partition=0)
    producer.flush()
    elapsed = time.perf_counter() - started
    producer.close()
    return elapsed


def confluent_consume(bootstrap: str, topic: str, count: int) -> float:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = 0
    started = time.perf_counter()
    while seen < count:
        seen += sum(1 for m in consumer.consume(10_000, 1.0) if m.error() is None)
    elapsed = time.perf_counter() - started
    consumer.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    values = [os.urandom(args.size // 2).hex().encode()[: args.size]] * args.records
    with tempfile.TemporaryDirectory(prefix="kafkatui-bench-") as tmp:
        base = args.records / asyncio.run(engine_produce(Path(tmp) / "engine", values))
        proc, bootstrap = serve(Path(tmp) / "wire")
        try:
            admin = AdminClient({"bootstrap.servers": bootstrap})
            for future in admin.create_topics([NewTopic(t, 1, 1) for t in ("ck", "kp")]).values():
                future.result(10)
            ck = args.records / confluent_produce(bootstrap, "ck", values)
            quarter = values[: args.records // 4]
            kp = len(quarter) / kafka_python_produce(bootstrap, "kp", quarter)
            read = args.records / confluent_consume(bootstrap, "ck", args.records)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    print(f"{args.records:,} records of {args.size} bytes, one partition, acks=1, on disk")
    print(f"  engine Producer in-process (baseline) {base:>10,.0f} records/s")
    print(f"  confluent-kafka → kafkatui serve      {ck:>10,.0f} records/s  ratio {ck / base:.2f}")
    print(f"  kafka-python    → kafkatui serve      {kp:>10,.0f} records/s  ratio {kp / base:.2f}")
    print(f"  confluent-kafka consume               {read:>10,.0f} records/s  ratio {read / base:.2f}")


if __name__ == "__main__":
    main()
