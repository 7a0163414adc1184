"""Resident memory of the engine while a log grows to millions of records, and back.

    python bench/memory.py [--records 1000000] [--step 250000] [--size 100]

One broker on disk, one partition. The engine's Producer (acks=1, linger.ms=5,
batch.size=128 KiB) writes `--records` records; after every `--step` the bench prints
the process's resident set (VmRSS) and its peak (VmHWM, from /proc/self/status; on a
system without it, ru_maxrss). Then a Consumer reads everything back, decoding every
record, again printing RSS per step, and a ListOffsets by timestamp builds the log's
time index, whose size (in memory by design: 16 bytes a batch that raises the log's
largest timestamp, time_index.py) is printed per million records.

Memory is bounded when RSS after the last step is close to RSS after the first one:
the log is on disk (a RecordBatch blob per batch), no Python object per record is kept.
The figure to read is the growth per million records, and the ratio of the last RSS to
the first, both from this run; the machine's core count is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set of this process in MB."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
        )
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


def report(phase: str, done: int, started: float) -> tuple[float, float]:
    rss, peak = rss_mb()
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"  {phase:<8}{done:>12,} records  RSS {rss:>8.1f} MB  peak {peak:>8.1f} MB  {rate:>10,.0f} rec/s")
    return rss, peak


async def produce(cluster: Cluster, total: int, step: int, value: bytes) -> list[float]:
    config = ProducerConfig(acks="1", linger_ms=5, batch_size=128 * 1024)
    samples = []
    started = time.perf_counter()
    async with Producer(cluster, config) as producer:
        for i in range(total):
            await producer.send("bench", value, partition=0)
            if i % 5000 == 4999:
                await asyncio.sleep(0)
            if (i + 1) % step == 0:
                await producer.flush()
                samples.append(report("produce", i + 1, started)[0])
    return samples


async def consume(cluster: Cluster, total: int, step: int) -> list[float]:
    consumer = Consumer(cluster, ConsumerConfig(auto_offset_reset="earliest", max_poll_records=10_000))
    consumer.assign([("bench", 0)])
    samples = []
    seen = 0
    next_report = step
    started = time.perf_counter()
    while seen < total:
        seen += len(await consumer.poll(1000))
        if seen >= next_report:
            samples.append(report("consume", seen, started)[0])
            next_report += step
    return samples


async def time_index_entries(cluster: Cluster) -> int:
    """Build the partition's time index (ListOffsets by timestamp) and count its entries."""
    broker = next(iter(cluster.brokers.values()))
    await broker.offset_for_timestamp("bench", 0, 0)
    return sum(len(index) for index in broker.storage._time_indexes.values())


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--step", type=int, default=250_000)
    parser.add_argument("--size", type=int, default=100, help="value bytes per record")
    args = parser.parse_args()
    value = os.urandom(args.size // 2).hex().encode()[: args.size]
    print(f"{args.records:,} records of {args.size} bytes, one partition, {os.cpu_count()} cores")
    start_rss, _ = rss_mb()
    print(f"  before the cluster: RSS {start_rss:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        async with await Cluster.open(Path(tmp), brokers=1, seed=1) as cluster:
            await cluster.create_topic("bench", 1, 1)
            produced = await produce(cluster, args.records, args.step, value)
        # Reopened, as the workbench opens a data dir: nothing of the writes is resident.
        async with await Cluster.open(Path(tmp), seed=1) as cluster:
            consumed = await consume(cluster, args.records, args.step)
            entries = await time_index_entries(cluster)
    millions = args.records / 1_000_000
    for name, samples in (("produce", produced), ("consume", consumed)):
        if len(samples) >= 2:
            span = (args.step * (len(samples) - 1)) / 1_000_000
            growth = (samples[-1] - samples[0]) / span
            print(
                f"{name}: RSS last/first {samples[-1] / samples[0]:.2f}, "
                f"growth {growth:+.1f} MB per million records"
            )
    print(
        f"time index: {entries:,} entries, {entries * 16 / 1024:.1f} KiB "
        f"({entries * 16 / 1024 / millions:.1f} KiB per million records)"
    )
    print(f"peak RSS of the run: {rss_mb()[1]:.1f} MB")


if __name__ == "__main__":
    asyncio.run(main())
