"""Kafka Connect against the backend's own clients, in one run.

    python bench/connect.py [--lines 200000]

One in-memory cluster (one broker). A file of `--lines` text lines goes through Connect
twice over: FileStreamSource → topic `connect-lines` → FileStreamSink → a file (the
worker's default JsonConverter with schemas.enable=true, batch.size 2000, one task each),
timed from creating the connectors until the sink's file holds every line. Then the same
lines directly through the backend: a producer sends each line to `direct-lines` and a
consumer reads them back and writes them to a file, timed the same way. connect/direct
is the part of the direct rate Connect keeps (goal ≥ 0.5); both rates are lines per
second end to end (read from a file, through Kafka, into a file).

A second pair does the same into a SQLite table: FileStreamSource → `sqlite-lines` →
SqliteSink (insert.mode=upsert, pk.mode=kafka, auto.create: the configuration the tests
use, each line once whatever is redelivered), against a backend consumer writing each
poll's lines with the same upsert in one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig, TopicPartition
from kafkatui.ecosystem.connect.worker import Worker, WorkerConfig
from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


async def through_connect(backend: EmbeddedBackend, source: Path, sink: Path, lines: int) -> float:
    worker = Worker(backend, WorkerConfig())
    await worker.start()
    started = time.perf_counter()
    await worker.put_connector(
        "bench-source", {"connector.class": "FileStreamSource", "file": str(source), "topic": "connect-lines"}
    )
    await worker.put_connector(
        "bench-sink", {"connector.class": "FileStreamSink", "file": str(sink), "topics": "connect-lines"}
    )
    # Watch the sink task's count (re-reading a growing file every few ms would cost
    # this side alone), then check the file.
    while worker.tasks[("bench-sink", 0)].records < lines:
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await worker.close()
    assert count_lines(sink) == lines, f"{count_lines(sink)} lines in the sink's file"
    return elapsed


SQLITE_SINK = {"insert.mode": "upsert", "pk.mode": "kafka", "auto.create": "true"}
UPSERT = (
    'INSERT INTO "direct-sqlite" ("__connect_topic", "__connect_partition", "__connect_offset", "value") '
    'VALUES (?, ?, ?, ?) ON CONFLICT ("__connect_topic", "__connect_partition", "__connect_offset") '
    'DO UPDATE SET "value" = excluded."value"'
)


def count_rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


async def through_connect_sqlite(backend: EmbeddedBackend, source: Path, db: Path, lines: int) -> float:
    worker = Worker(backend, WorkerConfig())
    await worker.start()
    started = time.perf_counter()
    await worker.put_connector(
        "bench-sqlite-source",
        {"connector.class": "FileStreamSource", "file": str(source), "topic": "sqlite-lines"},
    )
    await worker.put_connector(
        "bench-sqlite-sink",
        {"connector.class": "SqliteSink", "connection.url": str(db), "topics": "sqlite-lines", **SQLITE_SINK},
    )
    while worker.tasks[("bench-sqlite-sink", 0)].records < lines:
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await worker.close()
    assert count_rows(db, "sqlite-lines") == lines, f"{count_rows(db, 'sqlite-lines')} rows in the table"
    return elapsed


async def directly_sqlite(backend: EmbeddedBackend, source: Path, db: Path, lines: int) -> float:
    """The same lines through the backend's producer and consumer, the consumer writing
    each poll's records in one transaction with aiosqlite (what the sink does per put)."""
    import aiosqlite

    started = time.perf_counter()
    await backend.create_topic("direct-sqlite", 1, 1)
    producer = backend.producer(ProducerConfig(acks="all", linger_ms=5))
    consumer = backend.consumer(ConsumerConfig(auto_offset_reset="earliest", enable_auto_commit=False))
    consumer.assign([TopicPartition("direct-sqlite", 0)])
    conn = await aiosqlite.connect(db, isolation_level=None)
    await conn.execute(
        'CREATE TABLE "direct-sqlite" ("__connect_topic" TEXT, "__connect_partition" INTEGER, '
        '"__connect_offset" INTEGER, "value" TEXT, '
        'PRIMARY KEY ("__connect_topic", "__connect_partition", "__connect_offset"))'
    )

    async def produce() -> None:
        with source.open("rb") as f:
            for line in f:
                await producer.send("direct-sqlite", line.rstrip(b"\n"))
        await producer.flush()

    async def consume() -> None:
        got = 0
        while got < lines:
            records = await consumer.poll(500)
            if not records:
                continue
            await conn.execute("BEGIN IMMEDIATE")
            await conn.executemany(
                UPSERT, [("direct-sqlite", 0, r.offset, r.value.decode()) for r in records]
            )
            await conn.execute("COMMIT")
            got += len(records)

    await asyncio.gather(produce(), consume())
    elapsed = time.perf_counter() - started
    await conn.close()
    await producer.close()
    await consumer.close()
    assert count_rows(db, "direct-sqlite") == lines
    return elapsed


async def directly(backend: EmbeddedBackend, source: Path, sink: Path, lines: int) -> float:
    started = time.perf_counter()
    await backend.create_topic("direct-lines", 1, 1)
    producer = backend.producer(ProducerConfig(acks="all", linger_ms=5))
    consumer = backend.consumer(ConsumerConfig(auto_offset_reset="earliest", enable_auto_commit=False))
    consumer.assign([TopicPartition("direct-lines", 0)])

    async def produce() -> None:
        with source.open("rb") as f:
            for line in f:
                await producer.send("direct-lines", line.rstrip(b"\n"))
        await producer.flush()

    async def consume() -> None:
        got = 0
        with sink.open("w") as out:
            while got < lines:
                records = await consumer.poll(500)
                out.write("".join(f"{r.value.decode()}\n" for r in records))
                got += len(records)

    await asyncio.gather(produce(), consume())
    elapsed = time.perf_counter() - started
    await producer.close()
    await consumer.close()
    assert count_lines(sink) == lines
    return elapsed


async def main(lines: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.txt"
        with source.open("w") as f:
            f.write("".join(f"line {i:07d} {'x' * 60}\n" for i in range(lines)))
        cluster = await Cluster.open(
            None, brokers=1, seed=1, defaults=BrokerDefaults(group_initial_rebalance_delay_ms=0)
        )
        backend = EmbeddedBackend(cluster)
        try:
            connect_s = await through_connect(backend, source, Path(tmp) / "connect-out.txt", lines)
            direct_s = await directly(backend, source, Path(tmp) / "direct-out.txt", lines)
            sqlite_s = await through_connect_sqlite(backend, source, Path(tmp) / "connect.db", lines)
            direct_sqlite_s = await directly_sqlite(backend, source, Path(tmp) / "direct.db", lines)
        finally:
            await cluster.close()
    connect_rate, direct_rate = lines / connect_s, lines / direct_s
    print(f"lines: {lines:,}")
    print(f"connect (FileStreamSource → topic → FileStreamSink): {connect_rate:,.0f} lines/s")
    print(f"  {connect_s:.2f} s")
    print(
        f"direct (backend producer → topic → backend consumer): {direct_rate:,.0f} lines/s ({direct_s:.2f} s)"
    )
    print(f"connect/direct: {connect_rate / direct_rate:.2f} (goal >= 0.5)")
    sqlite_rate, direct_sqlite_rate = lines / sqlite_s, lines / direct_sqlite_s
    print(f"connect (FileStreamSource → topic → SqliteSink upsert): {sqlite_rate:,.0f} lines/s")
    print(f"  {sqlite_s:.2f} s")
    print(
        "direct (backend producer → topic → consumer → aiosqlite upsert): "
        f"{direct_sqlite_rate:,.0f} lines/s ({direct_sqlite_s:.2f} s)"
    )
    print(f"connect/direct (SQLite): {sqlite_rate / direct_sqlite_rate:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().lines))
