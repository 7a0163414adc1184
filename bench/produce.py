"""Produce and consume throughput of the engine against raw aiosqlite, in one run.

    python bench/produce.py [--records 200000] [--size 100]

The engine path: Producer (acks=1, linger.ms=5, batch.size=128 KiB) → partition leader →
RecordBatch v2 blob per batch in the broker's SQLite database (WAL), RF=1, one partition;
then a Consumer reading everything back and decoding every record.
The baseline: the same records as one row each (offset, timestamp, key, value), inserted
with `executemany` in transactions of 1,000 rows into a WAL database, then selected back.
Ratios above 1 mean the engine is faster than the raw inserts.

Each phase is also timed in CPU seconds of the whole process (time.process_time: the
event loop and aiosqlite's thread): on a machine shared with other work the wall-clock
ratio swings with the load, the CPU ratio says what each path costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import aiosqlite

from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster

RAW_BATCH = 1000


class Timed:
    """Wall-clock and CPU seconds of a block."""

    def __enter__(self) -> Timed:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def make_values(count: int, size: int) -> list[bytes]:
    payload = os.urandom(size // 2).hex().encode()[:size]
    return [payload for _ in range(count)]


async def engine_produce(data_dir: Path, values: list[bytes]) -> Timed:
    async with await Cluster.open(data_dir, brokers=1, seed=1) as cluster:
        await cluster.create_topic("bench", 1, 1)
        config = ProducerConfig(acks="1", linger_ms=5, batch_size=128 * 1024)
        with Timed() as elapsed:
            async with Producer(cluster, config) as producer:
                for i, value in enumerate(values):
                    await producer.send("bench", value, partition=0)
                    if i % 5000 == 4999:
                        await asyncio.sleep(0)
        assert cluster.describe_topic("bench").partitions[0].high_watermark == len(values)
    return elapsed


async def engine_consume(data_dir: Path, count: int) -> Timed:
    async with await Cluster.open(data_dir, seed=1) as cluster:
        consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest", max_poll_records=10_000))
        consumer.assign([("bench", 0)])
        seen = 0
        with Timed() as elapsed:
            while seen < count:
                seen += len(await consumer.poll(1000))
    assert seen == count
    return elapsed


async def raw_produce(path: Path, values: list[bytes], now_ms: int) -> Timed:
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute(
            "CREATE TABLE records (offset INTEGER PRIMARY KEY, timestamp INTEGER, key BLOB, value BLOB)"
        )
        with Timed() as elapsed:
            for start in range(0, len(values), RAW_BATCH):
                rows = [(start + i, now_ms, None, v) for i, v in enumerate(values[start : start + RAW_BATCH])]
                await db.execute("BEGIN")
                await db.executemany("INSERT INTO records VALUES (?, ?, ?, ?)", rows)
                await db.execute("COMMIT")
        return elapsed


async def raw_consume(path: Path, count: int) -> Timed:
    async with aiosqlite.connect(path) as db:
        seen = 0
        with Timed() as elapsed:
            sql = "SELECT offset, timestamp, key, value FROM records ORDER BY offset"
            async with db.execute(sql) as cursor:
                while rows := await cursor.fetchmany(10_000):
                    seen += len(rows)
    assert seen == count
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=100, help="value bytes per record")
    args = parser.parse_args()
    values = make_values(args.records, args.size)
    n = args.records
    with tempfile.TemporaryDirectory() as tmp:
        raw_path = Path(tmp) / "raw.db"
        raw_p = await raw_produce(raw_path, values, int(time.time() * 1000))
        eng_p = await engine_produce(Path(tmp) / "engine", values)
        raw_c = await raw_consume(raw_path, n)
        eng_c = await engine_consume(Path(tmp) / "engine", n)
    print(f"records: {n:,} of {args.size} bytes, {os.cpu_count()} cores")
    print(f"raw aiosqlite insert:  {n / raw_p.wall:>12,.0f} records/s  {n / raw_p.cpu:>12,.0f} per CPU s")
    print(f"engine produce:        {n / eng_p.wall:>12,.0f} records/s  {n / eng_p.cpu:>12,.0f} per CPU s")
    print(f"raw aiosqlite select:  {n / raw_c.wall:>12,.0f} records/s  {n / raw_c.cpu:>12,.0f} per CPU s")
    print(f"engine consume:        {n / eng_c.wall:>12,.0f} records/s  {n / eng_c.cpu:>12,.0f} per CPU s")
    print(f"consume engine/raw ratio: {raw_c.wall / eng_c.wall:.2f} (CPU: {raw_c.cpu / eng_c.cpu:.2f})")
    print(f"engine/raw ratio: {raw_p.wall / eng_p.wall:.2f} (CPU: {raw_p.cpu / eng_p.cpu:.2f})")


if __name__ == "__main__":
    asyncio.run(main())
