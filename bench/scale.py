"""How the engine's costs grow with the log, in one run.

    python bench/scale.py [--sizes 100000,1000000,10000000] [--chunk 100000] [--probes 50]

One broker on disk, one partition, 100-byte records with timestamps one millisecond
apart. The log is filled to each size in turn; at each size it measures:

- produce: the rate of the last `--chunk` records appended (the in-process Producer,
  acks=1, linger.ms=5, batch.size=128 KiB);
- fetch: a consumer's first poll (up to 500 records) after seeking to `--probes` random
  offsets, p50 and p95 in ms — a fetch from the middle of the log must not scan it;
- ListOffsets by timestamp: `--probes` random timestamps, p50 and p95 in ms;
- open: closing the cluster and opening its data dir again (goal < 2 s at 10^7 records:
  no full scan at startup).

The last column divides each figure by the first size's, so "flat" reads as 1.00
(goal: within 20 %). Issue 26's scale table; no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.engine.clients.consumer import Consumer
from kafkatui.engine.clients.producer import Producer
from kafkatui.engine.cluster import Cluster

TOPIC = "scale"
BASE_TS = 1_700_000_000_000


async def fill(cluster: Cluster, start: int, stop: int) -> float:
    """Append records `start`..`stop` (timestamp BASE_TS + offset); the seconds it took."""
    value = os.urandom(50).hex().encode()
    config = ProducerConfig(acks="1", linger_ms=5, batch_size=128 * 1024)
    started = time.perf_counter()
    async with Producer(cluster, config) as producer:
        for n in range(start, stop):
            await producer.send(TOPIC, value, partition=0, timestamp=BASE_TS + n)
            if n % 5000 == 4999:
                await asyncio.sleep(0)
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def fetch_latency(cluster: Cluster, size: int, probes: int, rng: random.Random) -> tuple[float, float]:
    consumer = Consumer(cluster, ConsumerConfig(max_poll_records=500))
    consumer.assign([(TOPIC, 0)])
    samples = []
    for _ in range(probes):
        consumer.seek((TOPIC, 0), rng.randrange(size))
        started = time.perf_counter()
        records = await consumer.poll(1000)
        samples.append((time.perf_counter() - started) * 1000)
        assert records, "a fetch from inside the log returned nothing"
    await consumer.close()
    return percentiles(samples)


async def timestamp_latency(
    backend: EmbeddedBackend, size: int, probes: int, rng: random.Random
) -> tuple[float, float]:
    samples = []
    for _ in range(probes):
        wanted = rng.randrange(size)
        started = time.perf_counter()
        found = await backend.list_offsets(TOPIC, [0], BASE_TS + wanted)
        samples.append((time.perf_counter() - started) * 1000)
        assert found[0] == wanted, f"ListOffsets({BASE_TS + wanted}) gave {found[0]}, not {wanted}"
    return percentiles(samples)


async def main(args: argparse.Namespace) -> None:
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rng = random.Random(1)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    rows = []
    try:
        cluster = await Cluster.open(data_dir, brokers=1, seed=1)
        await cluster.create_topic(TOPIC, 1, 1)
        have = 0
        for size in sizes:
            # Fill to just below the size, then time the last chunk on its own.
            last = min(args.chunk, size - have)
            if size - last > have:
                print(f"filling to {size - last:,} records …", flush=True)
                await fill(cluster, have, size - last)
            produce_s = await fill(cluster, size - last, size)
            have = size
            assert cluster.describe_topic(TOPIC).partitions[0].high_watermark == size
            fetch = await fetch_latency(cluster, size, args.probes, rng)
            by_time = await timestamp_latency(EmbeddedBackend(cluster), size, args.probes, rng)
            await cluster.close()
            started = time.perf_counter()
            cluster = await Cluster.open(data_dir, seed=1)
            open_s = time.perf_counter() - started
            rows.append((size, last / produce_s, fetch, by_time, open_s))
            print(f"  {size:>12,} records measured", flush=True)
        await cluster.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    first = rows[0]
    print(f"\nOne partition, 100-byte records, on disk; {os.cpu_count()} cores")
    print(
        f"{'records':>12}  {'produce rec/s':>13}  {'fetch p50/p95 ms':>16}  {'ts lookup p50/p95 ms':>20}  "
        f"{'open s':>7}  {'produce, fetch, ts, open vs first':>34}"
    )
    for size, rate, fetch, by_time, open_s in rows:
        ratios = (
            rate / first[1],
            fetch[0] / first[2][0],
            by_time[0] / first[3][0],
            open_s / first[4],
        )
        print(
            f"{size:>12,}  {rate:>13,.0f}  {fetch[0]:>7.2f} / {fetch[1]:>6.2f}  "
            f"{by_time[0]:>9.2f} / {by_time[1]:>8.2f}  {open_s:>7.2f}  "
            f"{'  '.join(f'{r:.2f}' for r in ratios):>34}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--chunk", type=int, default=100_000, help="records whose produce rate is measured")
    parser.add_argument(
        "--probes", type=int, default=50, help="random fetches and timestamp lookups per size"
    )
    asyncio.run(main(parser.parse_args()))
